"""Command line for `make run` and `make demo`: run the nightly job in-process and summarise the marts;
`intake` and `retire` move deliveries into and out of the drop zone (pipelines/intake.py)."""

import argparse
import sys

import dagster as dg

# The terminal shows progress and outcomes (INFO); every event is still in the Dagster UI's run log.
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def run_nightly() -> int:
    from pipelines.definitions import defs

    job = defs.resolve_job_def("nightly_refresh")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=QUIET)
    if not result.success:
        failed = sorted({e.step_key for e in result.all_events if e.is_step_failure})
        print(
            f"The nightly run FAILED at: {', '.join(failed) or 'run start'}. The previous publication is "
            f"untouched. Details: the messages above, or run {result.run_id[:8]} in the Dagster UI (make ui)."
        )
        return 1
    print("The nightly run succeeded.")
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

    from pipelines import settings
    from pipelines.publishing.bi import SERVING_FILE
    from pipelines.publishing.reader import check_serving, pinned_release, read_manifest

    marts_dir = settings.marts_dir()
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

    restricted = settings.restricted_dir() / "_publication.json"
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
        prog="python -m pipelines.cli", epilog="also: intake FILE..., retire FILE..."
    )
    parser.add_argument("command", choices=["run", "summary"])
    args = parser.parse_args(argv)
    return run_nightly() if args.command == "run" else summary()


if __name__ == "__main__":
    sys.exit(main())
