"""Dukcapil population per desa (denominators), 2016 and 2017, consistent with the BDT.

Each desa's population is its BDT people divided by its BDT share (about 40% province-wide, more in poor
rural desa, less in kota), half from the BDT actually drawn there and half from what was expected, so the
smallest scales still look like a province. A desa never has fewer people or families than the BDT lists
there. 2017 grows by about 1.2%. Every Kemendagri desa of the present kab/kota has a row, including the
one without a BPS code (and so without BDT households).
"""

import numpy as np
import polars as pl

from demo_data.geography import Geography
from demo_data.sampling import stream

YEARS = (2016, 2017)


def synthesize(geo: Geography, hh: pl.DataFrame, seed: int) -> dict[int, pl.DataFrame]:
    """Text tables (kode_desa, nama_desa, jumlah_penduduk, jumlah_kk) per year."""
    rng = stream(seed, "population")
    desa = geo.desa
    n = desa.height
    idx = hh["desa_idx"].to_numpy()
    people = np.bincount(idx, weights=hh["members"].to_numpy(), minlength=n)
    families = np.bincount(idx, minlength=n)
    share = desa["bdt_share"].to_numpy()
    weight = desa["w_pop"].to_numpy() * share
    valid = desa["has_bps"].to_numpy()
    expected = people.sum() * weight / max(weight[valid].sum(), 1e-9)
    pop = np.round((0.5 * people + 0.5 * expected) / share * rng.uniform(0.95, 1.05, n))
    pop = np.maximum(pop, np.ceil(people / 0.9) + 1)
    kk = np.maximum(np.round(pop / rng.uniform(3.3, 3.7, n)), families + 1)
    pop17 = np.maximum(np.round(pop * (1 + rng.normal(0.012, 0.006, n))), pop - 5)
    pop17 = np.maximum(pop17, np.ceil(people / 0.9) + 1)
    kk17 = np.maximum(np.round(kk * pop17 / pop + rng.normal(2, 1, n)), families + 1)
    pop, pop17 = np.maximum(pop, kk), np.maximum(pop17, kk17)  # every family has at least one person
    return {year: _frame(desa, p, k) for year, p, k in ((2016, pop, kk), (2017, pop17, kk17))}


def _frame(desa: pl.DataFrame, pop: np.ndarray, kk: np.ndarray) -> pl.DataFrame:
    """One year's table as text."""
    return pl.DataFrame(
        {
            "kode_desa": desa["village_code"],
            "nama_desa": desa["name"],
            "jumlah_penduduk": pop.astype(np.int64).astype(str),
            "jumlah_kk": kk.astype(np.int64).astype(str),
        }
    )
