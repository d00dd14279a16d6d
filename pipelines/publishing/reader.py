"""Reading a publication consistently, and checking that it is: what BI-side Python does.

`marts.duckdb` is consistent by itself. For Parquet, resolve `current` once and read every file from the
release it names: that set is immutable, so it is one version whatever the nightly run does meanwhile.

`python -m pipelines.publishing.reader` is the operators' health check of the current publication (every
table one version, row counts as the manifest says); `python -m pipelines.cli summary` runs it too. The
concurrent readers of the tests (`tests/publication_checks.py`) build on these functions.
"""

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

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


def pinned_release(marts_dir: Path) -> Path | None:
    """The release folder `current` points at right now (None before the first publication)."""
    marts_dir = Path(marts_dir)
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
def open_serving(marts_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the serving file: one version for as long as it stays open."""
    con = duckdb.connect(str(Path(marts_dir) / SERVING_FILE), read_only=True)
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m pipelines.publishing.reader",
        description="Check the current publication: every table one version, row counts as in its manifest.",
    )
    ap.add_argument("--marts-dir", type=Path, default=None, help="default: the data folder's marts/")
    args = ap.parse_args(argv)
    if args.marts_dir is None:
        from pipelines.resources import warehouse_resource  # the data folder of the environment

        args.marts_dir = warehouse_resource(resolve=True).marts_dir()
    marts_dir = args.marts_dir
    s_version, s_counts = check_serving(marts_dir)
    p_version, p_counts = check_pinned_parquet(marts_dir)
    d_version, d_counts = check_pinned_parquet(marts_dir, engine="duckdb")
    result = {
        "serving": [s_version, s_counts],
        "pinned": [p_version, p_counts],
        "pinned_duckdb": [d_version, d_counts],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
