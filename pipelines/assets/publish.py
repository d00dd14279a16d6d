"""Publishing the gated marts for BI (group `publish`).

Both assets depend on the dbt models by key only (`deps=`), so this module needs none of the dbt objects; the
gate's blocking checks on those models stop these steps when a mart fails them. The logic, and why it is
atomic, is in `pipelines/publishing/`.
"""

import dagster as dg

from pipelines import markdown, state
from pipelines.dbt_catalog import published_models
from pipelines.publishing import MARTS, DuckDBLimits, publish_bi_marts, publish_restricted_lists
from pipelines.publishing.bi import SERVING_FILE
from pipelines.resources import PublishingResource, WarehouseResource

MART_KEYS = [dg.AssetKey(["marts", name]) for name in MARTS]
RESTRICTED_KEYS = [dg.AssetKey(["restricted", name]) for name in published_models("restricted")]


@dg.asset(
    key=["publish", "bi_marts"],
    group_name="publish",
    deps=MART_KEYS,
    kinds={"duckdb", "parquet"},
    description=(
        "The five BI marts published for dashboards: `data/marts/<mart>.parquet` and the read-only serving "
        "database `data/marts/marts.duckdb` (schemas `main` and `marts`), each table stamped with "
        "`published_version`. Built beside the previous publication and switched in by one atomic rename, "
        "so BI readers never see half a refresh; a failed run leaves the previous publication as it was. "
        "No personal data: publishing refuses NIK/KK-like values and personal column names. "
        "See data/marts/README.md (generated)."
    ),
    tags={"tkpk/audience": "bi"},
)
def bi_marts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, publishing: PublishingResource
) -> dg.MaterializeResult:
    pub = publish_bi_marts(
        warehouse.db_path(),
        warehouse.marts_dir(),
        run_id=context.run_id,
        keep=publishing.keep_releases,
        limits=_limits(warehouse, publishing),
    )
    state.remember_publication(warehouse.db_path(), "published_build:bi_marts", pub.version)
    rows = [
        {"table": f"`{n}`", "rows": f"{t.rows:,}", "columns": len(t.columns)} for n, t in pub.tables.items()
    ]
    context.log.info(
        f"Published {pub.version} to {pub.marts_dir} (pruned: {', '.join(pub.pruned) or 'none'})."
    )
    return dg.MaterializeResult(
        metadata={
            "published_version": pub.version,
            "serving_file": dg.MetadataValue.path(str(pub.marts_dir / SERVING_FILE)),
            "release_dir": dg.MetadataValue.path(str(pub.release_dir)),
            "readme": dg.MetadataValue.path(str(pub.marts_dir / "README.md")),
            "total_rows": sum(t.rows for t in pub.tables.values()),
            **{f"rows/{n}": t.rows for n, t in pub.tables.items()},
            "tables": dg.MetadataValue.md(markdown.table(rows)),
            "pruned_releases": len(pub.pruned),
        }
    )


@dg.asset(
    key=["publish", "restricted_lists"],
    group_name="publish",
    deps=RESTRICTED_KEYS,
    kinds={"parquet"},
    description=(
        "The by-name target households, one list per kabupaten/kota for the agencies that act on them: "
        "`data/restricted/<kemendagri kab code>/target_households.parquet` (0640, outside data/marts/), "
        "each file replaced atomically and stamped with `published_version`. Personal data: never for BI."
    ),
    tags={"tkpk/audience": "restricted"},
)
def restricted_lists(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, publishing: PublishingResource
) -> dg.MaterializeResult:
    out = publish_restricted_lists(
        warehouse.db_path(),
        warehouse.restricted_dir(),
        run_id=context.run_id,
        limits=_limits(warehouse, publishing),
    )
    state.remember_publication(warehouse.db_path(), "published_build:restricted_lists", out["version"])
    lists = out["lists"]
    table = [{"kab": code, "name": v["kab_name"], "rows": f"{v['rows']:,}"} for code, v in lists.items()]
    return dg.MaterializeResult(
        metadata={
            "published_version": out["version"],
            "restricted_dir": dg.MetadataValue.path(str(warehouse.restricted_dir())),
            "lists": len(lists),
            "total_rows": sum(v["rows"] for v in lists.values()),
            "rows_by_kab": dg.MetadataValue.md(markdown.table(table)),
        }
    )


def _limits(warehouse: WarehouseResource, publishing: PublishingResource) -> DuckDBLimits:
    return DuckDBLimits(memory_limit=warehouse.memory_limit, lock_wait_seconds=publishing.lock_wait())


publish_assets: list = [bi_marts, restricted_lists]
