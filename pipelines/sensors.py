"""The drop-zone sensor: a delivery at noon need not wait for the 01:00 run.

What it watches: every file under `data/raw/` (resource `warehouse`: `TKPK_DATA_DIR` read at each evaluation), except folders
starting with `_` (landing never reads them: `_demo/`, a `_incoming/` staging area) and hidden or temporary
files (`.name.partial`, rsync's `.name.XXXXXX`, Office's `~$name.xlsx` lock files). The cursor is the JSON of
`{relative path: [size, mtime_ns]}` last acted on.

When it fires: when that snapshot differs from the cursor (a file added, changed or removed) AND no changed file
has been written to for a quiet period (resource `drop_zone`, `TKPK_SENSOR_QUIET_SECONDS`, default 120 s, judged on the later of
mtime and ctime, because copy tools that preserve mtime still bump ctime). A copy in progress keeps the sensor
waiting instead of landing half a file; the cursor only moves when a run is requested.

What it runs: the raw assets fed by the changed folders (`bdt/` -> `raw/bdt_*`, `ikd/` -> `raw/ikd*`,
`interventions/` -> `raw/interventions*`, `population/` -> `raw/population*`) and everything downstream of them
(staging, marts, gate, publish). A change it cannot map (a file at the top of `raw/`, a new folder, raw assets
not defined) runs the whole nightly job. Runs go through the instance's run queue: one writer at a time.

Default: STOPPED. Deliveries here are copied by hand, often one file of a set at a time (the BDT household and
person files, an OPD's yearly interventions folder) over minutes or hours. The quiet period guards one file
being copied, not a set half-delivered: with the sensor on by default a half delivery would be landed and
published to every dashboard, then again when the rest arrives, and each run takes the warehouse's single
writer slot in the middle of the working day. The data team turns it on in the UI (Automation > raw_drop_zone
> Start) when they want deliveries picked up as they come; the choice is stored in the Dagster instance and
survives restarts. The 01:00 schedule runs regardless.
"""

import hashlib
import json
import os
import time
from pathlib import Path

import dagster as dg

from pipelines.resources import DropZoneResource, WarehouseResource

NIGHTLY_JOB_NAME = "nightly_refresh"

# Drop-zone folder -> prefixes of the raw asset names it feeds (docs/architecture.md, "Landing").
FOLDER_ASSETS: dict[str, tuple[str, ...]] = {
    "bdt": ("bdt_",),
    "ikd": ("ikd",),
    "interventions": ("interventions",),
    "population": ("population",),
}


def _ignored(name: str) -> bool:
    return name.startswith(("_", ".", "~$"))


def snapshot(raw: Path) -> dict[str, list[int]]:
    """`{relative path: [size, mtime_ns]}` of the files landing would read."""
    out: dict[str, list[int]] = {}
    if not raw.is_dir():
        return out
    for root, dirs, files in os.walk(raw):
        dirs[:] = sorted(d for d in dirs if not _ignored(d))
        for name in files:
            if _ignored(name):
                continue
            p = Path(root) / name
            try:
                st = p.stat()
            except FileNotFoundError:  # removed while we looked: the next evaluation sees it gone
                continue
            out[p.relative_to(raw).as_posix()] = [st.st_size, st.st_mtime_ns]
    return out


def changed_paths(before: dict[str, list[int]], now: dict[str, list[int]]) -> list[str]:
    return sorted(p for p in set(before) | set(now) if before.get(p) != now.get(p))


def last_write_age(raw: Path, paths: list[str]) -> float:
    """Seconds since the most recent write among `paths` that still exist (inf when none exists)."""
    newest = 0.0
    for rel in paths:
        try:
            st = (raw / rel).stat()
        except FileNotFoundError:
            continue
        newest = max(newest, st.st_mtime, st.st_ctime)
    return time.time() - newest if newest else float("inf")


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
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Watches data/raw/ (except _-prefixed folders and hidden/temp files) and, once a delivery has been "
        "quiet for TKPK_SENSOR_QUIET_SECONDS (120 s), runs the raw assets it feeds and everything downstream. "
        "Off by default: hand deliveries arrive a file at a time; start it here when you want them picked up "
        "during the day. See pipelines/sensors.py."
    ),
)
def raw_drop_zone(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource, drop_zone: DropZoneResource
) -> dg.SensorResult | dg.SkipReason:
    raw, quiet = warehouse.raw_dir(), drop_zone.quiet()
    now = snapshot(raw)
    before: dict[str, list[int]] = json.loads(context.cursor) if context.cursor else {}
    changes = changed_paths(before, now)
    if not changes:
        return dg.SkipReason(f"No new or changed files in {raw}.")
    age = last_write_age(raw, changes)
    if age < quiet:
        return dg.SkipReason(
            f"{len(changes)} changed file(s) in {raw}, last written {age:.0f} s ago: waiting for "
            f"{quiet:.0f} s of quiet before landing them."
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
