"""Every suite in expectations/ as a blocking Dagster asset check on its asset.

Why blocking: a failed suite on a landed table must stop the dbt models built on it, and a failed suite on
a mart must stop publishing, so the run stops where the data broke and the published marts stay as they
were. Declaring the checks reads only the suite JSON (fast): GX is imported when a check first runs.
"""

import dagster as dg

from pipelines import settings
from pipelines.gate.metadata import check_result
from pipelines.gate.suites import SuiteHeader, suite_headers


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
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        from pipelines.gate.runner import run_suite
        from pipelines.gate.suites import load_suite

        outcome = run_suite(load_suite(suite_name), settings.warehouse_path())
        context.log.info(
            "suite %s: %s in %.2f s", suite_name, "passed" if outcome.passed else "FAILED", outcome.seconds
        )
        return check_result(outcome)

    return _check


gate_checks: list[dg.AssetChecksDefinition] = [build_check(h) for h in suite_headers()]
