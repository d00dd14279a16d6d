"""Landing one source: find its files, read the new or changed ones, type and judge every row, and swap the
result in. Rows read = rows landed + rows quarantined, per file, always.
"""

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.landing import dropzone, store
from pipelines.landing.fingerprint import rules_fingerprint
from pipelines.landing.reading import (
    MALFORMED,
    ROW,
    SHEET,
    DeliveredFile,
    UnreadableFileError,
    delivered,
    precheck,
    read_file,
)
from pipelines.landing.rules import MESSAGE, REASON, TYPED, first_failure
from pipelines.landing.sources import BDT_INDIVIDUALS, Landed, Source

LINEAGE = ["_source_file", "_source_checksum", "_source_row", "_loaded_at"]
log = logging.getLogger(__name__)


@dataclass
class LandingReport:
    table: str
    files_landed: list[str] = field(default_factory=list)
    files_unchanged: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_ignored: list[str] = field(default_factory=list)
    files_waiting: list[str] = field(default_factory=list)  # still being written: not taken this run
    rows_read: int = 0  # over every file now in the table, not only this run's
    rows_landed: int = 0
    rows_quarantined: int = 0
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    per_file: pl.DataFrame | None = None
    flagged: dict[str, int] = field(default_factory=dict)


def discover(
    source: Source, raw_root: Path, quiet_seconds: float = dropzone.DEFAULT_QUIET_SECONDS
) -> tuple[list[DeliveredFile], list[str], list[str]]:
    """The source's complete files in the drop zone (sorted by path), its files still being written, and
    other files in its folder (reported). The drop zone's rules are `dropzone`'s, as for the sensor."""
    found, waiting, ignored = [], [], []
    now = time.time()
    for relpath, st in dropzone.files(raw_root, source.folder):
        if not source.matches(relpath):
            if not _belongs_to_sibling(source, relpath):
                ignored.append(relpath)
        elif dropzone.is_complete(raw_root, relpath, st, quiet_seconds, now):
            found.append(delivered(raw_root / relpath, raw_root))
        else:
            waiting.append(relpath)
    return found, waiting, ignored


def _belongs_to_sibling(source: Source, relpath: str) -> bool:
    from pipelines.landing.sources import SOURCES

    return any(s.matches(relpath) for s in SOURCES if s is not source and s.folder == source.folder)


def judge_file(source: Source, f: DeliveredFile, loaded_at, landed: Landed | None = None) -> pl.DataFrame:
    """Read, type and judge one file: every row with its typed values, reason (null = lands) and message."""
    delivered_rows = read_file(f, source.required)
    if source.check_file is not None:
        source.check_file(delivered_rows, f, landed or Landed())
    frame = source.prepare(delivered_rows.lazy(), f)
    return frame.with_columns(
        *first_failure(source.rules),
        pl.lit(f.relpath).alias("_source_file"),
        pl.lit(f.checksum).alias("_source_checksum"),
        pl.col(ROW).alias("_source_row"),
        pl.lit(loaded_at).alias("_loaded_at"),
    ).collect()


def mark_duplicates(frame: pl.DataFrame, source: Source, already: pl.DataFrame | None) -> pl.DataFrame:
    """The first occurrence of a key lands; later ones, and keys landed from untouched files, go to quarantine.

    `frame` is in delivery order (files by path, rows by number), so "first" is a plain first-distinct.
    """
    if not source.key or frame.height == 0:
        return frame
    candidate = pl.col(REASON).is_null()
    keys = [TYPED + k for k in source.key]
    key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(keys)
    seen_before = pl.lit(False)
    if already is not None and already.height:
        already = already.rename({k: TYPED + k for k in source.key}).select(keys)
        earlier = already.to_series() if len(keys) == 1 else already.select(pl.struct(keys)).to_series()
        seen_before = key.is_in(earlier.implode())
    valid_key = pl.when(candidate).then(key)
    duplicate = candidate & (~valid_key.is_first_distinct() | seen_before)
    key_text = pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="/")
    return frame.with_columns(
        pl.when(duplicate).then(pl.lit("duplicate_key")).otherwise(pl.col(REASON)).alias(REASON),
        pl.when(duplicate)
        .then(
            pl.format("{} {} was already landed from an earlier row", pl.lit("/".join(source.key)), key_text)
        )
        .otherwise(pl.col(MESSAGE))
        .alias(MESSAGE),
    )


