"""The run's configuration, as Dagster resources: the one place that reads the `TKPK_*` environment.

Each setting is a resource field with a local default; `build_resources()` sets a field to `dg.EnvVar(name)`
when that variable is set (Dagster then reads it when a run or a sensor evaluation starts, and the UI shows
the variable's name, never its value), and leaves the default otherwise. Assets, checks and the sensor get
these resources and pass paths and limits down; the libraries under pipelines/ read no environment.
`TKPK_HASH_KEY` is the exception: landing asks `settings.hash_key()` for it (issue 11 owns the key).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import settings

# field of a resource -> the environment variable that sets it (README, "The data folder").
WAREHOUSE_ENV = {
    "data_dir": "TKPK_DATA_DIR",
    "path": "TKPK_WAREHOUSE_PATH",
    "memory_limit": "TKPK_DUCKDB_MEMORY_LIMIT",
}
PUBLISHING_ENV = {
    "keep_releases": "TKPK_KEEP_RELEASES",
    "lock_wait_seconds": "TKPK_PUBLISH_LOCK_WAIT_SECONDS",
}
DROP_ZONE_ENV = {"quiet_seconds": "TKPK_SENSOR_QUIET_SECONDS"}
INT_FIELDS = {"keep_releases"}


class WarehouseResource(dg.ConfigurableResource):
    """The data folder and the warehouse DuckDB file in it: every path a run reads or writes."""

    data_dir: str = ""  # empty: ./data of the repository
    path: str = ""  # empty: <data_dir>/warehouse.duckdb
    memory_limit: str = settings.DEFAULT_MEMORY_LIMIT

    def data_path(self) -> Path:
        return Path(self.data_dir or settings.DEFAULT_DATA_DIR).resolve()

    def db_path(self) -> Path:
        return Path(self.path).resolve() if self.path else self.data_path() / settings.WAREHOUSE_FILE

    def raw_dir(self) -> Path:
        return self.data_path() / "raw"

    def marts_dir(self) -> Path:
        return self.data_path() / "marts"

    def restricted_dir(self) -> Path:
        return self.data_path() / "restricted"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        db = self.db_path()
        if not db.parent.is_dir():  # a mistyped TKPK_DATA_DIR must not become a new, empty warehouse
            raise FileNotFoundError(
                f"the warehouse folder {db.parent} does not exist (TKPK_DATA_DIR / TKPK_WAREHOUSE_PATH); "
                "nothing was created"
            )
        con = duckdb.connect(str(db), read_only=read_only)
        try:
            con.execute(f"set memory_limit = '{self.memory_limit}'")
            yield con
        finally:
            con.close()


class PublishingResource(dg.ConfigurableResource):
    """How publishing treats its readers: releases kept for slow readers, wait for a busy warehouse."""

    keep_releases: int = settings.DEFAULT_KEEP_RELEASES
    lock_wait_seconds: str = "60"  # a string: Dagster's EnvVar fills string and int fields only

    def lock_wait(self) -> float:
        return float(self.lock_wait_seconds)


class DropZoneResource(dg.ConfigurableResource):
    """The drop-zone sensor's patience: seconds without a write before a delivery counts as complete."""

    quiet_seconds: str = str(settings.DEFAULT_SENSOR_QUIET_SECONDS)

    def quiet(self) -> float:
        return float(self.quiet_seconds)


def _from_env(fields: dict[str, str], resolve: bool) -> dict:
    """`dg.EnvVar` (or, resolved, the value) for each field whose variable is set; the rest keep defaults."""
    out: dict = {}
    for field, name in fields.items():
        if os.environ.get(name):
            if resolve:
                out[field] = int(os.environ[name]) if field in INT_FIELDS else os.environ[name]
            else:
                out[field] = dg.EnvVar.int(name) if field in INT_FIELDS else dg.EnvVar(name)
    return out


def warehouse_resource(resolve: bool = False) -> WarehouseResource:
    """The warehouse resource from the environment. `resolve=True` reads the values now (for code outside
    Dagster, such as `python -m pipelines.cli summary`); otherwise Dagster reads them when a run starts."""
    return WarehouseResource(**_from_env(WAREHOUSE_ENV, resolve))


def build_resources(resolve: bool = False) -> dict[str, dg.ConfigurableResource]:
    """Every resource of the code location except dbt's (pipelines/assets/dbt.py)."""
    return {
        "warehouse": warehouse_resource(resolve),
        "publishing": PublishingResource(**_from_env(PUBLISHING_ENV, resolve)),
        "drop_zone": DropZoneResource(**_from_env(DROP_ZONE_ENV, resolve)),
    }
