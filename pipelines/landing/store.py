"""The DuckDB side of landing: schema `raw`, the quarantine, the file ledger, one transaction per source.

A source's new and changed files replace exactly their own earlier rows (per-file delivery semantics); a
file that was retired (`raw.file_retirements`, written by the `retire` command) takes its rows with it. All
of it commits together or not at all, so a failed landing leaves the tables as they were.
"""

from datetime import datetime

import duckdb
import polars as pl

from pipelines import settings

# The bookkeeping tables, defined once: the DuckDB DDL and the empty polars frames both come from these.
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "table_name": pl.String(),
    "source_file": pl.String(),
    "source_checksum": pl.String(),
    "source_row": pl.Int64(),
    "reason_code": pl.String(),
    "message": pl.String(),
    "raw_values": pl.String(),  # JSON text of the row as read
    "_loaded_at": pl.Datetime(),
}
LEDGER_SCHEMA: dict[str, pl.DataType] = {
    "table_name": pl.String(),
    "source_file": pl.String(),
    "source_checksum": pl.String(),
    "rows_read": pl.Int64(),
    "rows_landed": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "loaded_at": pl.Datetime(),
    "rules_fingerprint": pl.String(),  # what the rules were when the file was judged
}
_DUCKDB_TYPES = {pl.String(): "varchar", pl.Int64(): "bigint", pl.Datetime(): "timestamp"}


def table_ddl(table: str, schema: dict[str, pl.DataType]) -> str:
    columns = ", ".join(f"{name} {_DUCKDB_TYPES[dtype]}" for name, dtype in schema.items())
    return f"create table if not exists {table} ({columns})"


QUARANTINE_DDL = table_ddl("raw.quarantine", QUARANTINE_SCHEMA)
LEDGER_DDL = table_ddl("raw.file_ledger", LEDGER_SCHEMA)
# The ledger's other half: files whose rows were removed on purpose, by whom and when.
RETIREMENTS_DDL = """
create table if not exists raw.file_retirements (
    table_name varchar, source_file varchar, source_checksum varchar, rows_landed bigint,
    retired_by varchar, retired_at timestamp, reason varchar, applied_at timestamp, cancelled_at timestamp
)"""


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> None:
    """Execute and drain: DuckDB 2 refuses new work while a result is unconsumed."""
    con.execute(sql, params or []).fetchall()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    run(con, "create schema if not exists raw")
    run(con, QUARANTINE_DDL)
    run(con, LEDGER_DDL)
    run(con, "alter table raw.file_ledger add column if not exists rules_fingerprint varchar")
    run(con, RETIREMENTS_DDL)
    run(
        con, "alter table raw.file_retirements add column if not exists cancelled_at timestamp"
    )  # older files


def ledger(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[str, str | None]]:
    """`{file: (checksum, fingerprint of the rules it was judged by)}` of the files landed in `table`."""
    rows = con.execute(
        "select source_file, source_checksum, rules_fingerprint from raw.file_ledger where table_name = ?",
        [table],
    ).fetchall()
    return {f: (checksum, judged_by) for f, checksum, judged_by in rows}


