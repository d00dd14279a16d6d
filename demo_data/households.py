"""BDT households (the truth, numeric): where they live, their decile, size, head and housing.

Households are ordered by BPS desa code, so each kab/kota is a contiguous block and its file is sorted the
way BPS exports are. A household's poverty tilt `q` (0 = better off, 1 = poorest) comes from its decile,
its desa and whether it lives in a kota; housing, water, toilet and assets are drawn from a mixture of a
"better-off" and a "poor" distribution weighted by `q`, so every need rule gets a realistic share.
"""

import numpy as np
import polars as pl

from demo_data.geography import Geography
from demo_data.sampling import choice, group_rank, mixed_choice, stream
from demo_data.scales import PROVINCE_HOUSEHOLDS, PROVINCE_PEOPLE

MEAN_SIZE = PROVINCE_PEOPLE / PROVINCE_HOUSEHOLDS  # 3.65 members listed per household
SIZE_BY_DECILE = np.array([3.3, 2.75, 2.4, 2.1])  # relative Poisson means: poorer households are larger
MAX_SIZE = 12


def synthesize(geo: Geography, n: int, seed: int) -> pl.DataFrame:
    """`n` households with location, decile, size, head and housing; one row each."""
    rng = stream(seed, "households")
    desa = geo.desa
    counts = rng.multinomial(n, desa["w_bdt"].to_numpy() / desa["w_bdt"].sum())
    bps = desa["bps_code"].fill_null("").to_numpy()
    order = np.argsort(bps, kind="stable")
    desa_idx = np.repeat(order, counts[order])
    kota = desa["is_kota"].to_numpy()[desa_idx]
    z = desa["z"].to_numpy()[desa_idx]
    decile = _deciles(rng, z, kota)
    q = np.clip(0.78 - 0.2 * (decile - 1) + 0.08 * z + rng.normal(0, 0.12, n) - 0.2 * kota, 0, 1)
    frame = pl.DataFrame(
        {
            "desa_idx": desa_idx.astype(np.int32),
            "seq": (group_rank(desa_idx) + 1).astype(np.int32),
            "kota": kota,
            "decile": decile.astype(np.int8),
            "percentile": (10 * (decile - 1) + rng.integers(1, 11, n)).astype(np.int8),
            "q": q,
        }
    )
    return frame.with_columns(**_composition(rng, decile), **_housing(rng, q), **_address(rng, n))


def _deciles(rng: np.random.Generator, z: np.ndarray, kota: np.ndarray) -> np.ndarray:
    """Decile I more likely in poorer desa and much less likely in a kota."""
    p1 = np.where(kota, np.clip(0.17 + 0.04 * z, 0.05, 0.4), np.clip(0.31 + 0.07 * z, 0.08, 0.65))
    rest_rural = np.cumsum([0.27, 0.23, 0.20]) / 0.70
    rest_kota = np.cumsum([0.26, 0.28, 0.29]) / 0.83
    u = rng.random(len(z))
    v = rng.random(len(z))
    rest = np.where(kota[:, None], rest_kota[None, :], rest_rural[None, :])
    upper = 2 + (v[:, None] >= rest[:, :2]).sum(axis=1)
    return np.where(u < p1, 1, upper)


def _composition(rng: np.random.Generator, decile: np.ndarray) -> dict[str, np.ndarray]:
    """Household size (mean 3.65 overall), the head's sex and age, and whether a spouse lives there."""
    n = len(decile)
    base = SIZE_BY_DECILE[decile - 1]
    scale = (MEAN_SIZE - 1) / base.mean() if n else 1.0
    size = np.minimum(1 + rng.poisson(base * scale), MAX_SIZE)
    female_head = rng.random(n) < np.where(decile == 1, 0.17, 0.13)
    head_age = np.where(
        female_head, np.clip(rng.normal(54, 13, n), 20, 90), np.clip(rng.normal(45, 12, n), 19, 88)
    ).astype(np.int16)
    head_age = np.where(size == 1, np.maximum(head_age, 40 + rng.integers(0, 35, n)), head_age)
    spouse = (size >= 2) & (rng.random(n) < np.where(female_head, 0.08, 0.93))
    return {
        "size": size.astype(np.int8),
        "head_female": female_head,
        "head_age": head_age.astype(np.int16),
        "has_spouse": spouse,
    }


