"""BDT household members (the truth, numeric): roles, ages, birth dates, NIK, work, school, disability.

Built for all households at once: each household's members are its first `size` rows, member 0 the head,
member 1 the spouse when there is one, the rest children, grandchildren, parents, in-laws and others whose
ages follow from the head's. Ages are at the enumeration reference date of PBDT 2015 (1 July 2015), so
`Umur` and `TglLahir` agree. A few members are deceased (mostly the elderly) or moved out (mostly young
adults); heads are always present, so a household delivery always names a living person.
"""

import numpy as np
import polars as pl

from demo_data import ids, names
from demo_data.geography import Geography
from demo_data.sampling import choice, mixed_choice, stream

REFERENCE_DATE = np.datetime64("2015-07-01")
HEAD, SPOUSE, CHILD, CHILD_IN_LAW, GRANDCHILD, PARENT, WORKER, OTHER = 1, 2, 3, 4, 5, 6, 7, 8
PRESENT, DECEASED, MOVED, NEW = 1, 2, 3, 4
MARRIED = 2  # Sta_kawin
COASTAL = {"1801", "1805", "1806", "1807", "1809", "1811", "1813", "1871"}  # Kemendagri kab codes
# sector of the working (Lapangan_usaha 1..21), rural and kota
SECTOR_RURAL = [0.3, 0.05, 0.17, 0.03, 0.015, 0.045, 0.01] + [0.38 / 14] * 14
SECTOR_KOTA = [0.03, 0.02, 0.01, 0.02, 0.01, 0.01, 0.0] + [0.9 / 14] * 14


