"""The nightly job as the schedule runs it: a night with nothing new costs seconds and changes nothing;
a late delivery is landed, rebuilt and published the next night."""

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs
from pipelines.publishing.bi import current_version


def nightly(tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("nightly_refresh")
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, tags=tags or {}, raise_on_error=False)


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def revalidated(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    checks = {}
    for event in result.get_asset_check_evaluations():
        checks[event.check_name] = event.metadata.get("revalidated", dg.MetadataValue.bool(True)).value
    return checks


def deliveries(data_dir: Path) -> int:
    with duckdb.connect(str(data_dir / "marts" / "marts.duckdb"), read_only=True) as con:
        return con.execute(
            "select sum(deliveries) from main.intervention_summary where region_level = 'province'"
        ).fetchall()[0][0]


@pytest.mark.slow
def test_a_night_without_new_files_rebuilds_nothing_and_a_late_delivery_is_published(
    data_dir: Path, tiny_clean_extracts: Path
) -> None:
    shutil.copytree(tiny_clean_extracts, data_dir / "raw", dirs_exist_ok=True)
    first = nightly()
    assert first.success
    published = current_version(data_dir / "marts")
    assert {"marts/sector_gaps", "publish/bi_marts", "publish/restricted_lists"} <= materialized(first)
    before = deliveries(data_dir)

    quiet = nightly()
    assert quiet.success
    assert not any(key.startswith(("marts/", "publish/", "staging/")) for key in materialized(quiet))
    assert current_version(data_dir / "marts") == published
    assert revalidated(quiet) == dict.fromkeys(revalidated(quiet), False)
    assert {"gx_bdt_households", "gx_interventions"} <= set(revalidated(quiet))

    forced = nightly({"tkpk/rebuild": "true"})
    assert forced.success and "publish/bi_marts" in materialized(forced)
    assert all(revalidated(forced).values())
    rebuilt = current_version(data_dir / "marts")
    assert rebuilt != published

    late = data_dir / "raw" / "interventions" / "2017"
    report = next(p for p in sorted(late.glob("*.csv")))
    shutil.copyfile(report, late / "zz_late_report.csv")
    added = sum(1 for line in report.read_text(encoding="utf-8-sig").splitlines()[1:] if line.strip())
    next_night = nightly()
    assert next_night.success
    assert "publish/bi_marts" in materialized(next_night)
    assert current_version(data_dir / "marts") not in (published, rebuilt)
    assert deliveries(data_dir) == before + added