def split(frame: pl.DataFrame, source: Source, raw_columns: list[str], table: str):
    landed = frame.filter(pl.col(REASON).is_null()).select(
        *[pl.col(TYPED + c).alias(c) for c in source.output], *LINEAGE
    )
    bad = frame.filter(pl.col(REASON).is_not_null())
    quarantined = bad.select(
        pl.lit(table).alias("table_name"),
        pl.col("_source_file").alias("source_file"),
        pl.col("_source_checksum").alias("source_checksum"),
        pl.col("_source_row").alias("source_row"),
        pl.col(REASON).alias("reason_code"),
        pl.col(MESSAGE).alias("message"),
        pl.struct(raw_columns).struct.json_encode().alias("raw_values"),
        pl.col("_loaded_at"),
    )
    return landed, quarantined


def land_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    raw_root: Path,
    progress: Callable[[str], None] = log.info,
    quiet_seconds: float = dropzone.DEFAULT_QUIET_SECONDS,
) -> LandingReport:
    """Land the source's new and changed files; unchanged files judged by the same rules are not read again.

    A landed file that left the drop zone fails the landing unless it was retired (`retire` command); a
    file still being written is not taken (its earlier version, if any, stays).
    """
    dropzone.require(raw_root)
    store.ensure_schema(con)
    report = LandingReport(table=source.table)
    files, report.files_waiting, report.files_ignored = discover(source, raw_root, quiet_seconds)
    for relpath in report.files_ignored:
        progress(f"{relpath}: not a {source.table} file name ({source.file_pattern}); ignored")
    for relpath in report.files_waiting:
        progress(
            f"{relpath}: still being written (or copied without the intake command less than "
            f"{quiet_seconds:.0f} s ago): not taken this run"
        )
    before = store.ledger(con, source.table)
    judged_by = rules_fingerprint()
    expected = [*source.output, *LINEAGE, *source.hashed]
    reshaped = store.table_columns(con, source.table) not in (None, expected)
    changed = [f for f in files if reshaped or before.get(f.relpath) != (f.checksum, judged_by)]
    present = {f.relpath for f in files} | set(report.files_waiting)
    for relpath in store.cancel_retirements(con, source.table, present):
        progress(f"{relpath}: delivered again after it was retired; its retirement is cancelled")
    gone = sorted(p for p in before if p not in present)
    _refuse_vanished(con, source, gone, before)
    report.files_removed = gone
    report.files_unchanged = [f.relpath for f in files if f not in changed]

    if changed or report.files_removed:
        for f in changed:  # fail fast, before any work, on files whose start cannot be read
            precheck(f, source.required)
        _land_changed(con, source, changed, report, expected, progress, judged_by)
    if store.table_columns(con, source.table) is None:
        progress(
            f"no {source.table} files in {raw_root / source.folder}: creating an empty raw.{source.table}"
        )
        _create_empty(con, source)
    if source.table == "interventions":
        report.flagged["flag_deceased_beneficiary"] = store.flag_deceased_beneficiaries(con)
    _totals(con, report)
    return report


def _refuse_vanished(con, source: Source, gone: list[str], before: dict[str, tuple[str, str]]) -> None:
    """Rows leave the warehouse only by an explicit act: a landed file missing without retirement fails."""
    retired = store.pending_retirements(con, source.table)
    vanished = [p for p in gone if retired.get(p) != before[p][0]]
    if not vanished:
        return
    rows = dict(store.file_figures(con, source.table).select("source_file", "rows_landed").iter_rows())
    shown = ", ".join(f"{p} ({rows.get(p, 0):,} rows landed)" for p in vanished)
    raise UnreadableFileError(
        ", ".join(vanished),
        f"landed earlier but no longer in the drop zone: {shown}. Nothing of raw.{source.table} was "
        "changed. Put the file back, or, to remove its rows on purpose, retire it: "
        "python -m pipelines.cli retire <file> --by <your name>",
    )