def synthesize(hh: pl.DataFrame, geo: Geography, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Members of every household, and the households completed with what depends on their members."""
    rng = stream(seed, "members")
    size = hh["size"].to_numpy().astype(np.int64)
    hh_idx = np.repeat(np.arange(hh.height), size)
    starts = np.cumsum(size) - size
    k = np.arange(len(hh_idx)) - np.repeat(starts, size)
    h = {
        c: hh[c].to_numpy()[hh_idx] for c in ("head_female", "head_age", "has_spouse", "q", "decile", "kota")
    }
    role = _roles(rng, k, h)
    female, age = _sex_and_age(rng, role, h)
    birth = _birth_dates(rng, age)
    status = _presence(rng, role, age)
    people = pl.DataFrame(
        {
            "hh_idx": hh_idx.astype(np.int32),
            "member_no": (k + 1).astype(np.int8),
            "hub_krt": role.astype(np.int8),
            "female": female,
            "umur": age.astype(np.int16),
            "tgllahir": birth,
            "keberadaan": status.astype(np.int8),
        }
    )
    people = people.with_columns(**_social(rng, role, female, age, status, h, hh, geo, hh_idx))
    people = people.with_columns(**_identity(rng, people, hh, geo, hh_idx, starts))
    return people, _complete_households(rng, hh, people, hh_idx, geo)


def _roles(rng: np.random.Generator, k: np.ndarray, h: dict[str, np.ndarray]) -> np.ndarray:
    """Hub_KRT per member: head, spouse when present, then mostly children; grandchildren and in-laws only with older heads."""
    u = rng.random(len(k))
    old = h["head_age"] >= 48
    role = np.full(len(k), CHILD)
    role[u < 0.025] = OTHER
    role[(u >= 0.025) & (u < 0.065) & (h["head_age"] < 60)] = PARENT
    role[(u >= 0.065) & (u < 0.125) & old] = CHILD_IN_LAW
    role[(u >= 0.125) & (u < 0.32) & old] = GRANDCHILD
    role[u > 0.9995] = WORKER
    role[(k == 1) & h["has_spouse"]] = SPOUSE
    role[k == 0] = HEAD
    return role


def _sex_and_age(
    rng: np.random.Generator, role: np.ndarray, h: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Sex and age at 1 July 2015, following the member's role and the head's age."""
    n = len(role)
    head_age = h["head_age"].astype(np.int64)
    u = rng.random(n)
    female = np.select(
        [role == HEAD, role == SPOUSE, role == PARENT],
        [h["head_female"], ~h["head_female"], u < 0.65],
        u < 0.5,
    )
    mother_age = np.where(h["head_female"], head_age, head_age - 4)
    v = rng.random(n)
    age = np.select(
        [
            role == HEAD,
            role == SPOUSE,
            role == CHILD,
            role == GRANDCHILD,
            role == CHILD_IN_LAW,
            role == PARENT,
            role == WORKER,
        ],
        [
            head_age,
            np.clip(head_age + np.where(h["head_female"], 3, -4) + rng.normal(0, 3, n).round(), 16, 95),
            np.floor(v * np.clip(mother_age - 17, 1, 30)),
            np.floor(v * np.clip(head_age - 38, 1, 20)),
            18 + np.floor(v * np.clip(head_age - 33, 1, 25)),
            np.clip(head_age + 18 + np.floor(v * 15), 0, 98),
            16 + np.floor(v * 40),
        ],
        3 + np.floor(v * 72),
    )
    return female, age.astype(np.int64)


def _birth_dates(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """A birth date giving exactly `age` completed years on 1 July 2015."""
    year = 2015 - age - 1
    start = (((year - 1970) * 12 + 6).astype("datetime64[M]")).astype("datetime64[D]") + 1  # 2 July
    return start + rng.integers(0, 365, len(age))


def _presence(rng: np.random.Generator, role: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Sta_keberadaan_art: the elderly die, young adults move out, babies and in-laws are new."""
    u = rng.random(len(role))
    p_dead = 0.006 + (age >= 60) * 0.06
    p_moved = p_dead + 0.015 + ((age >= 18) & (age <= 35)) * 0.05
    p_new = p_moved + 0.008 + (age <= 1) * 0.3 + (role == CHILD_IN_LAW) * 0.2
    status = np.select([u < p_dead, u < p_moved, u < p_new], [DECEASED, MOVED, NEW], PRESENT)
    return np.where(role == HEAD, PRESENT, status)


def _social(
    rng: np.random.Generator,
    role: np.ndarray,
    female: np.ndarray,
    age: np.ndarray,
    status: np.ndarray,
    h: dict[str, np.ndarray],
    hh: pl.DataFrame,
    geo: Geography,
    hh_idx: np.ndarray,
) -> dict[str, np.ndarray]:
    """Marriage, pregnancy, disability, illness, school, work and programme flags."""
    n = len(role)
    q = h["q"]
    married = _marital(rng, role, female, age, h)
    school = _school(rng, age, q)
    working = _working(rng, age, female, school)
    coastal = geo.desa["regency_code"].is_in(list(COASTAL)).to_numpy()[hh["desa_idx"].to_numpy()][hh_idx]
    sector = mixed_choice(rng, list(range(1, 22)), SECTOR_RURAL, SECTOR_KOTA, h["kota"].astype(float))
    fisher = coastal & ~h["kota"] & (sector >= 8) & (rng.random(n) < 0.08)
    sector = np.where(fisher, 4, sector)
    alive = np.isin(status, [PRESENT, NEW])
    decile = h["decile"]
    hh_kis = hh["sta_kis"].to_numpy()[hh_idx]
    return {
        "sta_kawin": married.astype(np.int8),
        "sta_hamil": female & (age >= 15) & (age <= 49) & (married == 2) & alive & (rng.random(n) < 0.07),
        "jenis_cacat": np.where(
            rng.random(n) < 0.008 + 0.0005 * age,
            choice(rng, list(range(1, 13)), [3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2], n),
            0,
        ).astype(np.int8),
        "penyakit_kronis": np.where(
            rng.random(n) < 0.015 + 0.003 * np.maximum(age - 35, 0), rng.integers(1, 10, n), 0
        ).astype(np.int8),
        "partisipasi_sekolah": school.astype(np.int8),
        "pendidikan_tertinggi": _education(rng, age, school, q).astype(np.int8),
        "sta_bekerja": working,
        "lapangan_usaha": np.where(working, sector, 0).astype(np.int8),
        "status_pekerjaan": np.where(
            working, choice(rng, [1, 2, 3, 4, 5, 6, 7], [0.35, 0.08, 0.01, 0.18, 0.16, 0.1, 0.12], n), 0
        ).astype(np.int8),
        "ada_kks": hh["sta_kks"].to_numpy()[hh_idx],
        "ada_pbi": rng.random(n) < np.where(hh_kis, 0.9, 0.05),
        "ada_kip": (school == 1) & (age >= 6) & (age <= 21) & (rng.random(n) < 0.5 - 0.08 * decile),
        "ada_pkh": hh["sta_pkh"].to_numpy()[hh_idx],
    }


def _marital(
    rng: np.random.Generator, role: np.ndarray, female: np.ndarray, age: np.ndarray, h: dict[str, np.ndarray]
) -> np.ndarray:
    """1 single, 2 married, 3 divorced, 4 widowed."""
    n = len(role)
    lone_head = choice(rng, [4, 3, 1, 2], [0.55, 0.25, 0.12, 0.08], n)
    grown = np.where(rng.random(n) < np.clip((age - 16) / 20, 0, 0.7), 2, 1)
    return np.select(
        [
            (role == HEAD) & h["has_spouse"],
            role == HEAD,
            np.isin(role, [SPOUSE, CHILD_IN_LAW]),
            role == PARENT,
            age < 16,
        ],
        [2, lone_head, 2, np.where(rng.random(n) < 0.7, 4, 2), 1],
        grown,
    )


def _school(rng: np.random.Generator, age: np.ndarray, q: np.ndarray) -> np.ndarray:
    """0 never, 1 in school, 2 no longer; poorer children leave school earlier."""
    p_in = np.select(
        [age < 5, age < 7, age <= 12, age <= 15, age <= 18, age <= 24],
        [0.0, 0.4, 0.97, 0.88, 0.65, 0.08],
        0.0,
    ) * (1 - 0.15 * q)
    p_never = np.where(age < 5, 1.0, np.where(age < 7, 0.6, 0.02 + 0.0015 * np.maximum(age - 25, 0)))
    u = rng.random(len(age))
    return np.select([u < p_in, u < p_in + p_never], [1, 0], 2)


def _working(rng: np.random.Generator, age: np.ndarray, female: np.ndarray, school: np.ndarray) -> np.ndarray:
    """Sta_Bekerja: most working-age men, about half the women, few pupils."""
    p = np.select([age < 10, age < 15, age <= 64], [0.0, 0.03, np.where(female, 0.45, 0.88)], 0.4) * np.where(
        school == 1, 0.08, 1.0
    )
    return rng.random(len(age)) < p


def _education(rng: np.random.Generator, age: np.ndarray, school: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Highest level (1 SD, 4 SMP, 7 SMA, 8 SMK, 12 university); 0 for never schooled."""
    attained = mixed_choice(
        rng, [1, 4, 7, 8, 12], [0.33, 0.26, 0.25, 0.1, 0.06], [0.6, 0.23, 0.11, 0.04, 0.02], q
    )
    cap = np.select([age < 13, age < 16, age < 19], [1, 4, 8], 12)
    level = np.minimum(attained, cap)
    level = np.where(school == 1, np.select([age < 13, age < 16, age < 19], [1, 4, 7], 12), level)
    return np.where(school == 0, 0, level)


def _identity(
    rng: np.random.Generator,
    people: pl.DataFrame,
    hh: pl.DataFrame,
    geo: Geography,
    hh_idx: np.ndarray,
    starts: np.ndarray,
) -> dict[str, object]:
    """Names, places of birth, NIK (usually the desa's kecamatan) and KK numbers."""
    n = people.height
    desa_idx = hh["desa_idx"].to_numpy()[hh_idx]
    kec = geo.desa["district_code"].to_numpy().astype(np.int64)[desa_idx]
    elsewhere = rng.random(n) < 0.05
    all_kec = geo.districts["district_code"].to_numpy().astype(np.int64)
    kec = np.where(elsewhere, all_kec[rng.integers(0, len(all_kec), n)], kec)
    female = people["female"].to_numpy()
    nik = ids.numbers(kec, people["tgllahir"].to_numpy(), female, ids.BDT_SERIAL_START)
    if (nik % 10_000).max() >= ids.OUTSIDER_SERIAL_START:
        raise ValueError("BDT NIK serials reached the range kept for people outside the BDT")
    name = names.person_names(rng, female)
    name = _mark_names(name, people, hh, geo, starts)
    capital = pl.Series([names.CAPITAL[c] for c in geo.regencies["regency_code"]])
    kab_pos = np.searchsorted(geo.regencies["regency_code"].to_numpy(), geo.desa["regency_code"].to_numpy())[
        desa_idx
    ]
    born_elsewhere = rng.random(n) < 0.25
    place = pl.DataFrame(
        {
            "cap": capital.gather(kab_pos),
            "far": pl.Series(names.ELSEWHERE).gather(rng.integers(0, len(names.ELSEWHERE), n)),
            "elsewhere": born_elsewhere,
        }
    ).select(pl.when(pl.col("elsewhere")).then(pl.col("far")).otherwise(pl.col("cap")))
    return {"nik": nik, "nama": name, "tmplahir": place.to_series()}


def _mark_names(
    name: pl.Series, people: pl.DataFrame, hh: pl.DataFrame, geo: Geography, starts: np.ndarray
) -> pl.Series:
    """Give the heads of the first two households of each kab a ’ or é, so every file carries one."""
    kab = geo.desa["bps_kab"].to_numpy()[hh["desa_idx"].to_numpy()]
    _, first = np.unique(kab, return_index=True)
    second = np.minimum(first + 1, hh.height - 1)
    female = people["female"].to_numpy()
    rows = np.r_[starts[first], starts[second]]
    as_female = np.r_[[names.MARKED_FEMALE_1] * len(first), [names.MARKED_FEMALE_2] * len(second)]
    as_male = np.r_[[names.MARKED_MALE_1] * len(first), [names.MARKED_MALE_2] * len(second)]
    rows, keep = np.unique(rows, return_index=True)  # a kab with one household: mark it once
    marked = np.where(female[rows], as_female[keep], as_male[keep])
    return name.scatter(rows, pl.Series(marked.tolist(), dtype=pl.String))


def _complete_households(
    rng: np.random.Generator, hh: pl.DataFrame, people: pl.DataFrame, hh_idx: np.ndarray, geo: Geography
) -> pl.DataFrame:
    """Counts, KIP flag, families and KK numbers, which depend on the members."""
    n = hh.height
    alive = people["keberadaan"].is_in([PRESENT, NEW]).to_numpy()
    kip = people["ada_kip"].to_numpy()
    extended = people["hub_krt"].is_in([CHILD_IN_LAW, GRANDCHILD]).to_numpy()
    has_extended = np.bincount(hh_idx, weights=extended, minlength=n) > 0
    families = 1 + (has_extended & (rng.random(n) < 0.5))
    kec = geo.desa["district_code"].to_numpy().astype(np.int64)[hh["desa_idx"].to_numpy()]
    issued = np.datetime64("2005-01-01") + rng.integers(0, 3833, 2 * n)  # 2005-01-01 .. 2015-06-30
    kk = ids.numbers(np.r_[kec, kec], issued, np.zeros(2 * n, dtype=bool), ids.BDT_SERIAL_START)
    return hh.with_columns(
        jumlah_art=np.bincount(hh_idx, weights=alive, minlength=n).astype(np.int16),
        members=np.bincount(hh_idx, minlength=n).astype(np.int16),
        jumlah_keluarga=families.astype(np.int8),
        sta_kip=np.bincount(hh_idx, weights=kip, minlength=n) > 0,
        nokk=kk[:n],
        nokk2=np.where(families > 1, kk[n:], kk[:n]),
        nama_krt=people["nama"].gather(
            np.cumsum(hh["size"].to_numpy().astype(np.int64)) - hh["size"].to_numpy()
        ),
    )
