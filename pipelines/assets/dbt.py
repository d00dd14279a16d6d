"""dbt models as Dagster assets: one lineage graph from the raw tables to the marts.

- Sources are the landing's assets: each dbt source table carries `meta.dagster.asset_key: ["raw", <table>]`.
- Models get keys `[<layer>, <model>]` (layer = staging, intermediate, marts, restricted: the folder under
  models/ and the DuckDB schema); seeds get `["reference", <seed>]`.
- Groups are the layers: `staging`, `intermediate`, `marts`, `restricted` (the model's folder) and
  `reference` (the seeds); the sources keep the landing's group `raw`.
- dbt tests become asset checks (dagster-dbt's default), each described by what it asserts; model
  descriptions come from the dbt yml files; every materialisation carries its column types and, for tables
  and seeds, its row count (`dbt_metadata.py`).

The manifest is prepared at build time (`make manifest`, i.e. `dbt parse`, or the test fixtures), never when
this module loads: loading it must stay cheap and must not need the warehouse.
"""

import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines import settings, state
from pipelines.assets.dbt_metadata import with_relation_metadata
from pipelines.resources import WarehouseResource

MODEL_LAYERS = ("staging", "intermediate", "marts", "restricted")
SEED_GROUP = "reference"
# One fixed folder for the artifacts of runs started by Dagster, replaced by each run (dagster-dbt would
# otherwise leave a target/<op>-<run id>-<uuid> folder per run behind).
RUN_TARGET_DIR = "dagster_run"

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt next to this Python (the project's venv), so a run works without the venv on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def model_layer(dbt_resource_props: Mapping[str, Any]) -> str:
    """The layer of a dbt model: its folder under models/ (fqn = [project, layer, ...])."""
    fqn = dbt_resource_props.get("fqn") or []
    if len(fqn) > 2 and fqn[1] in MODEL_LAYERS:
        return fqn[1]
    schema = (dbt_resource_props.get("config") or {}).get("schema") or dbt_resource_props.get("schema")
    if schema in MODEL_LAYERS:
        return schema
    raise ValueError(
        f"dbt model {dbt_resource_props.get('name')} is outside models/{{{','.join(MODEL_LAYERS)}}}"
    )


class TkpkDbtTranslator(DagsterDbtTranslator):
    """Keys that read well and one group per layer (docs/architecture.md)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key: ["raw", table]
        if resource_type == "seed":
            return dg.AssetKey(["reference", dbt_resource_props["name"]])
        return dg.AssetKey([model_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dagster-dbt's check, with a description saying what the dbt test asserts (the UI shows it)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        test = manifest["nodes"][unique_id]
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=test_description(test),
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
        )

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "seed":
            return SEED_GROUP
        if resource_type == "model":
            return model_layer(dbt_resource_props)
        return super().get_group_name(dbt_resource_props)


# What each generic test asserts, for the check's description; `{column}` and the test's arguments fill in.
TEST_DESCRIPTIONS = {
    "not_null": "`{column}` is never null",
    "unique": "`{column}` is unique",
    "accepted_values": "`{column}` only takes the values {values}",
    "relationships": "every `{column}` exists in `{field}` of `{to}`",
    "unique_combination_of_columns": "one row per ({combination_of_columns})",
    "non_negative": "`{column}` is never negative",
    "between": "`{column}` is between {min_value} and {max_value}",
}


def test_description(test: Mapping[str, Any]) -> str:
    """A dbt test's own description if it has one, else what its generic test asserts, and its severity."""
    if test.get("description"):
        return test["description"]
    metadata = test.get("test_metadata") or {}
    kwargs = {k: v for k, v in (metadata.get("kwargs") or {}).items() if k != "model"}
    kwargs["column"] = kwargs.get("column_name") or test.get("column_name") or ""
    for name, value in kwargs.items():
        if isinstance(value, list):
            kwargs[name] = ", ".join(str(v) for v in value)
        elif isinstance(value, str) and (ref := re.search(r"(ref|source|var)\(([^)]*)\)", value)):
            target = ref.group(2).replace("'", "").replace('"', "").replace(", ", ".")  # ref('x') -> x
            kwargs[name] = f"of the dbt var `{target}`" if ref.group(1) == "var" else target
    template = TEST_DESCRIPTIONS.get(metadata.get("name", ""), "dbt test `{name}`")
    try:
        text = template.format(name=test.get("name", ""), **kwargs)
    except (KeyError, IndexError):
        text = f"dbt test `{metadata.get('name') or test.get('name')}`"
    severity = ((test.get("config") or {}).get("severity") or "error").lower()
    return f"dbt test: {text}." + (
        " Warns only: does not block." if severity == "warn" else " Blocks on failure."
    )


def _manifest_path() -> Path:
    path = dbt_project.manifest_path
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: prepare the dbt manifest first (`make manifest`, i.e. `cd dbt_project && dbt parse`)."
        )
    return path


