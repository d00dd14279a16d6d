"""Reading a publication consistently, and checking that it is: what BI-side Python (and the tests) do.

`marts.duckdb` is consistent by itself. For Parquet, resolve `current` once and read every file from the
release it names: that set is immutable, so it is one version whatever the nightly run does meanwhile.

`python -m pipelines.publishing.reader [--loop --stop-file F --out F.json]` checks the current publication
(every table one version, row counts as the manifest says); in loop mode it keeps checking until the stop file
appears and writes what it saw. The concurrent-reader test runs it as a separate process during refreshes;
operators can run it once as a health check.
"""

import argparse
import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipelines import settings
from pipelines.publishing.bi import (
    CURRENT,
    MANIFEST_FILE,
    PUBLICATION_TABLE,
    RELEASES,
    SERVING_FILE,
    VERSION_COLUMN,
)


class InconsistentRead(AssertionError):
    """A read saw something a publication can never contain (mixed versions, wrong row counts)."""


def pinned_release(marts_dir: Path | None = None) -> Path | None:
    """The release folder `current` points at right now (None before the first publication)."""
    marts_dir = Path(marts_dir) if marts_dir else settings.marts_dir()
    try:
        target = os.readlink(marts_dir / CURRENT)
    except FileNotFoundError:
        return None
    release = marts_dir / target
    if release.parent.name != RELEASES:
        raise RuntimeError(f"{marts_dir / CURRENT} points outside {RELEASES}/: {target}")
    return release


def read_manifest(release: Path) -> dict:
    return json.loads((release / MANIFEST_FILE).read_text(encoding="utf-8"))


