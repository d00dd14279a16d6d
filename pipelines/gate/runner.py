"""Run a suite on the warehouse and turn GX's result into what the data team reads in the Dagster UI.

Why plain dataclasses between GX and Dagster: the outcome of each rule (passed, observed value, how many
rows broke it, which ones) is what tests assert on and what the UI shows; GX's result objects are large,
version-dependent and hold every offending value. Samples are cut to `SAMPLE_ROWS` rows.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.gate.suites import Suite

SAMPLE_ROWS = 10


@dataclass
class RuleOutcome:
    """One expectation's result, named by the suite's `meta.rule`."""

    rule: str
    expectation: str
    success: bool
    column: str | None = None
    observed: Any = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    element_count: int | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    why: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return "passed" if self.success else ("error" if self.error else "failed")

    def as_json(self) -> dict[str, Any]:
        data = {
            "outcome": self.outcome,
            "expectation": self.expectation,
            "column": self.column,
            "observed_value": self.observed,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "element_count": self.element_count,
            "sample": self.sample,
            "error": self.error,
            "rule_parameters": self.kwargs,
            "why": self.why,
        }
        return _jsonable({k: v for k, v in data.items() if v not in (None, [], {})})


@dataclass
class SuiteOutcome:
    suite: str
    asset_key: tuple[str, ...]
    rules: list[RuleOutcome]
    seconds: float
    warehouse: str
    error: str | None = None
    setup_seconds: float = 0.0  # GX import and context set-up, when this check was the first in its process

    @property
    def passed(self) -> bool:
        return self.error is None and all(r.success for r in self.rules)

    @property
    def failed_rules(self) -> list[str]:
        return [r.rule for r in self.rules if not r.success]

    def rule(self, name: str) -> RuleOutcome:
        return next(r for r in self.rules if r.rule == name)


def run_suite(suite: Suite, db_path: Path) -> SuiteOutcome:
    """Validate `suite` inside DuckDB on the file at `db_path` (read-only). Never raises on bad data."""
    from pipelines.gate import gx_duckdb

    started = time.perf_counter()
    gx_duckdb.context()  # GX import and context: paid by the first check of a process, reported apart
    setup = time.perf_counter() - started
    started = time.perf_counter()
    if not db_path.exists():
        return SuiteOutcome(
            suite.name, suite.asset_key, [], 0.0, str(db_path), f"no warehouse at {db_path}", setup
        )
    try:
        _probe(db_path, suite.batch_query)
        result = gx_duckdb.validate(db_path, suite.batch_query, suite.gx_dict(), suite.index_columns)
    except Exception as exc:  # the batch query itself failed: a missing table or column
        seconds = time.perf_counter() - started
        return SuiteOutcome(
            suite.name, suite.asset_key, [], seconds, str(db_path), f"{type(exc).__name__}: {exc}", setup
        )
    by_rule = {e["meta"]["rule"]: e for e in suite.expectations}
    rules = [_outcome(r, by_rule) for r in result.results]
    _add_samples(rules, by_rule, suite.batch_query, db_path)
    order = {name: i for i, name in enumerate(suite.rules)}
    rules.sort(key=lambda r: order.get(r.rule, len(order)))
    return SuiteOutcome(
        suite.name, suite.asset_key, rules, time.perf_counter() - started, str(db_path), None, setup
    )


def _probe(db_path: Path, query: str) -> None:
    """Bind the batch query once (no rows read): a missing table or column is one clear error, not one per rule."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        con.execute(f"describe {query}").fetchall()


def _add_samples(
    rules: list[RuleOutcome], by_rule: dict[str, dict[str, Any]], batch: str, db_path: Path
) -> None:
    """Offending rows for failed aggregate rules (uniqueness, shares), from their `meta.sample_query`.

    Aggregate expectations are bundled by GX into one query per batch, so the happy path stays cheap; the
    rows behind a failure are looked up only when there is one.
    """
    failed = [r.rule for r in rules if not r.success and not r.sample and not r.error]
    wanted = {rule: by_rule.get(rule, {}).get("meta", {}).get("sample_query") for rule in failed}
    wanted = {rule: query for rule, query in wanted.items() if query}
    if not wanted:
        return
    with duckdb.connect(str(db_path), read_only=True) as con:
        for rule in rules:
            if rule.rule in wanted:
                sql = wanted[rule.rule].replace("{batch}", f"({batch}) as batch")
                cursor = con.execute(f"select * from ({sql}) limit {SAMPLE_ROWS}")
                names = [d[0] for d in cursor.description]
                rule.sample = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _outcome(result: Any, by_rule: dict[str, dict[str, Any]]) -> RuleOutcome:
    config = result.expectation_config
    rule = (config.meta or {}).get("rule") or config.type
    kwargs = {
        k: v
        for k, v in config.kwargs.items()
        if k not in ("batch_id", "result_format", "unexpected_rows_query")
    }
    res: dict[str, Any] = dict(result.result or {})
    error = _error(result.exception_info)
    details = res.get("details") or {}
    observed = res.get("observed_value")
    unexpected_count = res.get("unexpected_count")
    if config.type == "unexpected_rows_expectation":
        unexpected_count = observed
    return RuleOutcome(
        rule=rule,
        expectation=config.type,
        success=bool(result.success) and error is None,
        column=kwargs.get("column") or _columns(kwargs),
        observed=observed,
        unexpected_count=unexpected_count,
        unexpected_percent=_round(res.get("unexpected_percent")),
        element_count=res.get("element_count"),
        sample=_sample(res, details),
        error=error,
        why=by_rule.get(rule, {}).get("meta", {}).get("why", ""),
        kwargs=kwargs,
    )


def _columns(kwargs: dict[str, Any]) -> str | None:
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    return None


def _sample(res: dict[str, Any], details: dict[str, Any]) -> list[dict[str, Any]]:
    """Offending rows: the key columns with the value that broke the rule, or the query's own rows."""
    for key in ("partial_unexpected_index_list", "unexpected_index_list"):
        rows = res.get(key)
        if rows and isinstance(rows[0], dict):
            return rows[:SAMPLE_ROWS]
    if details.get("unexpected_rows"):
        return list(details["unexpected_rows"])[:SAMPLE_ROWS]
    values = res.get("partial_unexpected_list") or []
    return [{"value": v} for v in values[:SAMPLE_ROWS]]


def _error(info: Any) -> str | None:
    """GX reports a failed metric query as exception_info keyed by metric, or flat."""
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) and math.isfinite(value) else value


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
