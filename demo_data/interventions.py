"""Who received what: deliveries of each agency's programmes in 2016 and 2017 (the truth, typed).

Targeting is realistic rather than ideal. For each programme, agency and year:
- 5-10% of the deliveries leak to people outside the BDT (fresh NIKs of real kecamatan codes);
- 5-10% go to BDT units that do not meet the programme's need rule;
- the rest go to needy units (person or household, by the catalogue's target_level), weighted toward
  deciles I-II (weights 6 : 3 : 1.2 : 0.6), never more than 60% of the needy pool, so coverage stays well
  below 100% and many eligible decile-I households are not served.
Household deliveries name the head (always alive); person deliveries go to members who are alive and
still in the household. Nobody gets the same programme twice in one year. Some economy programmes narrow the
need to their own group (seed to farmers, fishing gear to fishers, livestock to breeders, women's
micro-enterprise to woman-headed households).
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

from demo_data import ids, names, needs
from demo_data.agencies import DEFAULT_SIZE, GROWTH, SIZES, YEARS, Agency, Report
from demo_data.geography import Geography
from demo_data.members import HEAD
from demo_data.sampling import stream, weighted_sample
from demo_data.scales import Scale

NEEDY_WEIGHTS = np.array([6.0, 3.0, 1.2, 0.6])
OTHER_WEIGHTS = np.array([2.0, 1.5, 1.0, 1.0])
MAX_COVERAGE = 0.6
NARROWER = {  # programme -> head sectors it is for (None: woman-headed households)
    "ECO-BENIH": (1, 2, 3),
    "ECO-NELAYAN": (4, 5),
    "ECO-TERNAK": (6,),
    "ECO-UMKM-PR": None,
}
OUTSIDER_AGES = {  # need_code -> age range of a person outside the BDT who gets the programme
    "education": (7, 18),
    "supplementary_food": (0, 4),
    "contraception": (20, 45),
    "employment": (18, 50),
}


@dataclass(frozen=True)
class World:
    """Everything targeting needs to know, computed once."""

    scale: Scale
    geo: Geography
    hh: pl.DataFrame
    people: pl.DataFrame
    catalogue: dict[str, dict[str, str]]
    heads: np.ndarray  # person index of each household's head
    hh_kab: np.ndarray  # Kemendagri regency code of each household, as an integer (1804)
    person_kab: np.ndarray
    person_decile: np.ndarray
    alive: np.ndarray  # members who can receive anything


def world(scale: Scale, geo: Geography, hh: pl.DataFrame, people: pl.DataFrame, cat: pl.DataFrame) -> World:
    """Bundle the truth with the lookups targeting uses for every programme."""
    size = hh["size"].to_numpy().astype(np.int64)
    heads = np.cumsum(size) - size
    if not (people["hub_krt"].to_numpy()[heads] == HEAD).all():
        raise ValueError("each household's first member must be its head")
    kab = geo.desa["regency_code"].cast(pl.Int16).to_numpy()[hh["desa_idx"].to_numpy()]
    person_hh = people["hh_idx"].to_numpy()
    return World(
        scale=scale,
        geo=geo,
        hh=hh,
        people=people,
        catalogue={r["kode_program"]: r for r in cat.iter_rows(named=True)},
        heads=heads,
        hh_kab=kab,
        person_kab=kab[person_hh],
        person_decile=hh["decile"].to_numpy()[person_hh],
        alive=needs.alive(people),
    )


def synthesize(w: World, agencies: list[Agency], seed: int) -> pl.DataFrame:
    """All deliveries of both years, one row each, with truth columns and the file they belong to."""
    parts = []
    for year in YEARS:
        rng = stream(seed, f"interventions-{year}")
        p_need = needs.person_needs(w.people, year)
        h_need = needs.household_needs(w.hh, w.people[w.heads])
        served: dict[str, np.ndarray] = {}
        for agency in agencies:
            for report in agency.reports:
                if report.kode_program in w.catalogue:
                    parts.append(_deliver(rng, w, agency, report, year, p_need, h_need, served))
    deliveries = pl.concat(parts, how="vertical")
    return _with_outsider_ids(deliveries, stream(seed, "interventions-outsiders"))


def _volume(w: World, agency: Agency, report: Report, year: int) -> int:
    """Deliveries of one programme by one agency in one year at this scale (at least one)."""
    size = SIZES.get(report.kode_program, DEFAULT_SIZE)
    volume = size.volume * GROWTH[year] * w.scale.delivery_factor * report.share
    if agency.regency is not None:
        volume *= float(np.mean(w.hh_kab == int(agency.regency)))
    return max(1, round(volume))


def _deliver(
    rng: np.random.Generator,
    w: World,
    agency: Agency,
    report: Report,
    year: int,
    p_need: dict[str, np.ndarray],
    h_need: dict[str, np.ndarray],
    served: dict[str, np.ndarray],
) -> pl.DataFrame:
    """One programme of one agency in one year."""
    prog = w.catalogue[report.kode_program]
    person_level = prog["target_level"] == "person"
    n_units = w.people.height if person_level else w.hh.height
    need = (p_need if person_level else h_need).get(prog["need_code"], np.ones(n_units, dtype=bool))
    eligible = w.alive.copy() if person_level else np.ones(n_units, dtype=bool)
    kab = w.person_kab if person_level else w.hh_kab
    if agency.regency is not None:
        eligible &= kab == int(agency.regency)
    taken = served.setdefault(report.kode_program, np.zeros(n_units, dtype=bool))
    eligible &= ~taken
    narrow = _narrower(w, report.kode_program, person_level)
    needy = eligible & need & narrow
    total = _volume(w, agency, report, year)
    n_out = round(total * rng.uniform(0.05, 0.10))
    n_other = round(total * rng.uniform(0.05, 0.10))
    n_need = min(total - n_out - n_other, int(MAX_COVERAGE * needy.sum()))
    decile = w.person_decile if person_level else w.hh["decile"].to_numpy()
    pick_need = _sample(rng, needy, NEEDY_WEIGHTS, decile, n_need)
    pick_other = _sample(rng, eligible & ~need, OTHER_WEIGHTS, decile, n_other)
    units = np.r_[pick_need, pick_other]
    taken[units] = True
    persons = units if person_level else w.heads[units]
    inside = _inside_rows(w, persons, np.r_[np.ones(len(pick_need), bool), np.zeros(len(pick_other), bool)])
    outside = _outsider_rows(rng, w, agency, prog, n_out)
    rows = pl.concat([inside, outside], how="vertical")
    return _finish(rng, rows, agency, report, prog, year)


def _sample(
    rng: np.random.Generator, mask: np.ndarray, weights: np.ndarray, decile: np.ndarray, k: int
) -> np.ndarray:
    """`k` units among `mask`, weighted by their decile."""
    units = np.flatnonzero(mask)
    return units[weighted_sample(rng, weights[decile[units] - 1], k)]


def _narrower(w: World, code: str, person_level: bool) -> np.ndarray:
    """Units a programme is meant for beyond its need rule (e.g. fishing gear for fishers)."""
    if code not in NARROWER or person_level:
        return np.ones(w.people.height if person_level else w.hh.height, dtype=bool)
    sectors = NARROWER[code]
    if sectors is None:
        return w.hh["head_female"].to_numpy()
    return np.isin(w.people["lapangan_usaha"].to_numpy()[w.heads], sectors)


def _inside_rows(w: World, persons: np.ndarray, meets: np.ndarray) -> pl.DataFrame:
    """Delivery rows for BDT members (for household deliveries, the head)."""
    hh_idx = w.people["hh_idx"].to_numpy()[persons]
    desa_idx = w.hh["desa_idx"].to_numpy()[hh_idx]
    return pl.DataFrame(
        {
            "person": persons.astype(np.int32),
            "hh": hh_idx.astype(np.int32),
            "desa_idx": desa_idx.astype(np.int32),
            "female": w.people["female"].to_numpy()[persons],
            "birth": w.people["tgllahir"].to_numpy()[persons],
            "age2015": w.people["umur"].to_numpy()[persons].astype(np.int16),
            "nik_num": w.people["nik"].to_numpy()[persons],
            "nama": w.people["nama"].gather(persons),
            "decile": w.hh["decile"].to_numpy()[hh_idx],
            "outside_bdt": np.zeros(len(persons), dtype=bool),
            "meets_need": meets,
            "kec_nik": np.zeros(len(persons), dtype=np.int64),
        }
    )


def _outsider_rows(
    rng: np.random.Generator, w: World, agency: Agency, prog: dict[str, str], n: int
) -> pl.DataFrame:
    """People outside the BDT: a real desa of the agency's area, an age that fits the programme."""
    desa = w.geo.desa
    weight = desa["w_pop"].to_numpy().copy()
    if agency.regency is not None:
        weight[desa["regency_code"].to_numpy() != agency.regency] = 0.0
    desa_idx = rng.choice(desa.height, size=n, p=weight / weight.sum())
    lo, hi = OUTSIDER_AGES.get(prog["need_code"], (18, 70) if prog["target_level"] == "person" else (25, 70))
    age = rng.integers(lo, hi + 1, n)
    female = (rng.random(n) < 0.5) | (prog["need_code"] == "contraception")
    birth = np.datetime64("2015-07-01") - (age * 365.25).astype(np.int64) - rng.integers(1, 365, n)
    kec = desa["district_code"].to_numpy().astype(np.int64)[desa_idx]
    all_kec = w.geo.districts["district_code"].to_numpy().astype(np.int64)
    kec = np.where(rng.random(n) < 0.05, all_kec[rng.integers(0, len(all_kec), n)], kec)
    return pl.DataFrame(
        {
            "person": np.full(n, -1, dtype=np.int32),
            "hh": np.full(n, -1, dtype=np.int32),
            "desa_idx": desa_idx.astype(np.int32),
            "female": female,
            "birth": birth.astype("datetime64[D]"),
            "age2015": age.astype(np.int16),
            "nik_num": np.zeros(n, dtype=np.int64),
            "nama": names.person_names(rng, female),
            "decile": np.zeros(n, dtype=np.int8),
            "outside_bdt": np.ones(n, dtype=bool),
            "meets_need": np.zeros(n, dtype=bool),
            "kec_nik": kec,
        }
    )