def _address(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Components of the address: dusun or street, house number, RT and RW."""
    return {
        "addr_place": rng.integers(0, 64, n).astype(np.int8),
        "addr_no": rng.integers(1, 200, n).astype(np.int16),
        "addr_rt": rng.integers(1, 16, n).astype(np.int8),
        "addr_rw": rng.integers(1, 6, n).astype(np.int8),
    }


def _housing(rng: np.random.Generator, q: np.ndarray) -> dict[str, np.ndarray]:
    """Building, water, toilet, energy and assets, poorer with larger `q`."""
    n = len(q)
    floor_area = rng.lognormal(np.log(50) - 0.35 * q, 0.45)
    whole = rng.random(n) < 0.8
    floor_area = np.clip(np.where(whole, np.round(floor_area), np.round(floor_area * 2) / 2), 6, 400)
    cooking = mixed_choice(
        rng, [2, 9, 6, 3, 1, 5, 8, 7, 10], [0.76, 0.16, 0.03, 0.03, 0.01, 0.005, 0.005, 0.0, 0.0],
        [0.46, 0.47, 0.04, 0.0, 0.0, 0.005, 0.01, 0.005, 0.01], q,
    )  # fmt: skip
    gas = np.isin(cooking, [2, 3]) | (rng.random(n) < 0.1)
    return {
        "sta_bangunan": choice(rng, [1, 2, 3, 4, 5], [0.83, 0.05, 0.09, 0.01, 0.02], n).astype(np.int8),
        "luas_lantai": floor_area,
        "lantai": mixed_choice(
            rng,
            list(range(1, 11)),
            [0.01, 0.2, 0.01, 0.06, 0.04, 0.56, 0.01, 0.05, 0.05, 0.01],
            [0.0, 0.05, 0.0, 0.03, 0.03, 0.55, 0.04, 0.12, 0.17, 0.01],
            q,
        ).astype(np.int8),  # fmt: skip
        "dinding": mixed_choice(
            rng,
            list(range(1, 8)),
            [0.72, 0.04, 0.17, 0.03, 0.01, 0.02, 0.01],
            [0.4, 0.07, 0.3, 0.12, 0.03, 0.07, 0.01],
            q,
        ).astype(np.int8),  # fmt: skip
        "kondisi_dinding": np.where(rng.random(n) < 0.12 + 0.25 * q, 2, 1).astype(np.int8),
        "atap": mixed_choice(
            rng,
            list(range(1, 11)),
            [0.01, 0.06, 0.45, 0.15, 0.31, 0.01, 0.003, 0.007, 0.003, 0.007],
            [0.0, 0.02, 0.37, 0.12, 0.37, 0.03, 0.02, 0.04, 0.025, 0.005],
            q,
        ).astype(np.int8),  # fmt: skip
        "kondisi_atap": np.where(rng.random(n) < 0.12 + 0.22 * q, 2, 1).astype(np.int8),
        "jumlah_kamar": np.clip(np.round(floor_area / 20 + rng.normal(0.5, 0.6, n)), 1, 8).astype(np.int8),
        "sumber_airminum": mixed_choice(
            rng,
            list(range(1, 13)),
            [0.04, 0.18, 0.08, 0.02, 0.29, 0.29, 0.05, 0.02, 0.01, 0.01, 0.005, 0.005],
            [0.01, 0.05, 0.03, 0.02, 0.2, 0.36, 0.16, 0.03, 0.04, 0.04, 0.03, 0.03],
            q,
        ).astype(np.int8),  # fmt: skip
        "sumber_penerangan": mixed_choice(
            rng, [1, 2, 3, 4], [0.76, 0.19, 0.04, 0.01], [0.52, 0.32, 0.12, 0.04], q
        ).astype(np.int8),  # fmt: skip
        "bb_masak": cooking.astype(np.int8),
        "fasbab": mixed_choice(
            rng, [1, 2, 3, 4], [0.74, 0.12, 0.03, 0.11], [0.44, 0.18, 0.09, 0.29], q
        ).astype(np.int8),  # fmt: skip
        "ada_tabung_gas": gas,
        "ada_lemari_es": rng.random(n) < 0.4 - 0.32 * q,
        "ada_motor": rng.random(n) < 0.75 - 0.4 * q,
        "sta_kks": rng.random(n) < 0.25 + 0.45 * q,
        "sta_kis": rng.random(n) < 0.3 + 0.45 * q,
        "sta_pkh": rng.random(n) < 0.05 + 0.3 * q,
        "sta_rastra": rng.random(n) < 0.45 + 0.35 * q,
        "sta_kur": rng.random(n) < 0.04,
    }