def pending_retirements(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """`{file: checksum}` retired but whose rows are still landed."""
    rows = con.execute(
        "select source_file, source_checksum from raw.file_retirements "
        "where table_name = ? and applied_at is null and cancelled_at is null",
        [table],
    ).fetchall()
    return dict(rows)


def cancel_retirements(con: duckdb.DuckDBPyConnection, table: str, present: set[str]) -> list[str]:
    """A retired file delivered again is landed again: its pending retirement must not let it vanish later."""
    back = sorted(set(pending_retirements(con, table)) & present)
    if back:
        run(
            con,
            "update raw.file_retirements set cancelled_at = current_timestamp::timestamp "
            "where table_name = ? and applied_at is null and cancelled_at is null "
            "and list_contains(?::varchar[], source_file)",
            [table, back],
        )
    return back


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ? "
        "order by ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows] or None


def keyed_hash_sql(value: str, valid: str) -> str:
    """sha256(k || '|' || value): a keyed pseudonym, computed in DuckDB. Without the key nobody can compute
    the pseudonym of a candidate NIK, so the 16-digit space cannot be enumerated back to identities."""
    key = settings.hash_key().replace("'", "''")
    return f"case when {valid} then sha256('{key}|' || {value}) end"


def existing_keys(
    con: duckdb.DuckDBPyConnection, table: str, key: list[str], excluded_files: list[str]
) -> pl.DataFrame | None:
    """Keys already landed from files this landing leaves untouched."""
    if table_columns(con, table) is None:
        return None
    cols = ", ".join(key)
    return con.sql(
        f"select distinct {cols} from raw.{table} where not list_contains(?::varchar[], _source_file)",
        params=[excluded_files],
    ).pl()


class FileSwap:
    """Replace the rows of some files of a table, all at once or not at all, in bounded memory.

    The next version of the table is built beside it, in `raw._next_<table>`: the rows of the files left
    untouched, then each new file appended and committed on its own (one open transaction would hold every
    appended row in memory: 4.6 GB for the BDT individuals at twice province scale, against 2.9 GB this
    way). Leaving the block without error swaps the new version in, with the quarantine and ledger rows,
    in one short transaction; any error drops it and the table stays as it was.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, hashed: dict[str, tuple[str, str]]):
        self.con, self.table, self.next = con, table, f"_next_{table}"
        self.hash_select = "".join(f", {keyed_hash_sql(v, ok)} as {h}" for h, (v, ok) in hashed.items())
        self.replaced: list[str] = []
        self.retired: list[str] = []
        self.quarantined: list[pl.DataFrame] = []
        self.ledger_rows: list[pl.DataFrame] = []

    def __enter__(self) -> "FileSwap":
        run(self.con, f"drop table if exists raw.{self.next}")
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            run(self.con, f"drop table if exists raw.{self.next}")
            return
        self._swap_in()

    def remove(
        self, files: list[str], reshape_to: list[str] | None = None, retired: list[str] | None = None
    ) -> None:
        """Leave out the rows of `files`; `reshape_to` starts afresh when the table's columns changed;
        `retired` (among `files`) are recorded as applied in `raw.file_retirements` with the swap."""
        self.replaced, self.retired = files, retired or []
        columns = table_columns(self.con, self.table)
        if columns is not None and (reshape_to is None or columns == reshape_to):
            run(
                self.con,
                f"create table raw.{self.next} as select * from raw.{self.table} "
                "where not list_contains(?::varchar[], _source_file)",
                [files],
            )

    def append(self, landed: pl.DataFrame, quarantined: pl.DataFrame, ledger_rows: pl.DataFrame) -> None:
        self.con.register("_landed", landed.to_arrow(compat_level=pl.CompatLevel.oldest()))
        try:
            select = f"select * {self.hash_select} from _landed"
            run(self.con, f"create table if not exists raw.{self.next} as {select} limit 0")
            run(self.con, f"insert into raw.{self.next} by name {select}")
        finally:
            self.con.unregister("_landed")
        self.quarantined.append(quarantined)
        self.ledger_rows.append(ledger_rows)

    def _swap_in(self) -> None:
        con, table = self.con, self.table
        if table_columns(con, self.next) is None:  # nothing appended and nothing kept: nothing to swap
            return
        staged = {"_quarantined": self.quarantined, "_ledger": self.ledger_rows}
        staged = {name: frames for name, frames in staged.items() if frames}
        for name, frames in staged.items():
            frame = pl.concat(frames, how="vertical_relaxed")
            con.register(name, frame.to_arrow(compat_level=pl.CompatLevel.oldest()))
        try:
            run(con, "begin transaction")
            run(con, f"drop table if exists raw.{table}")
            run(con, f"alter table raw.{self.next} rename to {table}")
            for side in ("quarantine", "file_ledger"):
                run(
                    con,
                    f"delete from raw.{side} where table_name = ? and list_contains(?::varchar[], source_file)",
                    [table, self.replaced],
                )
            if self.quarantined:
                run(con, "insert into raw.quarantine by name select * from _quarantined")
            if self.ledger_rows:
                run(con, "insert into raw.file_ledger by name select * from _ledger")
            if self.retired:
                run(
                    con,
                    "update raw.file_retirements set applied_at = current_timestamp::timestamp "
                    "where table_name = ? and list_contains(?::varchar[], source_file) and applied_at is null",
                    [table, self.retired],
                )
            run(con, "commit")
        except Exception:
            run(con, "rollback")
            run(con, f"drop table if exists raw.{self.next}")
            raise
        finally:
            for name in staged:
                con.unregister(name)


def flag_deceased_beneficiaries(con: duckdb.DuckDBPyConnection) -> int:
    """Deliveries to a BDT member recorded as deceased: landed, flagged. Re-derived every run from the BDT."""
    if table_columns(con, "bdt_individuals") is None or table_columns(con, "interventions") is None:
        return 0
    run(
        con,
        """
        update raw.interventions as i
        set flag_deceased_beneficiary = i.nik_hash is not null and i.nik_hash in (
            select nik_hash from raw.bdt_individuals where sta_keberadaan_art = 2 and nik_hash is not null
        )
        """,
    )
    return con.execute("select count(*) from raw.interventions where flag_deceased_beneficiary").fetchall()[
        0
    ][0]


def household_kabupaten(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """`idbdt, kab` (KDPROP+KDKAB) of the landed BDT households: members' files are checked against it."""
    if table_columns(con, "bdt_households") is None:
        return None
    return con.sql("select distinct idbdt, kdprop || kdkab as kab from raw.bdt_households").pl()


def file_figures(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    return con.sql(
        "select source_file, rows_read, rows_landed, rows_quarantined, loaded_at from raw.file_ledger "
        "where table_name = ? order by source_file",
        params=[table],
    ).pl()


def quarantine_by_reason(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    rows = con.execute(
        "select reason_code, count(*) from raw.quarantine where table_name = ? group by 1 order by 2 desc",
        [table],
    ).fetchall()
    return dict(rows)


def now() -> datetime:
    return datetime.now().replace(microsecond=0)
