"""Reference data the landing checks against: region codes of both systems, programmes, funding spellings.

Read from the repository (reference/wilayah_lampung and the dbt seeds), the same files dbt and the demo
generator use, so the rules cannot drift apart. Each file is cached by its size and mtime: an edited seed is
read again in a long-running process (and `fingerprint` makes the landing re-judge what it decided).
"""

import os
from functools import cache
from pathlib import Path

import polars as pl

from pipelines import settings

WILAYAH_FILES = {
    "wilayah_regencies": "regencies.csv",
    "wilayah_districts": "districts.csv",
    "wilayah_villages": "villages.csv",
}


def _csv(path: Path) -> pl.DataFrame:
    st = os.stat(path)
    return _read(path, st.st_size, st.st_mtime_ns)


@cache
def _read(path: Path, size: int, mtime_ns: int) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def read_wilayah(table: str) -> pl.DataFrame:
    return _csv(settings.REFERENCE_DIR / WILAYAH_FILES[table])


def bps_villages() -> pl.DataFrame:
    """Every BPS (MFD 2018) desa code with its Kemendagri counterpart, null where none matched."""
    frame = _csv(settings.REFERENCE_DIR / "bps_mfd_2018" / "villages.csv")
    return frame.select(
        pl.col("bps_code").alias("bps_desa_code"),
        pl.col("kemendagri_code").alias("kemendagri_desa_code"),
    )


def kemendagri_village_codes() -> pl.DataFrame:
    return read_wilayah("wilayah_villages").select(pl.col("village_code").alias("kemendagri_desa_code"))


def programme_codes() -> pl.DataFrame:
    catalogue = _csv(settings.SEEDS_DIR / "programme_catalogue.csv")
    return catalogue.select("kode_program").with_columns(pl.lit(True).alias("_known_programme"))


def funding_spellings() -> pl.DataFrame:
    """Lower-cased, space-folded spelling -> canonical funding source."""
    return _csv(settings.SEEDS_DIR / "funding_source_map.csv").select(
        pl.col("spelling").alias("_funding_key"),
        pl.col("sumber_dana").alias("sumber_dana"),
    )
