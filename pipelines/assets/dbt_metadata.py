"""Row counts and column types on every dbt materialisation, read from DuckDB once the build is over.

Why not dagster-dbt's `fetch_row_counts()` / `fetch_column_metadata()`: they work with dbt-duckdb, but leave a
read-write DuckDB connection to the warehouse open in this process (dbt-duckdb's adapter environment), and
every later step of the run (the gate's checks, publishing) then fails to open the file read-only ("different
configuration than existing connections"). So the dbt events are held until dbt has exited (it holds the
file meanwhile), the figures are read in one read-only connection, and the events are passed on with them.
Views get their columns but no row count: counting a view runs its whole query.
"""

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

ROW_COUNT = "dagster/row_count"
COLUMN_SCHEMA = "dagster/column_schema"


def relation_metadata(db: Path, keys: Iterable[dg.AssetKey]) -> dict[dg.AssetKey, dict[str, Any]]:
    """For each `[schema, table]` key: its columns (name, DuckDB type, persisted dbt description) and, for
    tables, its row count. Keys that are not in the warehouse are left out."""
    wanted = {tuple(k.path): k for k in keys if len(k.path) == 2}
    if not wanted or not db.exists():
        return {}
    out: dict[dg.AssetKey, dict[str, Any]] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "select schema_name, table_name, column_name, data_type, comment from duckdb_columns() "
            "where database_name = current_database() order by schema_name, table_name, column_index"
        ).fetchall()
        tables = {
            (s, t)
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
        }
        by_relation: dict[tuple[str, str], list[dg.TableColumn]] = {}
        for schema, table, name, dtype, comment in columns:
            if (schema, table) in wanted:
                by_relation.setdefault((schema, table), []).append(
                    dg.TableColumn(name=name, type=dtype, description=comment or None)
                )
        for relation, cols in by_relation.items():
            meta: dict[str, Any] = {COLUMN_SCHEMA: dg.TableSchema(columns=cols)}
            if relation in tables:
                schema, table = relation
                meta[ROW_COUNT] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
            out[wanted[relation]] = meta
    return out


def with_relation_metadata(
    context: dg.AssetExecutionContext, events: Iterable[Any], db: Path
) -> Iterator[Any]:
    """`events` of one dbt build, each materialisation with its relation's metadata added, in their order.

    A failed build still passes on what it built (and its figures) before its error is raised again.
    """
    held: list[Any] = []
    failure: BaseException | None = None
    try:
        held.extend(events)
    except Exception as exc:  # dbt failed: report what was built, then fail as dagster-dbt would
        failure = exc

    def key_of(event: Any) -> dg.AssetKey | None:
        if isinstance(event, dg.Output):
            return context.asset_key_for_output(event.output_name)
        if isinstance(event, dg.AssetMaterialization):
            return event.asset_key
        return None

    figures = relation_metadata(db, [k for e in held if (k := key_of(e)) is not None])
    for event in held:
        key = key_of(event)
        if key in figures:
            event = event.with_metadata({**event.metadata, **figures[key]})
        yield event
    if failure is not None:
        raise failure
