"""The Dagster code location: everything the warehouse runs, gathered in one place."""

import dagster as dg

from pipelines.assets.dbt import dbt_assets_list, dbt_resources
from pipelines.assets.publish import publish_assets
from pipelines.assets.raw import raw_assets
from pipelines.gate.checks import gate_checks
from pipelines.resources import build_resources
from pipelines.schedules import jobs, schedules, sensors

defs = dg.Definitions(
    assets=[*raw_assets, *dbt_assets_list, *publish_assets],
    asset_checks=gate_checks,
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources={**build_resources(), **dbt_resources},
    # In-process for every run, the UI's "Materialize" included: one Python start instead of one per step,
    # and never two steps writing the one DuckDB file at once.
    executor=dg.in_process_executor,
)