def _finish(
    rng: np.random.Generator,
    rows: pl.DataFrame,
    agency: Agency,
    report: Report,
    prog: dict[str, str],
    year: int,
) -> pl.DataFrame:
    """Programme, budget, date, amount and unit of each delivery."""
    n = rows.height
    size = SIZES.get(report.kode_program, DEFAULT_SIZE)
    if report.kode_program == "EDU-KIP":  # by school level
        age = rows["age2015"].to_numpy() + (year - 2015)
        amount = np.select([age <= 12, age <= 15], [size.amounts[0], size.amounts[1]], size.amounts[2])
    else:
        amount = rng.choice(np.asarray(size.amounts, dtype=np.int64), size=n)
    funding, p = zip(*report.funding, strict=True)
    start = np.datetime64(f"{year}-01-15")
    return rows.with_columns(
        agency=pl.lit(agency.slug),
        report_year=pl.lit(year, dtype=pl.Int16),
        kode_program=pl.lit(report.kode_program),
        nama_program=pl.lit(prog["nama_program"]),
        target_level=pl.lit(prog["target_level"]),
        sumber_canonical=pl.Series(rng.choice(np.asarray(funding), size=n, p=np.asarray(p) / sum(p))),
        opd=pl.lit(agency.opd),
        agency_regency=pl.lit(agency.regency, dtype=pl.String),
        tanggal=pl.Series(start + rng.integers(0, 330, n)),
        nilai=pl.Series(amount.astype(np.int64)),
        satuan=pl.lit(size.satuan),
        give_idbdt=pl.Series(
            rng.random(n) < agency.idbdt_rate * (0.5 if prog["target_level"] == "person" else 1)
        ),
        deceased=pl.lit(False),
    )


def _with_outsider_ids(d: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Fresh NIKs for everyone outside the BDT, unique among themselves and never a BDT member's."""
    out = d["outside_bdt"].to_numpy()
    nik = d["nik_num"].to_numpy().copy()
    nik[out] = ids.numbers(
        d["kec_nik"].to_numpy()[out],
        d["birth"].to_numpy()[out],
        d["female"].to_numpy()[out],
        ids.OUTSIDER_SERIAL_START,
    )
    return d.with_columns(nik_num=pl.Series(nik)).drop("kec_nik", "female", "birth", "age2015")
