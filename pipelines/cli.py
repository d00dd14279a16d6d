"""The command line of the warehouse: `make run`, `make demo`, an operator's quick look, deliveries in and out.

python -m pipelines.cli run [--verbose]   the nightly job once, in-process, on what is in data/raw/
python -m pipelines.cli summary           what is published: files, rows, version, consistency check
python -m pipelines.cli intake FILE...    validate a delivery and move it into the drop zone atomically
python -m pipelines.cli retire FILE...    remove a landed file's rows on purpose (who/when in the ledger)
"""

import argparse
import contextlib
import sys

import dagster as dg

from pipelines import progress


def run_nightly(verbose: bool = False) -> int:
    """The nightly job in this process. The terminal gets one line per step (`--verbose`: Dagster's console
    log); every event, and everything dbt prints, goes to `<data dir>/logs/nightly-<time>.log`."""
    from pipelines.definitions import defs
    from pipelines.resources import warehouse_resource

    job = defs.resolve_job_def("nightly_refresh")
    log_file = progress.log_path(warehouse_resource(resolve=True).data_path())
    log_file.parent.mkdir(parents=True, exist_ok=True)
    terminal = progress.real_stdout()
    with open(log_file, "w", encoding="utf-8") as log, dg.DagsterInstance.get() as instance:
        if verbose:
            run_config: dict = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        else:
            job = job.with_logger_defs({"progress": progress.progress_logger_def(terminal, log)})
            run_config = {"loggers": {"progress": {}}}
        print(f"Nightly run: the full log goes to {log_file}", file=terminal, flush=True)
        # dagster-dbt echoes dbt's output on stdout: into the log file, not onto the terminal
        with contextlib.redirect_stdout(sys.stdout if verbose else log):
            result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)
    if not result.success:
        failed = sorted({e.step_key for e in result.all_events if e.is_step_failure})
        print(
            f"The nightly run FAILED at: {', '.join(failed) or 'run start'}. The previous publication is "
            f"untouched. Details: {log_file}, or run {result.run_id[:8]} in the Dagster UI (make ui)."
        )
        return 1
    print(f"The nightly run succeeded (run {result.run_id[:8]}).")
    return 0


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


def summary() -> int:
    """Where the marts are, what version, how many rows: what a BI user or an operator asks first."""
    import json

    from pipelines.publishing.bi import SERVING_FILE
    from pipelines.publishing.reader import check_serving, pinned_release, read_manifest
    from pipelines.resources import warehouse_resource

    folder = warehouse_resource(resolve=True)
    marts_dir = folder.marts_dir()
    release = pinned_release(marts_dir)
    if release is None:
        print(f"Nothing published yet in {marts_dir}. Run the nightly job: make run (or make demo).")
        return 1
    m = read_manifest(release)
    print(f"Published marts: {marts_dir}")
    print(f"  version {m['version']}, published {m['published_at']} (run {m['run_id']})")
    print(
        f"  {SERVING_FILE:<34} {_size(m['serving_file']['bytes']):>10}  DuckDB, read-only; schemas main, marts"
    )
    for t in m["tables"].values():
        print(f"  {t['parquet']:<34} {_size(t['bytes']):>10}  {t['rows']:>10,} rows")
    try:
        version, _ = check_serving(marts_dir)
        print(f"  check: every table in {SERVING_FILE} is stamped {version} with the row counts above")
    except Exception as e:  # a health check: report, do not hide
        print(f"  check FAILED: {e}")
        return 1

    restricted = folder.restricted_dir() / "_publication.json"
    if restricted.exists():
        r = json.loads(restricted.read_text(encoding="utf-8"))
        rows = sum(v["rows"] for v in r["lists"].values())
        print(
            f"Restricted by-name lists (not for BI): {restricted.parent}/<kab>/target_households.parquet, "
            f"{len(r['lists'])} lists, {rows:,} households, version {r['version']}"
        )
    print(f"How to connect Metabase, Superset, DBeaver or a spreadsheet: {marts_dir / 'README.md'}")
    print("Dagster UI (assets, runs, schedule, sensor): make ui, then open http://127.0.0.1:3000")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["intake"], ["retire"]):  # deliveries in and out: pipelines/intake.py
        from pipelines import intake

        return intake.main(argv)
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.cli",
        description="The TKPK Lampung warehouse from the command line (the Dagster UI: make ui).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    run = commands.add_parser(
        "run", help="run the nightly job once, in this process, on what is in data/raw/ (make run)"
    )
    run.add_argument(
        "--verbose", action="store_true", help="Dagster's full console log instead of one line a step"
    )
    commands.add_parser("summary", help="what is published: files, row counts, version, consistency check")
    commands.add_parser(
        "intake", help="validate delivered files and move them into the drop zone (intake --help)"
    )
    commands.add_parser(
        "retire", help="retire landed files: their rows leave on the next run (retire --help)"
    )
    args = parser.parse_args(argv)
    return run_nightly(args.verbose) if args.command == "run" else summary()


if __name__ == "__main__":
    sys.exit(main())
