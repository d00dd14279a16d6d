"""Reference data the landing checks against: region codes of both systems, programmes, funding spellings.

Read from the repository (reference/wilayah_lampung and the dbt seeds), the same files dbt and the demo
generator use, so the rules cannot drift apart.
"""

from functools import cache

import polars as pl

from pipelines import settings

WILAYAH_FILES = {
    "wilayah_regencies": "regencies.csv",
    "wilayah_districts": "districts.csv",
    "wilayah_villages": "villages.csv",
}


def read_wilayah(table: str) -> pl.DataFrame:
    return pl.read_csv(settings.REFERENCE_DIR / WILAYAH_FILES[table], infer_schema=False)


@cache
def bps_villages() -> pl.DataFrame:
    """Every BPS (MFD 2018) desa code with its Kemendagri counterpart, null where none matched."""
    frame = pl.read_csv(settings.REFERENCE_DIR / "bps_mfd_2018" / "villages.csv", infer_schema=False)
    return frame.select(
        pl.col("bps_code").alias("bps_desa_code"),
        pl.col("kemendagri_code").alias("kemendagri_desa_code"),
    )


@cache
def kemendagri_village_codes() -> pl.DataFrame:
    return read_wilayah("wilayah_villages").select(pl.col("village_code").alias("kemendagri_desa_code"))


@cache
def programme_codes() -> pl.DataFrame:
    catalogue = pl.read_csv(settings.SEEDS_DIR / "programme_catalogue.csv", infer_schema=False)
    return catalogue.select("kode_program").with_columns(pl.lit(True).alias("_known_programme"))


@cache
def funding_spellings() -> pl.DataFrame:
    """Lower-cased, space-folded spelling -> canonical funding source."""
    return pl.read_csv(settings.SEEDS_DIR / "funding_source_map.csv", infer_schema=False).select(
        pl.col("spelling").alias("_funding_key"),
        pl.col("sumber_dana").alias("sumber_dana"),
    )
