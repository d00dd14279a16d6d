"""Publishing the by-name target lists, one file per kabupaten/kota, outside the BI folder.

`restricted.target_households` names people: it goes only to the agencies that act on it (UU 27/2022), so it is
written per kab/kota to `data/restricted/<kemendagri kab code>/target_households.parquet` (plus a small
`publication.json`), never under `data/marts/`. Folders are 0750 and files 0640, so the BI service account
that reads `data/marts/` needs no access here.

Folder names use Kemendagri kabupaten codes (the system local agencies use, e.g. `1801` = Lampung Selatan).
If the table carries only BPS codes, they are mapped through `reference/wilayah_lampung/regencies.csv`; the two
systems are never mixed in folder names. Rows whose kab/kota cannot be resolved go to `unassigned/`, not lost.

Atomicity: every file is built in `data/restricted/.build-<version>/` first and then renamed over its target,
so each file is always one whole version (column `published_version`). The lists are independent of each
other (each agency gets its own), so a kill between two renames can leave kab A on the new version and kab B
on the old one; each file says which. A kab/kota that has no targets any more gets an empty list rather than
keeping a stale one.
"""

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.checksums import sha256_file
from pipelines.publishing import fsutil
from pipelines.publishing.bi import (
    BUILD_PREFIX,
    DEFAULT_LIMITS,
    LOCK_FILE,
    VERSION_COLUMN,
    DuckDBLimits,
    PublishError,
    _attach_warehouse,
    _lit,
    _q,
    make_version,
)

FILE_NAME = "target_households.parquet"
META_NAME = "publication.json"
UNASSIGNED = "unassigned"
DIR_MODE = 0o750
FILE_MODE = 0o640

# Where a kabupaten code can come from, in order of preference.
_KEMENDAGRI_KAB = (
    "kabupaten_kemendagri_code",
    "kemendagri_kab_code",
    "kode_kab_kemendagri",
    "kemendagri_regency_code",
    "regency_code",
)
_KEMENDAGRI_DESA = (
    "desa_kemendagri_code",
    "kemendagri_desa_code",
    "kode_desa_kemendagri",
    "village_code",
    "kode_desa",
    "kode_wilayah",
)
_BPS_KAB = ("kabupaten_bps_code", "bps_kab_code", "kode_kab_bps")
_BPS_DESA = ("desa_bps_code", "bps_desa_code", "kode_desa_bps")


def _kab_expression(columns: set[str]) -> tuple[str, bool]:
    """SQL giving the kab code of a row of `t`, and whether it is a BPS code that still needs mapping."""
    for c in _KEMENDAGRI_KAB:
        if c in columns:
            return f"left(cast({_q(c)} as varchar), 4)", False
    for c in _KEMENDAGRI_DESA:
        if c in columns:
            return f"left(cast({_q(c)} as varchar), 4)", False
    for c in _BPS_KAB:
        if c in columns:
            return f"left(cast({_q(c)} as varchar), 4)", True
    for c in _BPS_DESA:
        if c in columns:
            return f"left(cast({_q(c)} as varchar), 4)", True
    if {"kdprop", "kdkab"} <= columns:
        return "cast(kdprop as varchar) || lpad(cast(kdkab as varchar), 2, '0')", True
    raise PublishError(
        "restricted.target_households has no kabupaten or desa code column "
        f"(looked for {', '.join(_KEMENDAGRI_KAB + _KEMENDAGRI_DESA + _BPS_KAB + _BPS_DESA)}, kdprop+kdkab)."
    )


