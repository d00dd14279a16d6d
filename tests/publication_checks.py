"""Concurrent readers of a publication, for the tests: what a BI tool does while the nightly run republishes.

`python tests/publication_checks.py --loop --stop-file F --ready-file R --out F.json --marts-dir D` keeps
reading the publication in D (the serving file, the pinned release through pyarrow and DuckDB, the stable
names) until the stop file appears, and writes what it saw. The tests run it as a separate process during
refreshes. The one-shot checks it builds on are the runtime's (`pipelines.publishing.reader`).
"""

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

import duckdb

from pipelines.publishing.bi import CURRENT, MANIFEST_FILE, RELEASES
from pipelines.publishing.reader import (
    InconsistentRead,
    _parquet_version,
    _parquet_version_duckdb,
    check_pinned_parquet,
    check_serving,
    read_manifest,
)


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
    ap = argparse.ArgumentParser(prog="tests/publication_checks.py")
    ap.add_argument("--marts-dir", type=Path, required=True)
    ap.add_argument("--loop", action="store_true", help="keep reading until --stop-file exists")
    ap.add_argument("--stop-file", type=Path)
    ap.add_argument("--ready-file", type=Path, help="created after the first successful round")
    ap.add_argument("--out", type=Path, help="JSON summary of the loop")
    args = ap.parse_args(argv)
    marts_dir = args.marts_dir

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