def _land_changed(
    con,
    source: Source,
    changed: list[DeliveredFile],
    report: LandingReport,
    expected: list[str],
    progress,
    judged_by: str,
) -> None:
    loaded_at = store.now()
    replaced = [f.relpath for f in changed] + report.files_removed
    with store.FileSwap(con, source.table, source.hashed) as swap:
        swap.remove(replaced, reshape_to=expected, retired=report.files_removed)
        seen = store.existing_keys(con, source.table, source.key, replaced) if source.key else None
        landed = Landed(households=store.household_kabupaten(con) if source is BDT_INDIVIDUALS else None)
        for i, (f, frame) in enumerate(_judged_ahead(source, changed, loaded_at, landed), 1):
            frame = mark_duplicates(frame, source, seen)
            landed, quarantined = split(frame, source, _delivered_columns(frame), source.table)
            swap.append(landed, quarantined, _ledger_rows(frame, [f], source.table, loaded_at, judged_by))
            if source.key:
                keys = landed.select(source.key)
                seen = keys if seen is None else pl.concat([seen, keys], how="vertical_relaxed")
            progress(
                f"[{i}/{len(changed)}] {f.relpath}: {frame.height:,} rows read, {landed.height:,} landed, "
                f"{quarantined.height:,} quarantined"
            )
    report.files_landed = [f.relpath for f in changed]


def _judged_ahead(
    source: Source, files: list[DeliveredFile], loaded_at, landed: Landed
) -> Iterator[tuple[DeliveredFile, pl.DataFrame]]:
    """Each file judged while the one before is written: DuckDB's insert and polars' parsing both release
    the GIL, so the two overlap on two cores. An unreadable file raises here and rolls the swap back."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(judge_file, source, files[0], loaded_at, landed) if files else None
        for i, f in enumerate(files):
            frame = ahead.result()
            nxt = files[i + 1] if i + 1 < len(files) else None
            ahead = pool.submit(judge_file, source, nxt, loaded_at, landed) if nxt else None
            yield f, frame


def _delivered_columns(frame: pl.DataFrame) -> list[str]:
    """The row as delivered (and, for a workbook, its sheet): what the quarantine keeps."""
    return [c for c in frame.columns if not c.startswith(("_", TYPED)) or c == SHEET]


def _create_empty(con, source: Source) -> None:
    """Downstream models and checks find the table, empty, instead of failing on a missing relation."""
    example = DeliveredFile(path=Path(source.example), relpath=source.example, checksum="")
    empty = pl.DataFrame(
        schema={ROW: pl.Int64, **dict.fromkeys(source.required, pl.String), MALFORMED: pl.Boolean}
    )
    frame = (
        source.prepare(empty.lazy(), example)
        .with_columns(
            *first_failure(source.rules),
            pl.lit(None, pl.String).alias("_source_file"),
            pl.lit(None, pl.String).alias("_source_checksum"),
            pl.col(ROW).alias("_source_row"),
            pl.lit(None, pl.Datetime).alias("_loaded_at"),
        )
        .collect()
    )
    landed, _ = split(frame, source, source.required, source.table)
    with store.FileSwap(con, source.table, source.hashed) as swap:
        swap.append(landed, _empty_quarantine(), _empty_ledger())


def _ledger_rows(
    frame: pl.DataFrame, changed: list[DeliveredFile], table: str, loaded_at, judged_by: str
) -> pl.DataFrame:
    counts = frame.group_by("_source_file").agg(
        pl.len().alias("rows_read"),
        pl.col(REASON).is_null().sum().alias("rows_landed"),
        pl.col(REASON).is_not_null().sum().alias("rows_quarantined"),
    )
    files = pl.DataFrame(
        {"source_file": [f.relpath for f in changed], "source_checksum": [f.checksum for f in changed]}
    )
    return (
        files.join(counts, left_on="source_file", right_on="_source_file", how="left")
        .with_columns(pl.col("rows_read", "rows_landed", "rows_quarantined").fill_null(0).cast(pl.Int64))
        .select(
            pl.lit(table).alias("table_name"),
            "source_file",
            "source_checksum",
            "rows_read",
            "rows_landed",
            "rows_quarantined",
            pl.lit(loaded_at).alias("loaded_at"),
            pl.lit(judged_by).alias("rules_fingerprint"),
        )
    )


def _empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=store.QUARANTINE_SCHEMA)


def _empty_ledger() -> pl.DataFrame:
    return pl.DataFrame(schema=store.LEDGER_SCHEMA)


def _totals(con: duckdb.DuckDBPyConnection, report: LandingReport) -> None:
    report.per_file = store.file_figures(con, report.table)
    report.rows_read = int(report.per_file["rows_read"].sum() or 0)
    report.rows_landed = int(report.per_file["rows_landed"].sum() or 0)
    report.rows_quarantined = int(report.per_file["rows_quarantined"].sum() or 0)
    report.quarantine_by_reason = store.quarantine_by_reason(con, report.table)
