"""One nightly run, measured: `python -m benchmarks.run_job --data-dir DIR` prints one JSON line.

Run in its own process so that imports, the code location load and peak memory are counted as the
scheduled run pays them. Peak memory is sampled (resident set of this process plus its children, dbt
included) every 50 ms.
"""

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path

import psutil


class PeakMemory:
    """Highest resident memory of this process tree, sampled in a thread."""

    def __init__(self, interval: float = 0.05):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def stage_of(step_key: str) -> str:
    if "_gx_" in step_key:
        return "checks"
    if step_key.startswith("raw__"):
        return "landing"
    if step_key.startswith("publish__"):
        return "publish"
    if "dbt" in step_key:
        return "dbt"
    return "other"


def measure(data_dir: Path) -> dict:
    started = time.perf_counter()
    with PeakMemory() as memory:
        import dagster as dg

        from pipelines.definitions import defs

        loaded = time.perf_counter()
        job = defs.resolve_job_def("nightly_refresh")
        with dg.DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
            steps = {s.step_key: s for s in instance.get_run_step_stats(result.run_id)}
        finished = time.perf_counter()
    stages: dict[str, float] = {}
    for key, stats in steps.items():
        if stats.start_time and stats.end_time:
            stages[stage_of(key)] = stages.get(stage_of(key), 0.0) + stats.end_time - stats.start_time
    rows_read = 0
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        if "rows_read" in meta and event.materialization.asset_key.path[0] == "raw":
            rows_read += int(meta["rows_read"].value)
    return {
        "success": result.success,
        "wall_s": round(finished - started, 2),
        "load_s": round(loaded - started, 2),
        "run_s": round(finished - loaded, 2),
        "stages_s": {k: round(v, 2) for k, v in sorted(stages.items())},
        "steps_s": {
            k: round(s.end_time - s.start_time, 2)
            for k, s in sorted(steps.items())
            if s.start_time and s.end_time
        },
        "rows_read": rows_read,
        "peak_rss_mb": round(memory.peak / 2**20),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True, type=Path)
    args = parser.parse_args()
    os.environ["TKPK_DATA_DIR"] = str(args.data_dir)
    print(json.dumps(measure(args.data_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
