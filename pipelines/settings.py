"""Where the code's own files are, and the local defaults of the run's settings.

The environment is read in one place: the Dagster resources (`pipelines/resources.py`), which hold these
defaults and override them with `TKPK_*` variables. The exception is the hash key (`hash_key()`).
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
REFERENCE_DIR = REPO_ROOT / "reference" / "wilayah_lampung"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

# Local defaults of the resources' fields.
DEFAULT_DATA_DIR = REPO_ROOT / "data"
WAREHOUSE_FILE = "warehouse.duckdb"
DEFAULT_MEMORY_LIMIT = "3GB"
DEFAULT_KEEP_RELEASES = 3
DEFAULT_SENSOR_QUIET_SECONDS = 120

# Development default only: production sets TKPK_HASH_KEY to a secret that is never committed.
DEV_HASH_KEY = "tkpk-development-key-not-for-production"


def hash_key() -> str:
    return os.environ.get("TKPK_HASH_KEY", DEV_HASH_KEY)
