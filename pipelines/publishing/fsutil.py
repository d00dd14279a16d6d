"""Small filesystem helpers for crash-safe publishing.

Why these exist: `os.replace` is atomic for readers, but after a power cut the rename can be lost or the new
file can be empty unless its data and the directory entry were flushed. Each helper does one of those flushes,
and the lock serialises publishers that do not go through Dagster's run queue (`make run` next to the daemon).
"""

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


def fsync_file(path: Path) -> None:
    """Flush a file's data to disk so a rename that exposes it can never expose an empty file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a directory entry (a rename or a new file inside it) to disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write a small text file beside its target, flush it, then rename it over the target."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def replace_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` in one atomic step (a new symlink renamed over the old one).

    A reader resolving `link` sees either the old target or the new one, never a missing link.
    """
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an advisory lock for the duration of a publish.

    The kernel drops the lock when the holder dies (even on kill -9), so a crashed publisher never leaves a
    stale lock behind; the next publisher just waits for a live one to finish.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
