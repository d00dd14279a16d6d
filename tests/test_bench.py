"""`make bench` works end to end at tiny scale: real runs, real figures, a report a person can read."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import settings


@pytest.mark.slow
def test_bench_runs_at_tiny_scale_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.nightly", "--base", "tiny", "--scale", "1", "--out", str(out)],
        cwd=settings.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    report = json.loads((out / "results.json").read_text())
    [result] = report["results"]
    cold, warm = result["cold"], result["no_new_files"]
    assert cold["success"] and warm["success"]
    assert set(cold["stages_s"]) >= {"landing", "dbt", "checks", "publish"}
    manifest = json.loads((out / "raw_tiny" / "_demo" / "manifest.json").read_text())
    assert cold["rows_read"] == sum(manifest["files"].values())
    assert result["households"] == sum(v for k, v in manifest["files"].items() if "BDT2015_RT_" in k)
    assert cold["peak_rss_mb"] > 100
    # A night with no new files lands nothing, rebuilds nothing and publishes nothing new.
    assert warm["rows_read"] == cold["rows_read"]
    assert (
        "dbt" not in warm["stages_s"] or warm["steps_s"].get("tkpk_dbt_models", 0) < cold["stages_s"]["dbt"]
    )
    floor = result["floor"]
    assert floor["rows_read"] == cold["rows_read"]
    assert floor["marts_sql_s"] > 0 and 0 < result["overhead_share"] < 1
    table = (out / "results.md").read_text()
    assert "| tiny x1 |" in table and "no new files" in table
