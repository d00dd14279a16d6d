"""Shared fixtures: every test gets its own data folder and warehouse; demo extracts are generated once."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The code location's resources read TKPK_DATA_DIR through dg.EnvVar when it is set as the definitions load
# (pipelines/resources.py); set it before any test imports them, so every run resolves the data folder that
# the `data_dir` fixture points the environment at, never the repository's own data/.
os.environ.setdefault("TKPK_DATA_DIR", tempfile.mkdtemp(prefix="tkpk-tests-"))
# Likewise the quiet period, so that the `data_dir` fixture (and the tests of the wait) can set it per test.
os.environ.setdefault("TKPK_SENSOR_QUIET_SECONDS", "0")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder (raw/, marts/) that every part of the pipeline uses for this test."""
    d = tmp_path / "data"
    (d / "raw").mkdir(parents=True)
    (d / "marts").mkdir()
    monkeypatch.setenv("TKPK_DATA_DIR", str(d))
    monkeypatch.delenv("TKPK_WAREHOUSE_PATH", raising=False)
    # Files a test has just written are complete: no quiet period (tests of the wait set their own).
    monkeypatch.setenv("TKPK_SENSOR_QUIET_SECONDS", "0")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return d


def _generated(tmp_path_factory: pytest.TempPathFactory, scale: str, dirt_rate: float) -> Path:
    from demo_data import generate

    out = tmp_path_factory.mktemp(f"demo_{scale}_{dirt_rate}") / "raw"
    generate(out=out, scale=scale, seed=2015, dirt_rate=dirt_rate)
    return out


@pytest.fixture(scope="session")
def tiny_extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny demo extracts with the default dirt, generated once per session. Copy before changing."""
    return _generated(tmp_path_factory, "tiny", 0.01)


@pytest.fixture(scope="session")
def tiny_clean_extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny demo extracts without injected dirt: figures whose truth is known exactly."""
    return _generated(tmp_path_factory, "tiny", 0.0)


@pytest.fixture(scope="session")
def small_extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small (~20,000 households) demo extracts with the default dirt, generated once per session."""
    return _generated(tmp_path_factory, "small", 0.01)


def copy_extracts(src: Path, data_dir: Path) -> Path:
    """Copy generated extracts into a test's own drop zone."""
    dst = data_dir / "raw"
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return dst
