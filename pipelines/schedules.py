"""The nightly job, its schedule and the drop-zone sensor.

The job runs in-process: one Python start instead of one per step (13-17 s each here), and never two steps
writing the DuckDB file at once. Its runs carry the tag `tkpk/warehouse=writer`, which the instance
(`dagster_home/dagster.yaml`) limits to one run at a time on top of the global run queue of one: a scheduled
run, a sensor run and a run launched from the UI queue behind each other instead of fighting over the file.

The schedule is on by default whenever the daemon runs (`make ui` starts one): 01:00 in Lampung (WIB,
Asia/Jakarta, UTC+7, no daylight saving), i.e. 18:00 UTC the evening before, after the agencies' working day
and well before anyone opens a dashboard.
"""

import dagster as dg

from pipelines.sensors import NIGHTLY_JOB_NAME, raw_drop_zone

WAREHOUSE_WRITER_TAGS = {"tkpk/warehouse": "writer"}

nightly_job = dg.define_asset_job(
    name=NIGHTLY_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    tags=WAREHOUSE_WRITER_TAGS,
    description=(
        "Land every extract, build the marts, run the gate, publish. In-process: one Python start. "
        "Launch it from its job page (Materialize all); scheduled nightly at 01:00 Asia/Jakarta."
    ),
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_refresh_0100_wib",
    job=nightly_job,
    cron_schedule="0 1 * * *",
    execution_timezone="Asia/Jakarta",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The whole warehouse every night at 01:00 Asia/Jakarta (18:00 UTC). On by default.",
)

schedules: list = [nightly_schedule]
sensors: list = [raw_drop_zone]
jobs = [nightly_job]
