"""Landing assets (group `raw`): one per landed table of schema `raw` in the warehouse.

Each asset lands only new or changed files (by checksum and the fingerprint of the rules), quarantines rows
that cannot be landed, and reports rows read, landed and quarantined, per reason and per file, as its
metadata. A file that cannot be read at all, a landed file that vanished without being retired, a BDT file
holding another kabupaten's rows and a missing drop zone fail the asset with a message naming the file, and
nothing of that source is written. Files still being written wait for a later run.
"""

from pathlib import Path

import dagster as dg
import polars as pl

from pipelines import markdown
from pipelines.landing import LandingReport, UnreadableFileError, dropzone, land_source, store
from pipelines.landing.reference import WILAYAH_FILES, read_wilayah
from pipelines.landing.sources import (
    BDT_HOUSEHOLDS,
    BDT_IKD,
    BDT_INDIVIDUALS,
    INTERVENTIONS,
    POPULATION,
    Source,
)
from pipelines.personal_data import CLEARTEXT_COLUMNS
from pipelines.resources import DropZoneResource, WarehouseResource

PREVIEW_ROWS = 5


def wilayah_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def _wilayah_asset(table: str) -> dg.AssetsDefinition:
    level = table.removeprefix("wilayah_")

    @dg.asset(
        key=wilayah_key(table),
        group_name="raw",
        kinds={"duckdb"},
        description=f"Lampung {level} with Kemendagri and BPS codes and how each pair was matched "
        f"(reference/wilayah_lampung/{WILAYAH_FILES[table]}). Every join across code systems goes through it.",
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        _require_drop_zone(warehouse.raw_dir())
        frame = read_wilayah(table)
        with warehouse.connect() as con:
            store.run(con, "create schema if not exists raw")
            con.register("_wilayah", frame.to_arrow())
            store.run(con, f"create or replace table raw.{table} as select * from _wilayah")
            con.unregister("_wilayah")
        context.log.info(f"raw.{table}: {frame.height} rows from the reference")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": frame.height,
                "preview": dg.MetadataValue.md(markdown.frame_table(frame.head(PREVIEW_ROWS))),
            }
        )

    return _asset


def _require_drop_zone(raw: Path) -> Path:
    """A missing drop zone (a mistyped TKPK_DATA_DIR) fails before any warehouse is opened or created."""
    try:
        return dropzone.require(raw)
    except dropzone.DropZoneMissingError as exc:
        raise dg.Failure(description=str(exc), metadata={"drop_zone": str(exc.raw)}) from exc


def landing_metadata(report: LandingReport, preview: pl.DataFrame) -> dict:
    return {
        "dagster/row_count": report.rows_landed,
        "rows_read": report.rows_read,
        "rows_landed": report.rows_landed,
        "rows_quarantined": report.rows_quarantined,
        "quarantine_by_reason": dg.MetadataValue.json(report.quarantine_by_reason),
        "flagged": dg.MetadataValue.json(report.flagged),
        "files_landed_this_run": dg.MetadataValue.json(report.files_landed),
        "files_unchanged": len(report.files_unchanged),
        "files_removed": dg.MetadataValue.json(report.files_removed),
        "files_ignored": dg.MetadataValue.json(report.files_ignored),
        "files_waiting": dg.MetadataValue.json(report.files_waiting),
        "per_file": dg.MetadataValue.md(markdown.frame_table(report.per_file.drop("loaded_at"))),
        "preview": dg.MetadataValue.md(markdown.frame_table(preview)),
    }


def _landing_asset(source: Source, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["raw", source.table]),
        group_name="raw",
        kinds={"polars", "duckdb"},
        deps=deps,
        description=f"{source.description} Files: data/raw/{source.folder}/ ({source.file_pattern}).",
    )
    def _asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, drop_zone: DropZoneResource
    ) -> dg.MaterializeResult:
        raw_root = _require_drop_zone(warehouse.raw_dir())
        try:
            with warehouse.connect() as con:
                report = land_source(con, source, raw_root, context.log.info, drop_zone.quiet())
                preview = _preview(con, source.table)
        except UnreadableFileError as exc:
            raise dg.Failure(
                description=f"raw.{source.table} was not landed: {exc}",
                metadata={"file": exc.relpath, "problem": exc.problem},
            ) from exc
        context.log.info(
            f"raw.{source.table}: {report.rows_read:,} rows read = {report.rows_landed:,} landed + "
            f"{report.rows_quarantined:,} quarantined {report.quarantine_by_reason}; "
            f"{len(report.files_landed)} file(s) landed, {len(report.files_unchanged)} unchanged"
        )
        return dg.MaterializeResult(metadata=landing_metadata(report, preview))

    return _asset


def _preview(con, table: str) -> pl.DataFrame:
    columns = [
        c for c in store.table_columns(con, table) or [] if c not in CLEARTEXT_COLUMNS
    ]  # the UI is no place for personal data
    if not columns:
        return pl.DataFrame()
    return con.sql(f"select {', '.join(columns)} from raw.{table} limit {PREVIEW_ROWS}").pl()


wilayah_assets = [_wilayah_asset(t) for t in WILAYAH_FILES]
villages = wilayah_key("wilayah_villages")

raw_assets = [
    *wilayah_assets,
    _landing_asset(BDT_HOUSEHOLDS, [villages]),
    _landing_asset(BDT_INDIVIDUALS, []),
    _landing_asset(BDT_IKD, [villages]),
    _landing_asset(INTERVENTIONS, [villages, dg.AssetKey(["raw", "bdt_individuals"])]),
    _landing_asset(POPULATION, [villages]),
]