def run_target_dir() -> Path:
    """The fixed artifacts folder of Dagster-started runs, primed with the partial-parse file of `dbt parse`.

    dbt reuses that file only when the project, dbt version and environment match, and parses afresh
    otherwise, so priming it is always safe; it saves a full parse on the first run after `make manifest`.
    """
    target = Path(dbt_project.project_dir) / "target"
    run_dir = target / RUN_TARGET_DIR
    run_dir.mkdir(parents=True, exist_ok=True)
    parsed = target / "partial_parse.msgpack"
    primed = run_dir / "partial_parse.msgpack"
    if parsed.exists() and (not primed.exists() or primed.stat().st_mtime < parsed.stat().st_mtime):
        shutil.copy2(parsed, primed)
    return run_dir


@dbt_assets(
    manifest=_manifest_path(),
    dagster_dbt_translator=TkpkDbtTranslator(),
    project=dbt_project,
    name="tkpk_dbt_models",
)
def tkpk_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """`dbt build` of the selected models, seeds and tests (tests become asset checks).

    Skipped when the whole project is selected and neither the landed data nor the dbt project changed since
    the current publication was built from them: nothing downstream (mart checks, publishing) runs either,
    and the night costs seconds. A run tagged `tkpk/rebuild=true` always builds.
    """
    db = warehouse.db_path()
    if whole_project(context) and (published := unchanged_since_publication(db, context.run.tags)):
        context.log.info(
            f"Nothing changed since publication {published}: the landed data and the dbt project are the ones "
            "it was built from. dbt build skipped; the marts, their checks and the publication stay as they are "
            f"(tag a run {state.REBUILD_TAG}=true to rebuild anyway)."
        )
        return
    with dbt_environment(warehouse):
        invocation = dbt.cli(["build"], context=context, target_path=run_target_dir())
    # Row counts and column types from DuckDB after the build (why not dagster-dbt's fetchers: dbt_metadata)
    yield from with_relation_metadata(context, invocation.stream(), db)


def whole_project(context: dg.AssetExecutionContext) -> bool:
    return set(context.selected_asset_keys) == set(tkpk_dbt_models.keys)


@contextmanager
def dbt_environment(warehouse: WarehouseResource) -> Iterator[None]:
    """The warehouse of the run, for the dbt process about to start (profiles.yml reads these variables).

    dagster-dbt starts dbt with a copy of this process's environment, so the resource's settings reach
    `profiles.yml` through it; they are set only while the process starts and restored at once.
    """
    values = {
        "TKPK_WAREHOUSE_PATH": str(warehouse.db_path()),
        "TKPK_DUCKDB_MEMORY_LIMIT": warehouse.memory_limit,
    }
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def unchanged_since_publication(db: Path, tags: Mapping[str, str]) -> str | None:
    """The published version built from exactly the current inputs, if there is one."""
    if state.rebuild_requested(dict(tags)):
        return None
    con = state.open_warehouse(db, read_only=True)
    if con is None:
        return None
    with con:
        current = state.build_fingerprint(con)
        published = [state.read(con, key) for key in state.PUBLISHED_KEYS]
    if current is None or any(p is None for p in published):
        return None
    versions = [p.split(" ", 1) for p in published]
    return versions[0][1] if all(fp == current for fp, _ in versions) else None


dbt_assets_list: list = [tkpk_dbt_models]
dbt_resources: dict = {
    "dbt": DbtCliResource(
        project_dir=dbt_project, profiles_dir=str(settings.DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    ),
}
