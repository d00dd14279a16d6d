"""The need rules of extracts.md ("Needs derived from the BDT"), evaluated on the generator's truth.

The generator targets deliveries with them (most deliveries go to needy units) and records, per delivery,
whether its beneficiary met the rule. Ages are taken at 1 July of the reporting year (`Umur` + years since
2015, which equals the age from `TglLahir`). The landing and dbt keep their own copy of these rules as data;
this one only decides who the demo agencies serve.
"""

import numpy as np
import polars as pl

from demo_data.members import DECEASED, MARRIED, MOVED

UNSAFE_WATER = [7, 9, 10, 11, 12]
POOR_FLOOR = [7, 8, 9]  # bamboo, low-grade wood, earth
THATCH = [8, 9]
FARM_FISH_LIVESTOCK = [1, 2, 3, 4, 5, 6]


def alive(people: pl.DataFrame) -> np.ndarray:
    """Members who can receive anything: neither deceased nor moved out."""
    return ~people["keberadaan"].is_in([DECEASED, MOVED]).to_numpy()


def person_needs(people: pl.DataFrame, year: int) -> dict[str, np.ndarray]:
    """Person-level need flags by need_code of the programme catalogue."""
    age = people["umur"].to_numpy().astype(np.int64) + (year - 2015)
    school = people["partisipasi_sekolah"].to_numpy()
    working = people["sta_bekerja"].to_numpy()
    female = people["female"].to_numpy()
    live = alive(people)
    return {
        "education": live & (age >= 7) & (age <= 18) & ((school != 1) | ~people["ada_kip"].to_numpy()),
        "health_insurance": live & ~people["ada_pbi"].to_numpy(),
        "supplementary_food": live & ((age < 5) | people["sta_hamil"].to_numpy()),
        "contraception": live & female & (people["sta_kawin"].to_numpy() == MARRIED) & (age >= 15)
        & (age <= 49),
        "disability": live & (people["jenis_cacat"].to_numpy() > 0),
        "employment": live & (age >= 15) & (age <= 64) & ~working & (school != 1),
    }  # fmt: skip


def household_needs(hh: pl.DataFrame, heads: pl.DataFrame) -> dict[str, np.ndarray]:
    """Household-level need flags; `heads` holds the head's row of `people` for each household, in order."""
    per_person = hh["luas_lantai"].to_numpy() / np.maximum(hh["jumlah_art"].to_numpy(), 1)
    housing = (
        hh["lantai"].is_in(POOR_FLOOR).to_numpy()
        | (hh["dinding"].to_numpy() == 6)
        | (hh["kondisi_dinding"].to_numpy() == 2)
        | hh["atap"].is_in(THATCH).to_numpy()
        | (per_person < 8)
    )
    sector = heads["lapangan_usaha"].to_numpy()
    return {
        "housing": housing,
        "water": hh["sumber_airminum"].is_in(UNSAFE_WATER).to_numpy(),
        "sanitation": hh["fasbab"].is_in([3, 4]).to_numpy(),
        "economy": np.isin(sector, FARM_FISH_LIVESTOCK) | hh["head_female"].to_numpy(),
    }
