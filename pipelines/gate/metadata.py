"""A suite's outcome as a Dagster check result the data team can read without opening another tool.

Layout (in this order in the UI):
- `failed_expectations`: the failed rule names, or "none";
- `summary`: a Markdown table, one line per rule: outcome, expectation, column, observed value, unexpected
  rows (count and %);
- `<rule>`: one JSON entry per rule: outcome, expectation, column, observed value, unexpected count and
  percent, the rule's parameters (thresholds filled in), why the rule exists and a sample of offending rows;
- `<rule> sample`: for a failed rule, its offending rows as a Markdown table (keys and the bad values);
- `expectations`, `failed`, `seconds` (validation), `gx_setup_seconds` (GX import, first check of a process
  only), `warehouse`, `suite_file`.
Samples never hold cleartext NIK or names: batch queries do not select them.
"""

from typing import Any

import dagster as dg

from pipelines.gate.runner import RuleOutcome, SuiteOutcome
from pipelines.markdown import cell as _cell
from pipelines.markdown import table as markdown_table


def check_result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=describe(outcome),
        metadata=metadata(outcome),
    )


def describe(outcome: SuiteOutcome) -> str:
    if outcome.error:
        return f"{outcome.suite}: the suite could not run: {outcome.error}"
    if outcome.passed:
        return f"{outcome.suite}: all {len(outcome.rules)} expectations passed."
    failed = [r for r in outcome.rules if not r.success]
    parts = [f"{r.rule} ({_how_badly(r)})" for r in failed]
    return f"{outcome.suite}: {len(failed)} of {len(outcome.rules)} expectations failed: " + "; ".join(parts)


def metadata(outcome: SuiteOutcome) -> dict[str, Any]:
    failed = outcome.failed_rules
    meta: dict[str, Any] = {
        "failed_expectations": dg.MetadataValue.text(", ".join(failed) if failed else "none"),
    }
    if outcome.error:
        meta["error"] = dg.MetadataValue.text(outcome.error)
    meta["summary"] = dg.MetadataValue.md(summary_table(outcome.rules))
    for rule in outcome.rules:
        meta[rule.rule] = dg.MetadataValue.json(rule.as_json())
        if not rule.success and rule.sample:
            meta[f"{rule.rule} sample"] = dg.MetadataValue.md(markdown_table(rule.sample))
    meta["expectations"] = dg.MetadataValue.int(len(outcome.rules))
    meta["failed"] = dg.MetadataValue.int(len(failed))
    meta["seconds"] = dg.MetadataValue.float(round(outcome.seconds, 3))
    meta["gx_setup_seconds"] = dg.MetadataValue.float(round(outcome.setup_seconds, 3))
    meta["warehouse"] = dg.MetadataValue.path(outcome.warehouse)
    meta["suite_file"] = dg.MetadataValue.path(f"expectations/{outcome.suite}.json")
    return meta


def _how_badly(rule: RuleOutcome) -> str:
    if rule.error:
        return f"error: {rule.error[:200]}"
    if rule.unexpected_count is not None and rule.expectation != "unexpected_rows_expectation":
        pct = f", {rule.unexpected_percent}%" if rule.unexpected_percent is not None else ""
        return f"{rule.unexpected_count} rows{pct}"
    if rule.expectation == "unexpected_rows_expectation":
        return f"{rule.observed} rows"
    return f"observed {_cell(rule.observed)}"


def summary_table(rules: list[RuleOutcome]) -> str:
    rows = [
        {
            "": "✅" if r.success else "❌",
            "rule": r.rule,
            "expectation": r.expectation,
            "column": r.column or "",
            "observed": r.observed,
            "unexpected": ""
            if r.unexpected_count is None
            else f"{r.unexpected_count}"
            + (f" ({r.unexpected_percent}%)" if r.unexpected_percent is not None else ""),
            "note": r.error or "",
        }
        for r in rules
    ]
    return markdown_table(rows) if rows else "_no expectations ran_"
