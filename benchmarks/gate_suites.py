"""How long the gate adds to a run: every suite on a province-sized warehouse, timed in a fresh process.

    python -m benchmarks.gate_suites [--warehouse PATH] [--households N] [--rebuild]

Builds the synthetic warehouse (benchmarks/synthetic_warehouse.py: 877,905 households, ~3.3 M people, ~2.1 M
deliveries; the marts and the restricted list by the real dbt project) unless it exists, then reports GX import and context set-up,
each suite and the total, in wall-clock seconds and CPU seconds (the machine is shared: wall time grows
with the load average, which is reported too). Run it in a fresh process: the GX import is part of what a
run pays.
"""

import argparse
import json
import os
import resource
import time
from pathlib import Path

from benchmarks import synthetic_warehouse as synthetic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gate_suites")
    parser.add_argument("--warehouse", type=Path, default=Path("data/bench/gate_province.duckdb"))
    parser.add_argument("--households", type=int, default=synthetic.PROVINCE_HOUSEHOLDS)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)

    if args.rebuild or not args.warehouse.exists():
        started = time.perf_counter()
        args.warehouse.unlink(missing_ok=True)
        synthetic.build(args.warehouse, households=args.households)
        print(f"built {args.warehouse} in {time.perf_counter() - started:.1f} s")

    load_before = os.getloadavg()[0]
    cpu_start = _cpu_seconds()
    started = time.perf_counter()
    from pipelines.gate import gx_duckdb

    gx_duckdb.context()
    setup = time.perf_counter() - started
    cpu_setup = _cpu_seconds() - cpu_start

    from pipelines.gate.runner import run_suite
    from pipelines.gate.suites import load_suites

    timings: dict[str, float] = {}
    failed: dict[str, list[str]] = {}
    cpu: dict[str, float] = {}
    for suite in load_suites():
        cpu_before = _cpu_seconds()
        outcome = run_suite(suite, args.warehouse)
        timings[suite.name] = round(outcome.seconds, 2)
        cpu[suite.name] = round(_cpu_seconds() - cpu_before, 2)
        if not outcome.passed:
            failed[suite.name] = [outcome.error] if outcome.error else outcome.failed_rules
    total = time.perf_counter() - started
    report = {
        "warehouse": str(args.warehouse),
        "gx_import_and_context_s": round(setup, 2),
        "suites_s": timings,
        "all_suites_s": round(sum(timings.values()), 2),
        "total_s": round(total, 2),
        "cpu_s": {
            "gx_import_and_context": round(cpu_setup, 2),
            "suites": cpu,
            "total": round(_cpu_seconds() - cpu_start, 2),
        },
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "failed": failed,
    }
    print(json.dumps(report, indent=2))
    return 1 if failed else 0


def _cpu_seconds() -> float:
    """User + system CPU of this process (all DuckDB threads): what the gate costs whatever else runs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    raise SystemExit(main())