def _regencies(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    path = settings.REFERENCE_DIR / "regencies.csv"
    con.execute(
        f"create temp table regencies as select * from read_csv({_lit(str(path))}, all_varchar = true, header = true)"
    )
    return dict(con.execute("select regency_code, short_name from regencies").fetchall())


def _write_meta(path: Path, meta: dict) -> None:
    path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def publish_restricted_lists(
    warehouse: Path, restricted_dir: Path, *, run_id: str = "manual", limits: DuckDBLimits = DEFAULT_LIMITS
) -> dict:
    """Split `restricted.target_households` per kab/kota and replace each list atomically."""
    warehouse, restricted_dir = Path(warehouse), Path(restricted_dir)
    restricted_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(restricted_dir, DIR_MODE)

    with fsutil.exclusive_lock(restricted_dir / LOCK_FILE):
        for p in restricted_dir.glob(f"{BUILD_PREFIX}*"):
            shutil.rmtree(p, ignore_errors=True)
        now = datetime.now(UTC)
        version = make_version(run_id, now)
        build = restricted_dir / f"{BUILD_PREFIX}{version}"
        build.mkdir(mode=DIR_MODE)

        con = duckdb.connect()
        try:
            con.execute(f"set memory_limit = {_lit(limits.memory_limit)}")
            _attach_warehouse(con, warehouse, limits.lock_wait_seconds)
            exists = con.execute(
                "select count(*) from duckdb_tables() where database_name = 'wh' and schema_name = 'restricted' "
                "and table_name = 'target_households'"
            ).fetchone()[0]
            if not exists:
                raise PublishError("restricted.target_households is missing from the warehouse.")
            cols = {r[0] for r in con.execute("describe wh.restricted.target_households").fetchall()}
            if VERSION_COLUMN in cols:
                raise PublishError(f"restricted.target_households already has a column {VERSION_COLUMN}.")
            names = _regencies(con)
            expr, is_bps = _kab_expression(cols)
            kab = "r.regency_code" if is_bps else "k._kab_raw"
            con.execute(
                f"create temp table t as select k.* exclude (_kab_raw), "
                f"case when {kab} in (select regency_code from regencies) then {kab} else {_lit(UNASSIGNED)} "
                f"end as _kab, {_lit(version)}::varchar as {VERSION_COLUMN} "
                f"from (select *, {expr} as _kab_raw from wh.restricted.target_households) k "
                + ("left join regencies r on r.bps_code = k._kab_raw" if is_bps else "")
            )
            con.execute("detach wh")
            counts = dict(con.execute("select _kab, count(*) from t group by 1").fetchall())
            previous = {
                p.name for p in restricted_dir.iterdir() if p.is_dir() and (p / FILE_NAME).exists()
            } - {build.name}
            published_at = now.isoformat()
            lists = {}
            for code in sorted(set(counts) | previous):
                (build / code).mkdir(mode=DIR_MODE)
                out = build / code / FILE_NAME
                con.execute(
                    f"copy (select * exclude (_kab) from t where _kab = {_lit(code)}) to {_lit(str(out))} "
                    "(format parquet, compression zstd)"
                )
                rows = int(counts.get(code, 0))
                lists[code] = {"kab_name": names.get(code, ""), "rows": rows}
                _write_meta(
                    build / code / META_NAME,
                    {
                        "version": version,
                        "published_at": published_at,
                        "run_id": run_id,
                        "kab_code": code,
                        "kab_name": names.get(code, ""),
                        "code_system": "kemendagri",
                        "rows": rows,
                        "sha256": sha256_file(out),
                    },
                )
                for f in (out, build / code / META_NAME):
                    os.chmod(f, FILE_MODE)
                    fsutil.fsync_file(f)
        finally:
            con.close()

        for code in sorted(lists):
            target = restricted_dir / code
            target.mkdir(mode=DIR_MODE, exist_ok=True)
            os.replace(build / code / FILE_NAME, target / FILE_NAME)
            os.replace(build / code / META_NAME, target / META_NAME)
            fsutil.fsync_dir(target)
        summary = {"version": version, "published_at": published_at, "run_id": run_id, "lists": lists}
        fsutil.write_text_atomic(
            restricted_dir / "_publication.json",
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
            FILE_MODE,
        )
        shutil.rmtree(build, ignore_errors=True)
        return summary
