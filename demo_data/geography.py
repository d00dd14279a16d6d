"""Regions of the demo: the real Lampung desa (both code systems) with a latent poverty level per desa.

The latent level `z` drives everything regional: the share of the population in the BDT, the share of
decile-I households, and the IKD class, so poorer villages are poorer in every source at once.
Kota (1871 Bandar Lampung, 1872 Metro) get a lower BDT share and fewer decile-I households.
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

from demo_data.sampling import stream
from demo_data.scales import Scale
from pipelines import settings

BDT_SHARE_PROVINCE = 0.40  # BDT people / Dukcapil population, province-wide (3.2 M of ~8 M)


@dataclass(frozen=True)
class Geography:
    """The regions of one scale."""

    desa: pl.DataFrame  # every Kemendagri desa of the present kab/kota, sorted by village_code
    districts: pl.DataFrame  # all 228 Lampung kecamatan (for NIK prefixes of people born elsewhere)
    regencies: pl.DataFrame  # the present kab/kota


def _read(name: str) -> pl.DataFrame:
    return pl.read_csv(settings.REFERENCE_DIR / name, infer_schema=False)


def load(scale: Scale, seed: int) -> Geography:
    """Reference regions of the scale plus each desa's latent poverty and BDT share."""
    regencies = _read("regencies.csv")
    if scale.regencies is not None:
        regencies = regencies.filter(pl.col("regency_code").is_in(list(scale.regencies)))
    regencies = regencies.sort("regency_code")
    villages = (
        _read("villages.csv")
        .filter(pl.col("regency_code").is_in(regencies["regency_code"].to_list()))
        .join(
            regencies.select("regency_code", pl.col("bps_code").alias("bps_kab"), "type", "short_name"),
            on="regency_code",
            suffix="_kab",
        )
        .with_columns(
            is_kota=pl.col("type_kab") == "kota",
            has_bps=pl.col("bps_code").is_not_null() & (pl.col("bps_code") != ""),
        )
        .sort("village_code")
    )
    districts = _read("districts.csv").sort("district_code")
    return Geography(desa=_latent(villages, seed), districts=districts, regencies=regencies)


def _latent(desa: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Latent poverty `z`, BDT share `s` and expected population weight `w_pop` per desa."""
    rng = stream(seed, "geography")
    n = desa.height
    kab_codes, kab_idx = np.unique(desa["regency_code"].to_numpy(), return_inverse=True)
    kab_effect = rng.normal(0.0, 0.35, len(kab_codes))
    z = rng.normal(0.0, 1.0, n) + kab_effect[kab_idx]
    kota = desa["is_kota"].to_numpy()
    kelurahan = (desa["type"] == "kelurahan").to_numpy()
    s = np.where(kota, np.clip(0.22 + 0.05 * z, 0.08, 0.5), np.clip(0.43 + 0.07 * z, 0.15, 0.8))
    s = np.where(kelurahan & ~kota, s * 0.8, s)
    w_pop = rng.lognormal(0.0, 0.45, n) * np.where(kota, 3.0, np.where(kelurahan, 1.6, 1.0))
    w_bdt = np.where(desa["has_bps"].to_numpy(), w_pop * s, 0.0)
    # calibrate s so that BDT people / population = 40% province-wide, given where households land
    expected_bdt = w_bdt / w_bdt.sum()
    ratio = expected_bdt.sum() / (expected_bdt / s).sum()
    s = np.clip(s * BDT_SHARE_PROVINCE / ratio, 0.05, 0.9)
    return desa.with_columns(
        pl.Series("z", z), pl.Series("bdt_share", s), pl.Series("w_pop", w_pop), pl.Series("w_bdt", w_bdt)
    )