@contextlib.contextmanager
def open_serving(marts_dir: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the serving file: one version for as long as it stays open."""
    marts_dir = Path(marts_dir) if marts_dir else settings.marts_dir()
    con = duckdb.connect(str(marts_dir / SERVING_FILE), read_only=True)
    try:
        yield con
    finally:
        con.close()


def check_serving(marts_dir: Path) -> tuple[str, dict[str, int]]:
    """Read every table of `marts.duckdb` in one connection; all must carry one version and the listed counts."""
    with open_serving(marts_dir) as con:
        listed = con.execute(
            f"select version, table_name, row_count from main.{PUBLICATION_TABLE}"
        ).fetchall()
        versions = {r[0] for r in listed}
        if len(versions) != 1:
            raise InconsistentRead(f"{PUBLICATION_TABLE} lists several versions: {versions}")
        (version,) = versions
        # Fully qualified: in a file named marts.duckdb, `marts.<table>` is ambiguous (catalog or schema).
        db = con.execute("select current_database()").fetchone()[0]
        counts: dict[str, int] = {}
        for _, table, expected in listed:
            for schema in ("main", "marts"):
                rows, stamps = con.execute(
                    f'select count(*), list(distinct {VERSION_COLUMN}) from "{db}"."{schema}"."{table}"'
                ).fetchone()
                if rows != expected or (rows and stamps != [version]):
                    raise InconsistentRead(
                        f"{schema}.{table}: {rows} rows stamped {stamps}, _publication says {expected} of {version}"
                    )
            counts[table] = int(expected)
    return version, counts


def _parquet_version(path: Path) -> tuple[int, set[str]]:
    """Rows and version stamps of one Parquet file, opened exactly once.

    Opened once on purpose: `pq.read_table(path)` (and pandas on pyarrow) opens the path twice, footer first
    and data later, and a switch landing between the two opens pairs one file's footer with the other's pages
    (an error). A file handle pins one file.
    """
    with open(path, "rb") as f:
        table = pq.read_table(f, columns=[VERSION_COLUMN])
    return table.num_rows, set(table.column(VERSION_COLUMN).unique().to_pylist())


def _parquet_version_duckdb(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, set[str]]:
    """The same through DuckDB's `read_parquet`, as Evidence, Superset or a notebook would read it."""
    lit = "'" + str(path).replace("'", "''") + "'"
    rows, stamps = con.execute(
        f"select count(*), list(distinct {VERSION_COLUMN}) from read_parquet({lit})"
    ).fetchone()
    return int(rows), set(stamps or [])


def check_pinned_parquet(marts_dir: Path, engine: str = "pyarrow") -> tuple[str, dict[str, int]]:
    """Resolve `current` once, then read the manifest and every Parquet file of that release.

    The release's paths never change, so any reader, including ones that open a file twice, is safe here.
    """
    release = pinned_release(marts_dir)
    if release is None:
        raise FileNotFoundError(f"Nothing published in {marts_dir}")
    manifest = read_manifest(release)
    version = manifest["version"]
    counts: dict[str, int] = {}
    con = duckdb.connect() if engine == "duckdb" else None
    try:
        for name, t in manifest["tables"].items():
            path = release / t["parquet"]
            rows, stamps = _parquet_version_duckdb(con, path) if con else _parquet_version(path)
            if rows != t["rows"] or (rows and stamps != {version}):
                raise InconsistentRead(
                    f"{release.name}/{t['parquet']}: {rows} rows stamped {stamps}, manifest {t}"
                )
            counts[name] = rows
    finally:
        if con:
            con.close()
    return version, counts


def check_stable_parquet(marts_dir: Path, engine: str = "pyarrow") -> dict[str, str]:
    """Read each top-level `<mart>.parquet` by its stable name: each must be one whole version.

    Files read one after another may come from different versions (see `bi`); each is checked against the
    manifest of its own version. Returns {table: version}. With engine "duckdb" (`read_parquet`, which opens
    the path twice: bind, then scan) a switch between the two opens makes the read fail; see `main`.
    """
    seen: dict[str, str] = {}
    manifest = read_manifest(marts_dir / CURRENT)
    con = duckdb.connect() if engine == "duckdb" else None
    try:
        for name in manifest["tables"]:
            path = marts_dir / f"{name}.parquet"
            rows, stamps = _parquet_version_duckdb(con, path) if con else _parquet_version(path)
            if len(stamps) != 1:
                raise InconsistentRead(f"{name}.parquet mixes versions {stamps}")
            (version,) = stamps
            own = marts_dir / RELEASES / version / MANIFEST_FILE
            if own.exists():  # pruned meanwhile only if this reader is slower than two publications
                expected = json.loads(own.read_text(encoding="utf-8"))["tables"][name]["rows"]
                if rows != expected:
                    raise InconsistentRead(
                        f"{name}.parquet: {rows} rows, its version {version} has {expected}"
                    )
            seen[name] = version
    finally:
        if con:
            con.close()
    return seen


def probe(marts_dir: Path) -> dict:
    """One round of the reads that must always succeed and agree."""
    s_version, s_counts = check_serving(marts_dir)
    p_version, p_counts = check_pinned_parquet(marts_dir)
    d_version, d_counts = check_pinned_parquet(marts_dir, engine="duckdb")
    stable = check_stable_parquet(marts_dir)
    return {
        "serving": [s_version, s_counts],
        "pinned": [p_version, p_counts],
        "pinned_duckdb": [d_version, d_counts],
        "stable": stable,
    }


def probe_double_open(marts_dir: Path, attempts: int = 3) -> tuple[dict[str, str], int]:
    """Stable names through DuckDB's `read_parquet`, retried: returns what it read and how many tries failed.

    A failed try is an I/O or format error (the switch landed between the two opens); a read that returns
    data inconsistent with its own version (InconsistentRead) is never retried: that would be a real bug.
    """
    failures = 0
    while True:
        try:
            return check_stable_parquet(marts_dir, engine="duckdb"), failures
        except InconsistentRead:
            raise
        except (duckdb.Error, OSError):
            failures += 1
            if failures >= attempts:
                raise


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipelines.publishing.reader")
    ap.add_argument("--marts-dir", type=Path, default=None)
    ap.add_argument("--loop", action="store_true", help="keep reading until --stop-file exists")
    ap.add_argument("--stop-file", type=Path)
    ap.add_argument("--ready-file", type=Path, help="created after the first successful round")
    ap.add_argument("--out", type=Path, help="JSON summary of the loop")
    args = ap.parse_args(argv)
    marts_dir = args.marts_dir or settings.marts_dir()

    if not args.loop:
        result = probe(marts_dir)
        print(json.dumps(result, indent=2))
        return 0

    rounds = 0
    errors: list[str] = []
    versions: dict[str, dict] = {}
    spanning = 0
    double_open_failures = 0
    started = time.monotonic()
    while not (args.stop_file and args.stop_file.exists()):
        try:
            r = probe(marts_dir)
            stable_duckdb, failed = probe_double_open(marts_dir)
        except Exception:
            errors.append(traceback.format_exc())
            if len(errors) > 50:
                break
            continue
        rounds += 1
        double_open_failures += failed
        for kind in ("serving", "pinned", "pinned_duckdb"):
            version, counts = r[kind]
            if versions.setdefault(version, counts) != counts:
                errors.append(f"{kind}: version {version} seen with counts {counts} and {versions[version]}")
        for seen in (r["stable"], stable_duckdb):
            if len(set(seen.values())) > 1:
                spanning += 1
        if rounds == 1 and args.ready_file:
            args.ready_file.touch()
    summary = {
        "rounds": rounds,
        "errors": errors,
        "versions": versions,
        "stable_rounds_spanning_two_versions": spanning,
        "double_open_failures_retried": double_open_failures,
        "seconds": round(time.monotonic() - started, 2),
    }
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2))
    else:
        print(json.dumps(summary, indent=2))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
