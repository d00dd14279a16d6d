"""The drop zone's rules, one set for the landing, the sensor and the intake command.

- What is a delivery: every file under `raw/` except `_`-prefixed folders and files (`_demo/`, `_intake/`,
  `_retired/`), hidden or temporary files (`.name.partial`, rsync's `.name.XXXXXX`) and Office lock files
  (`~$name.xlsx`).
- When a delivery is complete: the intake command (`pipelines/intake.py`) moved it in atomically and left a
  marker (`raw/_intake/<path>.json`, its size and mtime) that still matches; or, for a file copied by hand,
  nothing has written to it for a quiet period (`TKPK_SENSOR_QUIET_SECONDS`, default 120 s, judged on the
  later of mtime and ctime, because copy tools that preserve mtime still bump ctime). A file still being
  copied is not taken: the landing keeps what it had, the sensor waits.
- The drop zone itself must exist: a missing `raw/` (a mistyped `TKPK_DATA_DIR`) is an error, never a new
  empty warehouse.
"""

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

DEFAULT_QUIET_SECONDS = 120
MARKERS = "_intake"


class DropZoneMissingError(Exception):
    """The drop zone does not exist: nothing is landed, nothing is created."""

    def __init__(self, raw: Path):
        super().__init__(
            f"the drop zone {raw} does not exist (TKPK_DATA_DIR={raw.parent}). Nothing was landed or "
            "changed. Check TKPK_DATA_DIR; for a new warehouse create the folder first "
            f"(mkdir -p {raw}) or run make demo."
        )
        self.raw = raw


def ignored(name: str) -> bool:
    return name.startswith(("_", ".", "~$"))


def require(raw: Path) -> Path:
    if not raw.is_dir():
        raise DropZoneMissingError(raw)
    return raw


def files(raw: Path, under: str = "") -> Iterator[tuple[str, os.stat_result]]:
    """`(path relative to raw, stat)` of every delivery under `raw/<under>`, sorted by path."""
    top = raw / under if under else raw
    if not top.is_dir() or any(ignored(part) for part in Path(under).parts):
        return
    found = []
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not ignored(d))
        for name in names:
            if ignored(name):
                continue
            path = Path(root) / name
            try:
                st = path.stat()
            except FileNotFoundError:  # removed while we looked
                continue
            found.append((path.relative_to(raw).as_posix(), st))
    yield from sorted(found, key=lambda item: item[0])


def snapshot(raw: Path) -> dict[str, list[int]]:
    """`{relative path: [size, mtime_ns]}` of the deliveries: what the sensor compares between ticks."""
    return {rel: [st.st_size, st.st_mtime_ns] for rel, st in files(raw)}


def marker_path(raw: Path, relpath: str) -> Path:
    return raw / MARKERS / f"{relpath}.json"


def mark_complete(raw: Path, relpath: str, st: os.stat_result | None = None, **extra: str) -> Path:
    """Record that `relpath` is whole as it is now, or as `st` (of the copy about to be renamed into place).
    The intake command and the demo generator call this."""
    st = st or (raw / relpath).stat()
    marker = marker_path(raw, relpath)
    marker.parent.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_name(f".{marker.name}.tmp")
    tmp.write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, **extra}), encoding="utf-8")
    os.replace(tmp, marker)
    return marker


def marked_complete(raw: Path, relpath: str, st: os.stat_result) -> bool:
    try:
        marker = json.loads(marker_path(raw, relpath).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return False
    return marker.get("size") == st.st_size and marker.get("mtime_ns") == st.st_mtime_ns


def last_write_age(st: os.stat_result, now: float | None = None) -> float:
    return (time.time() if now is None else now) - max(st.st_mtime, st.st_ctime)


def is_complete(
    raw: Path, relpath: str, st: os.stat_result, quiet_seconds: float, now: float | None = None
) -> bool:
    """`quiet_seconds` comes from the `drop_zone` resource (`TKPK_SENSOR_QUIET_SECONDS`)."""
    return marked_complete(raw, relpath, st) or last_write_age(st, now) >= quiet_seconds
