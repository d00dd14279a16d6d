"""Where things live. Paths are read from the environment at call time so tests can point them elsewhere."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
REFERENCE_DIR = REPO_ROOT / "reference" / "wilayah_lampung"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

# Development default only: production sets TKPK_HASH_KEY to a secret that is never committed.
DEV_HASH_KEY = "tkpk-development-key-not-for-production"


def data_dir() -> Path:
    return Path(os.environ.get("TKPK_DATA_DIR", REPO_ROOT / "data")).resolve()


def raw_dir() -> Path:
    return data_dir() / "raw"


def marts_dir() -> Path:
    return data_dir() / "marts"


def restricted_dir() -> Path:
    return data_dir() / "restricted"


def warehouse_path() -> Path:
    return Path(os.environ.get("TKPK_WAREHOUSE_PATH", data_dir() / "warehouse.duckdb")).resolve()


def hash_key() -> str:
    return os.environ.get("TKPK_HASH_KEY", DEV_HASH_KEY)


def duckdb_memory_limit() -> str:
    return os.environ.get("TKPK_DUCKDB_MEMORY_LIMIT", "3GB")
