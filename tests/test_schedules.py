"""The nightly schedule, the drop-zone sensor (with real files) and the one-writer run queue."""

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.resources import build_resources
from pipelines.schedules import jobs, nightly_job, nightly_schedule, schedules, sensors
from pipelines.sensors import raw_drop_zone, snapshot

REPO = Path(__file__).resolve().parent.parent


def test_schedule_runs_the_whole_job_at_0100_jakarta_on_by_default() -> None:
    assert schedules == [nightly_schedule] and nightly_job in jobs and raw_drop_zone in sensors
    assert nightly_schedule.cron_schedule == "0 1 * * *"
    assert nightly_schedule.execution_timezone == "Asia/Jakarta"
    assert nightly_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert nightly_schedule.job_name == "nightly_refresh"

    from dagster._utils.schedules import cron_string_iterator

    start = datetime(2025, 3, 10, 12, 0, tzinfo=UTC).timestamp()
    ticks = cron_string_iterator(start, nightly_schedule.cron_schedule, nightly_schedule.execution_timezone)
    first, second = next(ticks), next(ticks)
    # 01:00 WIB is 18:00 UTC the evening before; no daylight saving, so every night the same
    assert (first.hour, first.minute, str(first.tzinfo)) == (1, 0, "Asia/Jakarta")
    assert first.astimezone(UTC) == datetime(2025, 3, 10, 18, 0, tzinfo=UTC)
    assert second.astimezone(UTC) == datetime(2025, 3, 11, 18, 0, tzinfo=UTC)

    ctx = dg.build_schedule_context(scheduled_execution_time=first)
    requests = nightly_schedule.evaluate_tick(ctx).run_requests
    assert len(requests) == 1 and requests[0].asset_selection is None  # the whole job


def test_whole_job_in_process_selects_everything_and_is_tagged_as_the_writer() -> None:
    from pipelines.definitions import defs

    job = defs.resolve_job_def("nightly_refresh")
    assert job.executor_def is dg.in_process_executor
    assert job.tags.get("tkpk/warehouse") == "writer"
    keys = set(job.asset_layer.selected_asset_keys)
    assert {dg.AssetKey(["publish", "bi_marts"]), dg.AssetKey(["publish", "restricted_lists"])} <= keys
    repo = defs.get_repository_def()
    assert {s.name for s in repo.schedule_defs} == {"nightly_refresh_0100_wib"}
    assert {s.name for s in repo.sensor_defs} == {"raw_drop_zone"}


def test_instance_lets_one_run_write_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 1
        assert {"key": "tkpk/warehouse", "value": "writer", "limit": 1} in queue.tag_concurrency_limits
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        # a dead run must not hold the only slot for ever
        assert instance.run_monitoring_enabled and 0 < instance.run_monitoring_max_runtime_seconds <= 6 * 3600
    raw = yaml.safe_load((REPO / "dagster_home" / "dagster.yaml").read_text())
    assert raw["telemetry"]["enabled"] is False


# --- the sensor, on real files -------------------------------------------------------------------------


@pytest.fixture
def quiet0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TKPK_SENSOR_QUIET_SECONDS", "0")


def tick(cursor: str | None, definitions: dg.Definitions | None = None):
    ctx = dg.build_sensor_context(cursor=cursor, definitions=definitions, resources=build_resources())
    result = raw_drop_zone(ctx)
    if isinstance(result, dg.SkipReason):
        return None, cursor, result.skip_message
    assert isinstance(result, dg.SensorResult)
    (req,) = result.run_requests
    return req, result.cursor, None


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_sensor_fires_on_new_changed_and_removed_files_only(data_dir: Path, quiet0: None) -> None:
    raw = data_dir / "raw"
    req, cursor, why = tick(None)
    assert req is None and "No new or changed files" in why  # empty drop zone

    write(raw / "ikd" / "ikd_2017.csv", "kode;ikd\n1801042001;0,5\n")
    req, cursor, _ = tick(cursor)
    assert req is not None and req.tags["tkpk/trigger"] == "raw_drop_zone"
    assert json.loads(cursor) == {"ikd/ikd_2017.csv": list(snapshot(raw)["ikd/ikd_2017.csv"])}
    first_key = req.run_key

    assert tick(cursor)[0] is None  # unchanged: no run

    with open(raw / "ikd" / "ikd_2017.csv", "a") as f:
        f.write("1801042002;0,6\n")
    req, cursor, _ = tick(cursor)
    assert req is not None and req.run_key != first_key  # changed: run

    write(raw / "_demo" / "manifest.json", "{}")  # landing never reads _-prefixed folders
    write(raw / "bdt" / ".BDT_RT.csv.partial", "half a file")  # an upload in progress
    write(raw / "interventions" / "2017" / "~$dinsos.xlsx", "office lock")
    assert tick(cursor)[0] is None
    write(raw / "_demo" / "truth" / "x.parquet", "changed again")
    assert tick(cursor)[0] is None

    (raw / "ikd" / "ikd_2017.csv").unlink()
    req, cursor, _ = tick(cursor)
    assert req is not None and json.loads(cursor) == {}


