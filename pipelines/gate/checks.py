"""Every suite in expectations/ as a blocking Dagster asset check on its asset.

Why blocking: a failed suite on a landed table must stop the dbt models built on it, and a failed suite on
a mart must stop publishing, so the run stops where the data broke and the published marts stay as they
were. Declaring the checks reads only the suite JSON (fast): GX is imported when a check first runs.
"""

from pathlib import Path

import dagster as dg

from pipelines import state
from pipelines.gate.metadata import check_result
from pipelines.gate.suites import SuiteHeader, suite_headers
from pipelines.resources import WarehouseResource


def build_check(header: SuiteHeader) -> dg.AssetChecksDefinition:
    """The check for one suite: validate inside DuckDB at run time, report each rule as metadata."""
    suite_name = header.name

    @dg.asset_check(
        asset=dg.AssetKey(list(header.asset_key)),
        name=f"gx_{suite_name}",
        description=f"Great Expectations suite expectations/{header.path.name}: {header.description}",
        blocking=True,
        additional_deps=[dg.AssetKey(list(k)) for k in header.reads],
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        db = warehouse.db_path()
        cacheable = header.asset_key[0] == "raw" and not state.rebuild_requested(context.run.tags)
        tables = [k[1] for k in (header.asset_key, *header.reads) if k[0] == "raw"]
        fingerprint = _fingerprint(db, suite_name, tables) if cacheable else None
        if fingerprint and (earlier := _passed_before(db, suite_name, fingerprint)):
            context.log.info(
                f"suite {suite_name}: the landed data and the suite are as when it passed ({earlier})"
            )
            return dg.AssetCheckResult(
                passed=True,
                description=f"{suite_name}: unchanged since it passed ({earlier}); not re-validated.",
                metadata={"revalidated": False, "passed_before": earlier, "fingerprint": fingerprint},
            )

        from pipelines.gate.runner import run_suite
        from pipelines.gate.suites import load_suite

        outcome = run_suite(load_suite(suite_name), db)
        context.log.info(
            "suite %s: %s in %.2f s", suite_name, "passed" if outcome.passed else "FAILED", outcome.seconds
        )
        if outcome.passed and fingerprint:
            _remember_pass(db, suite_name, fingerprint, context.run.run_id)
        return check_result(outcome)

    return _check


def _fingerprint(db: Path, suite: str, tables: list[str]) -> str | None:
    con = state.open_warehouse(db, read_only=True)
    if con is None:
        return None
    with con:
        return state.gate_fingerprint(con, suite, tables)


def _passed_before(db: Path, suite: str, fingerprint: str) -> str | None:
    """`run <id> at <time>` when this suite passed on exactly this data and these rules."""
    with state.open_warehouse(db, read_only=True) as con:
        value = state.read(con, f"gate:{suite}")
    if value is None:
        return None
    stored, _, when = value.partition(" ")
    return when if stored == fingerprint else None


def _remember_pass(db: Path, suite: str, fingerprint: str, run_id: str) -> None:
    with state.open_warehouse(db) as con:
        state.write(con, f"gate:{suite}", f"{fingerprint} run {run_id[:8]} at {state.now_text()}")


gate_checks: list[dg.AssetChecksDefinition] = [build_check(h) for h in suite_headers()]
