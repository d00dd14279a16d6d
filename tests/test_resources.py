"""One owner per setting: the Dagster resources read the environment, and every step uses what they say.

Also the compact progress display of `make run`: one line per step, failures named, everything in the log.
"""

import io
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import progress, settings
from pipelines.assets.raw import raw_assets
from pipelines.gate.checks import gate_checks
from pipelines.resources import (
    DROP_ZONE_ENV,
    PUBLISHING_ENV,
    WAREHOUSE_ENV,
    WarehouseResource,
    build_resources,
)

ALL_ENV = {**WAREHOUSE_ENV, **PUBLISHING_ENV, **DROP_ZONE_ENV}


def test_resources_take_each_setting_from_its_variable_or_the_local_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ALL_ENV.values():
        monkeypatch.delenv(name, raising=False)
    defaults = build_resources()
    assert defaults["warehouse"].db_path() == settings.DEFAULT_DATA_DIR.resolve() / "warehouse.duckdb"
    assert defaults["warehouse"].memory_limit == "3GB"
    assert defaults["publishing"].keep_releases == 3 and defaults["publishing"].lock_wait() == 60
    assert defaults["drop_zone"].quiet() == 120

    monkeypatch.setenv("TKPK_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("TKPK_KEEP_RELEASES", "5")
    monkeypatch.setenv("TKPK_SENSOR_QUIET_SECONDS", "0.5")
    declared = build_resources()
    # Declared as EnvVar: Dagster reads the variable when a run starts, and the UI shows its name only.
    assert isinstance(declared["warehouse"].data_dir, dg.EnvVar)
    assert declared["warehouse"].data_dir.env_var_name == "TKPK_DATA_DIR"
    resolved = build_resources(resolve=True)
    assert resolved["warehouse"].raw_dir() == (tmp_path / "d").resolve() / "raw"
    assert resolved["publishing"].keep_releases == 5 and resolved["drop_zone"].quiet() == 0.5

    # ... and a run resolves the EnvVar to the value of the variable at run time
    @dg.asset
    def where(warehouse: WarehouseResource) -> str:
        return str(warehouse.db_path())

    monkeypatch.setenv("TKPK_DATA_DIR", str(tmp_path / "later"))
    result = dg.materialize([where], resources=declared)
    assert result.output_for_node("where") == str((tmp_path / "later").resolve() / "warehouse.duckdb")


def test_the_warehouse_path_reaches_landing_the_gate_and_the_state_table(
    data_dir: Path, tiny_extracts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TKPK_WAREHOUSE_PATH elsewhere: the landed tables, the suites' verdicts and the state all go there."""
    elsewhere = tmp_path / "elsewhere" / "wh.duckdb"
    elsewhere.parent.mkdir()  # a warehouse folder that does not exist is an error, never created
    monkeypatch.setenv("TKPK_WAREHOUSE_PATH", str(elsewhere))
    shutil.copytree(tiny_extracts, data_dir / "raw", dirs_exist_ok=True)
    raw_checks = [c for c in gate_checks if all(k.asset_key.path[0] == "raw" for k in c.check_keys)]
    result = dg.materialize([*raw_assets, *raw_checks], resources=build_resources(), raise_on_error=False)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 5 and all(e.passed for e in evaluations)
    assert not (data_dir / "warehouse.duckdb").exists()
    with duckdb.connect(str(elsewhere), read_only=True) as con:
        landed = con.execute("select count(*) from raw.bdt_households").fetchall()[0][0]
        passed = con.execute(
            "select key from main.pipeline_state where key like 'gate:%' order by 1"
        ).fetchall()
    assert landed > 0
    assert [k for (k,) in passed] == [f"gate:{t}" for t in sorted(
        ["bdt_households", "bdt_individuals", "ikd", "interventions", "population"]
    )]  # fmt: skip


def test_progress_shows_one_line_per_step_and_logs_everything(tmp_path: Path) -> None:
    @dg.asset(key=["raw", "good"])
    def good() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"dagster/row_count": 1234})

    @dg.asset_check(asset=good, blocking=True)
    def good_is_good() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="not good at all")

    @dg.asset(key=["marts", "after"], deps=[good])
    def after() -> None: ...

    @dg.asset(key=["raw", "chatty"])
    def chatty(context: dg.AssetExecutionContext) -> None:
        context.log.info("this INFO line goes to the log file only")

    terminal, log = io.StringIO(), io.StringIO()
    probe = dg.define_asset_job("progress_probe", selection=dg.AssetSelection.all())
    defs = dg.Definitions(assets=[good, after, chatty], asset_checks=[good_is_good], jobs=[probe])
    job = defs.resolve_job_def("progress_probe")
    job = job.with_logger_defs({"progress": progress.progress_logger_def(terminal, log)})
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, run_config={"loggers": {"progress": {}}}, raise_on_error=False
        )
    assert not result.success
    lines = terminal.getvalue().splitlines()
    assert any("ok" in line and "raw__good" in line and "1,234 rows" in line for line in lines), lines
    assert any("FAILED" in line and "raw__good_good_is_good" in line and "1 FAILED" in line for line in lines)
    assert any("FAILED: raw/good:good_is_good" in line for line in lines)  # which check, by name
    assert not any("INFO line" in line for line in lines)  # the terminal stays compact ...
    assert "this INFO line goes to the log file only" in log.getvalue()  # ... the log has everything
    assert "STEP_START" in log.getvalue()
    assert any("marts__after" in line and "Not executing" in line for line in lines)  # blocked, and said so
