"""Resources shared by the assets."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from pipelines import settings


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse DuckDB file. Empty settings mean: read `TKPK_*` environment variables at run time."""

    path: str = ""
    memory_limit: str = ""

    def db_path(self):
        from pathlib import Path

        return Path(self.path) if self.path else settings.warehouse_path()

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
            con.execute(f"set memory_limit = '{self.memory_limit or settings.duckdb_memory_limit()}'")
            yield con
        finally:
            con.close()
