"""Reading a publication consistently: what BI-side Python (and the tests) should do.

`marts.duckdb` is consistent by itself. For Parquet, resolve `current` once and read every file from the
release it names: that set is immutable, so it is one version whatever the nightly run does meanwhile.
"""

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.publishing.bi import CURRENT, MANIFEST_FILE, RELEASES, SERVING_FILE


def pinned_release(marts_dir: Path | None = None) -> Path | None:
    """The release folder `current` points at right now (None before the first publication)."""
    marts_dir = Path(marts_dir) if marts_dir else settings.marts_dir()
    try:
        target = os.readlink(marts_dir / CURRENT)
    except FileNotFoundError:
        return None
    release = marts_dir / target
    if release.parent.name != RELEASES:
        raise RuntimeError(f"{marts_dir / CURRENT} points outside {RELEASES}/: {target}")
    return release


def read_manifest(release: Path) -> dict:
    return json.loads((release / MANIFEST_FILE).read_text(encoding="utf-8"))


@contextlib.contextmanager
def open_serving(marts_dir: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the serving file: one version for as long as it stays open."""
    marts_dir = Path(marts_dir) if marts_dir else settings.marts_dir()
    con = duckdb.connect(str(marts_dir / SERVING_FILE), read_only=True)
    try:
        yield con
    finally:
        con.close()
