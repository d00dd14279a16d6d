"""The drop-zone sensor: a delivery at noon need not wait for the 01:00 run.

What it watches: the deliveries under `data/raw/` (resource `warehouse`: `TKPK_DATA_DIR` read at each
evaluation), by the drop zone's rules in `pipelines/landing/dropzone.py`, the same rules the landing applies:
`_`-prefixed folders (`_demo/`, `_intake/`, `_retired/`), hidden or temporary files and Office `~$name.xlsx`
lock files are not deliveries. The cursor is the JSON of `{relative path: [size, mtime_ns]}` last acted on.

When it fires: when that snapshot differs from the cursor (a file added, changed or removed) AND every changed
file is complete: moved in by the intake command (`python -m pipelines.cli intake FILE...`, which leaves a
marker), or not written to for a quiet period (resource `drop_zone`, `TKPK_SENSOR_QUIET_SECONDS`, default
120 s). A copy in progress keeps the sensor waiting; the cursor only moves when a run is requested.

What it runs: the raw assets fed by the changed folders (`bdt/` -> `raw/bdt_*`, `ikd/` -> `raw/ikd*`,
`interventions/` -> `raw/interventions*`, `population/` -> `raw/population*`) and everything downstream of them
(staging, marts, gate, publish). A change it cannot map (a file at the top of `raw/`, a new folder, raw assets
not defined) runs the whole nightly job. Runs go through the instance's run queue: one writer at a time.

Default: RUNNING. A half-copied file is not landed (here and in the landing itself, which skips files that
are not complete), a file that vanished fails its landing instead of silently removing its rows, and
agencies and the data team deliver with the intake command, which validates a file before moving it in.
The data team can still stop it in the UI (Automation > raw_drop_zone > Stop); the choice is stored in the
Dagster instance and survives restarts. The 01:00 schedule runs regardless.
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.landing import dropzone
from pipelines.landing.dropzone import snapshot
from pipelines.resources import DropZoneResource, WarehouseResource

NIGHTLY_JOB_NAME = "nightly_refresh"
__all__ = ["raw_drop_zone", "snapshot"]

# Drop-zone folder -> prefixes of the raw asset names it feeds (docs/architecture.md, "Landing").
FOLDER_ASSETS: dict[str, tuple[str, ...]] = {
    "bdt": ("bdt_",),
    "ikd": ("ikd",),
    "interventions": ("interventions",),
    "population": ("population",),
}


def changed_paths(before: dict[str, list[int]], now: dict[str, list[int]]) -> list[str]:
    return sorted(p for p in set(before) | set(now) if before.get(p) != now.get(p))


def incomplete(raw: Path, paths: list[str], quiet_seconds: float) -> list[tuple[str, float]]:
    """Changed files that still exist and are not complete yet, with seconds since their last write."""
    out = []
    for rel in paths:
        try:
            st = (raw / rel).stat()
        except FileNotFoundError:
            continue
        if not dropzone.is_complete(raw, rel, st, quiet_seconds):
            out.append((rel, dropzone.last_write_age(st)))
    return out


def affected_assets(
    repository_def: dg.RepositoryDefinition | None, paths: list[str]
) -> list[dg.AssetKey] | None:
    """Raw assets fed by the changed folders plus everything downstream; None means: the whole job."""
    if repository_def is None:
        return None
    folders = {p.split("/", 1)[0] if "/" in p else "" for p in paths}
    if not folders or not folders <= set(FOLDER_ASSETS):
        return None
    graph = repository_def.asset_graph
    raw_keys = [k for k in graph.materializable_asset_keys if len(k.path) == 2 and k.path[0] == "raw"]
    roots: set[dg.AssetKey] = set()
    for folder in folders:
        hits = [k for k in raw_keys if k.path[1].startswith(FOLDER_ASSETS[folder])]
        if not hits:
            return None
        roots.update(hits)
    selected = dg.AssetSelection.assets(*roots).downstream().resolve(graph)
    job_keys = set(repository_def.get_job(NIGHTLY_JOB_NAME).asset_layer.selected_asset_keys)
    return sorted(k for k in selected if k in job_keys) or None


@dg.sensor(
    name="raw_drop_zone",
    job_name=NIGHTLY_JOB_NAME,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Watches data/raw/ (the drop zone's rules: not _-prefixed folders, hidden/temp or ~$ lock files) and, "
        "once every changed file is complete (moved in by `python -m pipelines.cli intake`, or quiet for "
        "TKPK_SENSOR_QUIET_SECONDS, 120 s), runs the raw assets it feeds and everything downstream. "
        "On by default. See pipelines/sensors.py."
    ),
)
def raw_drop_zone(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource, drop_zone: DropZoneResource
) -> dg.SensorResult | dg.SkipReason:
    raw, quiet = warehouse.raw_dir(), drop_zone.quiet()
    if not raw.is_dir():
        return dg.SkipReason(f"The drop zone {raw} does not exist: check TKPK_DATA_DIR.")
    now = snapshot(raw)
    before: dict[str, list[int]] = json.loads(context.cursor) if context.cursor else {}
    changes = changed_paths(before, now)
    if not changes:
        return dg.SkipReason(f"No new or changed files in {raw}.")
    waiting = incomplete(raw, changes, quiet)
    if waiting:
        shown = ", ".join(f"{rel} (written {age:.0f} s ago)" for rel, age in waiting[:5])
        return dg.SkipReason(
            f"{len(changes)} changed file(s) in {raw}; waiting for {len(waiting)} still being written: {shown}. "
            f"A file is taken once moved in by the intake command or quiet for {quiet:.0f} s."
        )
    selection = affected_assets(context.repository_def, changes)
    cursor = json.dumps(now, sort_keys=True)
    key = hashlib.sha256((json.dumps(before, sort_keys=True) + cursor).encode()).hexdigest()[:20]
    folders = sorted({p.split("/", 1)[0] if "/" in p else "." for p in changes})
    context.log.info(f"Changed in {raw}: {', '.join(changes[:20])}{' ...' if len(changes) > 20 else ''}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=key,
                asset_selection=selection,
                tags={"tkpk/trigger": "raw_drop_zone", "tkpk/changed_folders": ",".join(folders)[:60]},
            )
        ],
        cursor=cursor,
    )
