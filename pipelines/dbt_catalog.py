"""What the dbt project says about its models that the rest of the pipeline needs: one owner, dbt's manifest.

Which marts are published, and by which publishing asset, is dbt model meta (`meta.tkpk.publish` in
`dbt_project/dbt_project.yml`: `bi` for the marts folder, `restricted` for the by-name list), so a new mart
is published by adding its model, not by editing lists in Python. The manifest is prepared at build time
(`make manifest`, i.e. `dbt parse`); reading it is cheap and needs no warehouse.
"""

import json
from functools import cache
from pathlib import Path

from pipelines import settings

MANIFEST = settings.DBT_PROJECT_DIR / "target" / "manifest.json"


@cache
def _manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} is missing: prepare the dbt manifest first (`make manifest`, i.e. `cd dbt_project && dbt parse`)."
        ) from None


def published_models(audience: str, manifest: Path = MANIFEST) -> tuple[str, ...]:
    """Names of the models whose `meta.tkpk.publish` is `audience` (`bi` or `restricted`), sorted."""
    nodes = _manifest(manifest).get("nodes", {}).values()
    return tuple(
        sorted(
            n["name"]
            for n in nodes
            if n.get("resource_type") == "model"
            and ((n.get("config") or {}).get("meta") or n.get("meta") or {}).get("tkpk", {}).get("publish")
            == audience
        )
    )
