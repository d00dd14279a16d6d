"""What the last good run saw, so that a night with no new files costs seconds, not a full rebuild.

Two fingerprints, both cheap (no table scan):
- the landed data: every row of `raw.file_ledger` (file, checksum, row counts, load time). Every write to a
  raw table goes through the ledger, so equal ledgers mean equal raw tables;
- the code that turns them into marts or judges them: the files of the dbt project, the GX suites and
  thresholds, the reference data.

`main.pipeline_state` keeps them: a raw check that passed on a fingerprint is not re-run on the same one, and
the dbt build is skipped when what it would build from equals what the current publication was built from.
A run tagged `tkpk/rebuild=true` ignores both.
"""

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import duckdb

from pipelines import settings

REBUILD_TAG = "tkpk/rebuild"
# What each publishing asset was built from: "<build fingerprint> <published version>".
PUBLISHED_KEYS = ("published_build:bi_marts", "published_build:restricted_lists")
STATE_DDL = "create table if not exists main.pipeline_state (key varchar primary key, value varchar, updated_at timestamp)"


def _digest(parts: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


@cache
def code_fingerprint(*roots: Path) -> str:
    """The content of every file under `roots` (computed once per process: code does not change mid-run)."""
    files = sorted(p for root in roots for p in (root.rglob("*") if root.is_dir() else [root]) if p.is_file())
    files = [p for p in files if not {"target", "logs", "__pycache__"} & set(p.parts)]
    return _digest(
        part for p in files for part in (str(p.relative_to(settings.REPO_ROOT)).encode(), p.read_bytes())
    )


def dbt_code_fingerprint() -> str:
    d = settings.DBT_PROJECT_DIR
    return code_fingerprint(
        d / "models", d / "macros", d / "seeds", d / "dbt_project.yml", settings.REFERENCE_DIR
    )


def gate_code_fingerprint() -> str:
    return code_fingerprint(settings.EXPECTATIONS_DIR, settings.REFERENCE_DIR, settings.SEEDS_DIR)


def raw_fingerprint(con: duckdb.DuckDBPyConnection, tables: Iterable[str] | None = None) -> str | None:
    """Of every landed table, or of `tables` only. None when nothing was ever landed."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'file_ledger'"
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = con.execute(
        "select table_name, source_file, source_checksum, rows_read, rows_landed, rows_quarantined, "
        "loaded_at::varchar from raw.file_ledger "
        "where ?::varchar[] is null or list_contains(?::varchar[], table_name) order by all",
        [None if tables is None else sorted(tables)] * 2,
    ).fetchall()
    return _digest(repr(r).encode() for r in rows)


def read(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'main' "
        "and table_name = 'pipeline_state'"
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = con.execute("select value from main.pipeline_state where key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def write(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(STATE_DDL).fetchall()
    con.execute(
        "insert or replace into main.pipeline_state values (?, ?, current_timestamp::timestamp)", [key, value]
    ).fetchall()


def build_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """What a dbt build starts from: the landed data and the dbt project."""
    raw = raw_fingerprint(con)
    return None if raw is None else _digest([raw.encode(), dbt_code_fingerprint().encode()])


def gate_fingerprint(con: duckdb.DuckDBPyConnection, suite: str, tables: Iterable[str]) -> str | None:
    """What a suite on landed tables judges: those tables (its own and the ones its SQL reads), its rules."""
    raw = raw_fingerprint(con, tables)
    return None if raw is None else _digest([suite.encode(), raw.encode(), gate_code_fingerprint().encode()])


def remember_publication(warehouse: Path, key: str, version: str) -> None:
    with open_warehouse(warehouse) as con:
        fingerprint = build_fingerprint(con)
        if fingerprint is not None:
            write(con, key, f"{fingerprint} {version}")


def rebuild_requested(tags: dict[str, str]) -> bool:
    return tags.get(REBUILD_TAG, "").lower() in {"1", "true", "yes"}


def now_text() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def open_warehouse(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection | None:
    """A connection to the warehouse at `path`; None when reading and there is no warehouse yet."""
    if read_only and not path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)
