"""The one workaround that makes Great Expectations 1.x validate inside DuckDB. Kept small on purpose.

Why it exists: GX's `SqlAlchemyExecutionEngine.execute_query` returns the cursor result *after* giving the
connection back to the pool. duckdb-engine closes the cursor when the connection is released, so every
metric query reads an empty result and every expectation fails with `IndexError: list index out of range`
(GX issues 10738 and 11579; a native DuckDB engine is GX pull request 12084). The patch reads the rows
while the connection is still checked out and hands GX a buffered result with the same interface.

The rest is hygiene that GX on a DuckDB *file* needs:
- the file is opened read-only (`connect_args`), so a check never takes the writer's lock;
- GX keeps two SQLAlchemy engines per data source (the data source's and the execution engine's); both
  are disposed after each validation so the file is free for the next writer (dbt runs in a subprocess);
- GX is imported lazily (7-9 s) and one ephemeral context is kept per process (nothing written to disk,
  analytics and progress bars off).

`tests/test_gate.py::test_upstream_duckdb_bug_still_present` runs GX unpatched in a subprocess and fails
once upstream no longer raises the IndexError: that is the signal to delete this patch.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # GX costs seconds to import: only for type checkers here
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.data_context import AbstractDataContext

log = logging.getLogger(__name__)

# GX reads at most 200 rows of any sample (MAX_RESULT_RECORDS); counts come from aggregate queries. Rows
# beyond this cap are dropped from a buffered result (with a warning) so that a query listing millions of
# offending rows cannot pull them all into Python.
BUFFER_MAX_ROWS = 10_000

_PATCH_FLAG = "_tkpk_buffered_execute_query"
_lock = threading.RLock()
_context: AbstractDataContext | None = None


def _buffered_execute_query(self: Any, query: Any) -> Any:
    """`execute_query` that fetches rows while the connection is live (replaces GX's own)."""
    from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData

    with self.get_connection() as connection:
        result = self._execute_query_with_recovery(connection, query)
        if not result.returns_rows:
            return result
        keys = list(result.keys())
        rows = [tuple(row) for row in result.fetchmany(BUFFER_MAX_ROWS)]
        if len(rows) == BUFFER_MAX_ROWS and result.fetchone() is not None:
            log.warning("GX query returned more than %d rows; the rest were not read", BUFFER_MAX_ROWS)
        result.close()
    return IteratorResult(SimpleResultMetaData(keys), iter(rows))


def apply_patch() -> None:
    """Install the buffered `execute_query` on GX's SQL engine. Idempotent; imports GX on first call."""
    from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

    with _lock:
        if not getattr(SqlAlchemyExecutionEngine, _PATCH_FLAG, False):
            SqlAlchemyExecutionEngine.execute_query = _buffered_execute_query  # type: ignore[method-assign]
            setattr(SqlAlchemyExecutionEngine, _PATCH_FLAG, True)


def is_patched() -> bool:
    from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

    return bool(getattr(SqlAlchemyExecutionEngine, _PATCH_FLAG, False))


def new_context(patch: bool = True) -> AbstractDataContext:
    """A fresh ephemeral GX context: in memory only, no analytics, no progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    if patch:
        apply_patch()
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def context() -> AbstractDataContext:
    """The process-wide patched ephemeral context (building one per check would repeat GX's set-up)."""
    global _context
    with _lock:
        if _context is None:
            _context = new_context(patch=True)
        return _context


def connection_string(db_path: Path) -> str:
    return f"duckdb:///{Path(db_path).resolve()}"


@contextmanager
def query_batch(
    db_path: Path, query: str, ctx: AbstractDataContext | None = None
) -> Iterator[tuple[AbstractDataContext, Any]]:
    """A GX batch definition over `query` on the DuckDB file, opened read-only and released afterwards.

    Query assets, not table assets: GX's table assets only see schema `main`.
    """
    ctx = ctx or context()
    name = f"warehouse_{uuid.uuid4().hex[:12]}"
    with _lock:
        datasource = ctx.data_sources.add_sql(
            name=name,
            connection_string=connection_string(db_path),
            kwargs={"connect_args": {"read_only": True}},
        )
        try:
            asset = datasource.add_query_asset(name="batch", query=query)
            yield ctx, asset.add_batch_definition_whole_table("whole")
        finally:
            dispose(datasource)
            ctx.data_sources.delete(name)


def dispose(datasource: Any) -> None:
    """Close every pooled DuckDB connection GX opened, so the file lock is released now, not at GC."""
    for engine in (
        getattr(datasource, "_engine", None),
        getattr(getattr(datasource, "_execution_engine", None), "engine", None),
    ):
        if engine is not None:
            engine.dispose()


def validate(
    db_path: Path,
    query: str,
    suite_dict: dict[str, Any],
    index_columns: list[str] | None = None,
    ctx: AbstractDataContext | None = None,
) -> ExpectationSuiteValidationResult:
    """Run one suite (GX suite JSON as a dict, thresholds already filled in) on one query of the file."""
    import great_expectations as gx

    with query_batch(db_path, query, ctx) as (ctx, batch_definition):
        suite = gx.ExpectationSuite(
            name=f"{suite_dict['name']}_{uuid.uuid4().hex[:8]}",
            expectations=[_expectation(e) for e in suite_dict["expectations"]],
            meta=suite_dict.get("meta", {}),
        )
        batch = batch_definition.get_batch()
        return batch.validate(suite, result_format=result_format(index_columns or []))


def _expectation(config: dict[str, Any]) -> Any:
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    return ExpectationConfiguration(
        type=config["type"], kwargs=dict(config.get("kwargs", {})), meta=config.get("meta", {})
    ).to_domain_obj()


def result_format(index_columns: list[str], sample_rows: int = 10) -> dict[str, Any]:
    """COMPLETE so unexpected-rows queries return their rows; GX caps every sample (LIMIT or 200 rows).

    `index_columns` (the table's key) are returned with each offending value, to say *which* rows broke.
    """
    return {
        "result_format": "COMPLETE",
        "partial_unexpected_count": sample_rows,
        "unexpected_index_column_names": index_columns,
        "return_unexpected_index_query": False,
    }
