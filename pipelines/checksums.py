"""The sha256 of a file: the ledger's checksum of a delivery and the manifest's checksum of a published file."""

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