def test_sensor_waits_until_a_delivery_is_quiet(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = data_dir / "raw"
    monkeypatch.setenv("TKPK_SENSOR_QUIET_SECONDS", "120")
    write(raw / "population" / "penduduk_2017.csv", "kode_desa;jumlah\n")
    req, cursor, why = tick(None)
    assert req is None and "waiting" in why and cursor is None  # cursor not moved: it is seen again later
    monkeypatch.setenv("TKPK_SENSOR_QUIET_SECONDS", "0.3")
    time.sleep(0.4)
    req, cursor, _ = tick(cursor)
    assert req is not None and "population/penduduk_2017.csv" in json.loads(cursor)


def _fake_definitions() -> dg.Definitions:
    """A small asset graph shaped like the real one: raw -> staging -> marts -> publish."""

    def a(key: list[str], deps: list[list[str]] = ()) -> dg.AssetsDefinition:
        @dg.asset(key=key, deps=[dg.AssetKey(d) for d in deps])
        def _a() -> None: ...

        return _a

    assets = [
        a(["raw", "bdt_households"]),
        a(["raw", "bdt_individuals"]),
        a(["raw", "ikd"]),
        a(["raw", "wilayah_villages"]),
        a(["staging", "stg_bdt"], [["raw", "bdt_households"], ["raw", "bdt_individuals"]]),
        a(["staging", "stg_ikd"], [["raw", "ikd"], ["raw", "wilayah_villages"]]),
        a(["marts", "village_priority"], [["staging", "stg_bdt"], ["staging", "stg_ikd"]]),
        a(["publish", "bi_marts"], [["marts", "village_priority"]]),
    ]
    job = dg.define_asset_job("nightly_refresh", selection=dg.AssetSelection.all())
    return dg.Definitions(assets=assets, jobs=[job], sensors=[raw_drop_zone])


def test_sensor_runs_what_the_changed_folder_feeds_and_downstream(data_dir: Path, quiet0: None) -> None:
    raw = data_dir / "raw"
    defs = _fake_definitions()
    write(raw / "ikd" / "ikd_2017.csv", "x")
    req, cursor, _ = tick(None, defs)
    assert {k.to_user_string() for k in req.asset_selection} == {
        "raw/ikd",
        "staging/stg_ikd",
        "marts/village_priority",
        "publish/bi_marts",
    }
    write(raw / "bdt" / "BDT2015_RT_1801.csv", "x")
    req, cursor, _ = tick(cursor, defs)
    assert {k.to_user_string() for k in req.asset_selection} == {
        "raw/bdt_households",
        "raw/bdt_individuals",
        "staging/stg_bdt",
        "marts/village_priority",
        "publish/bi_marts",
    }
    write(raw / "something_new.csv", "x")  # a file the sensor cannot map: the whole job
    req, cursor, _ = tick(cursor, defs)
    assert req.asset_selection is None
    write(raw / "lainnya" / "x.csv", "x")  # a folder landing does not know: the whole job
    req, cursor, _ = tick(cursor, defs)
    assert req.asset_selection is None


def test_sensor_against_the_real_definitions(data_dir: Path, quiet0: None) -> None:
    from pipelines.definitions import defs

    write(data_dir / "raw" / "population" / "penduduk_2017.csv", "x")
    req, _, _ = tick(None, defs)
    keys = set(req.asset_selection or [])
    raw_population = {k for k in defs.get_repository_def().asset_graph.materializable_asset_keys}
    raw_population = {k for k in raw_population if k.path[0] == "raw" and k.path[-1].startswith("population")}
    if raw_population:  # landing defines it: the run covers it and what is downstream, not the BDT
        assert raw_population <= keys
        assert dg.AssetKey(["raw", "bdt_households"]) not in keys
    else:  # nothing to map to yet: the whole job
        assert req.asset_selection is None


def test_sensor_is_on_by_default_and_reads_the_drop_zone_at_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quiet0: None
) -> None:
    # on: half-copied files wait (sensor and landing), vanished files fail, the intake command marks files
    assert raw_drop_zone.default_status == dg.DefaultSensorStatus.RUNNING
    assert raw_drop_zone.job_name == "nightly_refresh"
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "raw" / "ikd" / "a.csv", "x")
    monkeypatch.setenv("TKPK_DATA_DIR", str(elsewhere))
    assert tick(None)[0] is not None


def test_sensor_takes_an_intake_delivery_at_once_and_waits_for_a_hand_copy(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from handmade import DELIVERY, write_csv

    from pipelines import cli
    from pipelines.landing import dropzone

    assert snapshot is dropzone.snapshot  # one set of drop-zone rules for the sensor and the landing
    monkeypatch.setenv("TKPK_SENSOR_QUIET_SECONDS", "120")
    report = write_csv(tmp_path / "outbox" / "dinsos.csv", [DELIVERY], sep=",")
    assert cli.main(["intake", str(report), "--year", "2016", "--by", "dinsos"]) == 0
    req, cursor, _ = tick(None)
    assert req is not None and "interventions/2016/dinsos.csv" in json.loads(cursor)

    write(data_dir / "raw" / "interventions" / "2016" / "bappeda.csv", "tahun,kode_program\n")  # by hand
    req, cursor, why = tick(cursor)
    assert req is None and "waiting for 1 still being written: interventions/2016/bappeda.csv" in why


def test_sensor_says_when_the_drop_zone_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TKPK_DATA_DIR", str(tmp_path / "typo"))
    req, _, why = tick(None)
    assert req is None and "does not exist" in why and not (tmp_path / "typo").exists()
