"""Deliveries in and out of the drop zone, on purpose: `intake` and `retire`.

`python -m pipelines.cli intake FILE... [--year YYYY] [--by NAME]` validates each file as the landing would
(readable, header with the required columns, every row judged, a BDT file's rows belong to the kabupaten of
its name, the last line complete) and, if it can be landed, copies it beside the drop zone and moves it in
with one rename, leaving a completion marker: the sensor and the landing take it at once, never half. The
original is left where it was. BDT, IKD and population files go to their folder by name; an intervention
report needs `--year` (its folder).

`python -m pipelines.cli retire FILE... --by NAME [--reason TEXT]` is the only way to remove a delivery's
rows: it records who retired which landed file and when in `raw.file_retirements` (beside the ledger) and
moves the file to `raw/_retired/<time>/` (nothing is deleted). The next run removes its rows; a landed file
that disappears without this fails its landing, naming the file.
"""

import argparse
import getpass
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.landing import dropzone, store
from pipelines.landing.engine import judge_file
from pipelines.landing.reading import DeliveredFile, UnreadableFileError, precheck, sha256_file
from pipelines.landing.rules import REASON
from pipelines.landing.sources import BDT_INDIVIDUALS, INTERVENTIONS, SOURCES, Landed, Source
from pipelines.resources import warehouse_resource

RETIRED = "_retired"


class IntakeError(Exception):
    """A file that is not taken into the drop zone, with the reason."""


def destination(path: Path, year: str | None) -> tuple[str, Source]:
    """Where a file goes in the drop zone, and the source that will land it."""
    for source in SOURCES:
        relpath = f"{source.folder}/{path.name}"
        if source is not INTERVENTIONS and source.matches(relpath):
            return relpath, source
    if path.suffix.lower() in (".csv", ".xlsx"):
        if year and len(year) == 4 and year.isdigit():
            return f"interventions/{year}/{path.name}", INTERVENTIONS
        raise IntakeError(
            "not a BDT, IKD or population file name (BDT2015_RT_<kab>.csv, BDT2015_ART_<kab>.csv, "
            "IKD_<year>.csv, penduduk_desa_<year>.csv); for an intervention report give its year: --year YYYY"
        )
    raise IntakeError("only .csv and .xlsx files are delivered")


def validate(path: Path, relpath: str, source: Source) -> dict[str, int]:
    """Judge the file as the landing will; refuse it if it cannot be landed or was cut short."""
    f = DeliveredFile(path=path, relpath=relpath, checksum=sha256_file(path))
    try:
        precheck(f, source.required)
        if path.suffix.lower() == ".csv" and not _ends_with_newline(path):
            raise IntakeError(
                "the last line has no line ending: the file looks cut short (an interrupted copy or "
                "export); export or copy it again"
            )
        frame = judge_file(source, f, store.now(), _landed(source))
    except UnreadableFileError as exc:
        raise IntakeError(exc.problem) from exc
    reasons = frame.filter(pl.col(REASON).is_not_null()).group_by(REASON).len()
    return {"rows": frame.height, **dict(reasons.iter_rows())}


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(max(path.stat().st_size - 1, 0))
        return fh.read(1) == b"\n"


def _landed(source: Source) -> Landed:
    """The landed households a members' file is checked against, if the warehouse can be read now."""
    path = warehouse_resource(resolve=True).db_path()
    if source is not BDT_INDIVIDUALS or not path.exists():
        return Landed()
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return Landed(households=store.household_kabupaten(con))
    except duckdb.Error:  # a run holds the warehouse: the landing checks it anyway
        return Landed()


def move_in(path: Path, raw: Path, relpath: str, by: str) -> Path:
    """Copy beside the drop zone, flush, mark complete, then one rename into place."""
    target = raw / relpath
    staging = raw / dropzone.MARKERS / ".incoming"
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f"{os.getpid()}-{path.name}"
    shutil.copyfile(path, tmp)
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    st = tmp.stat()
    target.parent.mkdir(parents=True, exist_ok=True)
    dropzone.mark_complete(raw, relpath, st, by=by, at=_now(), source=str(path))
    os.replace(tmp, target)
    return target


