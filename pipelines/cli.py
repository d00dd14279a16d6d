"""Command line for `make run` and `make demo`: run the nightly job in-process and summarise the marts."""

import argparse
import sys

import dagster as dg


def run_nightly() -> int:
    from pipelines.definitions import defs

    job = defs.resolve_job_def("nightly_refresh")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    if not result.success:
        print("The nightly run FAILED; the previous publication is untouched. See the Dagster UI (make ui).")
        return 1
    print("The nightly run succeeded.")
    return 0


def summary() -> int:
    print("(summary of published marts: not yet implemented)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli")
    parser.add_argument("command", choices=["run", "summary"])
    args = parser.parse_args(argv)
    return run_nightly() if args.command == "run" else summary()


if __name__ == "__main__":
    sys.exit(main())
