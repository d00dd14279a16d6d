"""What a landed file's judgement depends on besides the file itself, as one fingerprint.

A file is not read again when its checksum AND this fingerprint equal those in `raw.file_ledger`. The
fingerprint covers every input of the landing rules: the landing code (parsing, typing, rules), the region
reference and crosswalk (`reference/wilayah_lampung/`), the programme catalogue and funding-source spellings
(dbt seeds) and the key of the NIK/KK pseudonyms (its digest, never the key). Adding a programme code, a
spelling or a crosswalk pair therefore re-judges the files already landed: a row quarantined as
`unknown_programme` lands once its code is in the catalogue.
"""

import hashlib
from pathlib import Path

from pipelines import settings

LANDING_CODE = Path(__file__).resolve().parent
SEEDS_READ = ("programme_catalogue.csv", "funding_source_map.csv")


def rule_inputs() -> list[Path]:
    """Every file the landing rules read, in a fixed order (paths read from settings at call time)."""
    code = sorted(LANDING_CODE.glob("*.py"))
    reference = sorted(p for p in settings.REFERENCE_DIR.rglob("*") if p.is_file() and p.suffix == ".csv")
    seeds = [settings.SEEDS_DIR / name for name in SEEDS_READ]
    return [*code, *reference, *seeds]


def rules_fingerprint() -> str:
    """sha256 over the names and contents of the rule inputs and the hash key's digest (a few MB: cheap)."""
    h = hashlib.sha256()
    for path in rule_inputs():
        data = path.read_bytes()
        for part in (f"{path.parent.name}/{path.name}".encode(), len(data).to_bytes(8, "little"), data):
            h.update(part)
    h.update(hashlib.sha256(settings.hash_key().encode()).digest())
    return h.hexdigest()