def intake(paths: list[Path], year: str | None, by: str) -> int:
    raw = dropzone.require(warehouse_resource(resolve=True).raw_dir())
    refused = 0
    for path in paths:
        try:
            if not path.is_file():
                raise IntakeError("no such file")
            relpath, source = destination(path, year)
            figures = validate(path, relpath, source)
        except IntakeError as exc:
            print(f"REFUSED {path}: {exc}. Nothing was moved into {raw}.")
            refused += 1
            continue
        replaces = (raw / relpath).exists()
        move_in(path, raw, relpath, by)
        rows = figures.pop("rows")
        judged = f"{rows:,} rows, {rows - sum(figures.values()):,} will land"
        if figures:
            judged += ", " + ", ".join(f"{n:,} to quarantine as {r}" for r, n in sorted(figures.items()))
        print(
            f"TAKEN {path} -> {raw / relpath}{' (replaces the earlier delivery)' if replaces else ''}: "
            f"{judged} (raw.{source.table})"
        )
    return 1 if refused else 0


def retire(files: list[str], by: str, reason: str) -> int:
    """Record the retirement of landed files and move them out of the drop zone."""
    warehouse = warehouse_resource(resolve=True)
    raw = dropzone.require(warehouse.raw_dir())
    relpaths = [_relpath(raw, f) for f in files]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        return _retire(raw, relpaths, by, reason, stamp, warehouse)
    except duckdb.IOException as exc:  # another process (a run) holds the warehouse
        print(f"NOT RETIRED: the warehouse is in use ({exc}); nothing changed. Retry when the run has ended.")
        return 1


def _retire(raw: Path, relpaths: list[str], by: str, reason: str, stamp: str, warehouse) -> int:
    with warehouse.connect() as con:
        store.ensure_schema(con)
        landed = {
            f: (table, checksum, rows)
            for table, f, checksum, rows in con.execute(
                "select table_name, source_file, source_checksum, rows_landed from raw.file_ledger "
                "where list_contains(?::varchar[], source_file)",
                [relpaths],
            ).fetchall()
        }
        unknown = [f for f in relpaths if f not in landed]
        if unknown:
            print(
                f"NOT RETIRED: {', '.join(unknown)} was never landed (not in raw.file_ledger); nothing changed."
            )
            return 1
        store.run(con, "begin transaction")
        for f in relpaths:
            table, checksum, rows = landed[f]
            store.run(
                con,
                "insert into raw.file_retirements (table_name, source_file, source_checksum, rows_landed, retired_by, "
                "retired_at, reason) values (?, ?, ?, ?, ?, current_timestamp::timestamp, ?)",
                [table, f, checksum, rows, by, reason],
            )
        store.run(con, "commit")
    for f in relpaths:
        table, _, rows = landed[f]
        where = ""
        if (raw / f).exists():
            kept = raw / RETIRED / stamp / f
            kept.parent.mkdir(parents=True, exist_ok=True)
            os.replace(raw / f, kept)
            where = f"; the file was moved to {kept}"
        dropzone.marker_path(raw, f).unlink(missing_ok=True)
        print(f"RETIRED {f} by {by}: its {rows:,} rows leave raw.{table} at the next run (make run){where}")
    return 0


def _relpath(raw: Path, name: str) -> str:
    path = Path(name)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(raw.resolve()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix().removeprefix("raw/")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("intake", help="validate files and move them into the drop zone atomically")
    take.add_argument("files", nargs="+", type=Path)
    take.add_argument("--year", help="report year (folder) of intervention reports")
    take.add_argument("--by", default=getpass.getuser(), help="who delivers (default: your user name)")
    out = commands.add_parser("retire", help="remove a landed delivery's rows on purpose, recorded")
    out.add_argument("files", nargs="+", help="path in the drop zone, e.g. interventions/2016/dinsos.csv")
    out.add_argument("--by", required=True, help="who retires the file (recorded in raw.file_retirements)")
    out.add_argument("--reason", default="", help="why (recorded)")
    args = parser.parse_args(argv)
    if args.command == "intake":
        return intake(args.files, args.year, args.by)
    return retire(args.files, args.by, args.reason)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
