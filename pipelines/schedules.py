"""The nightly job, its schedule and the drop-zone sensor."""

import dagster as dg

nightly_job = dg.define_asset_job(
    name="nightly_refresh",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Land every extract, build the marts, run the gate, publish. In-process: one Python start.",
)

schedules: list = []
sensors: list = []
jobs = [nightly_job]
