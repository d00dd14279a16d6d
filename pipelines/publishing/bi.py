"""Publishing the BI marts: one atomic switch from the previous publication to the next.

What readers get
----------------
BI tools read `data/marts/` while the nightly run rebuilds the warehouse. They must never be blocked, never see
half a refresh, and a failed run must leave the previous publication as it was. The layout::

    data/marts/
      releases/<version>/        one complete, immutable publication (files mode 0444)
        marts.duckdb             the serving database: the five marts + _publication
        <mart>.parquet           one Parquet file per mart (same rows, same version stamp)
        manifest.json            version, row counts, columns, sha256 of every file
        README.md                generated: tables, columns, how to connect BI tools
      current -> releases/<version>      THE commit point: a symlink swapped by one rename
      marts.duckdb -> current/marts.duckdb
      <mart>.parquet -> current/<mart>.parquet
      manifest.json -> current/manifest.json
      README.md -> current/README.md

The stable top-level names are symlinks through `current`, so the whole publication (serving file, every
Parquet file, manifest, README) switches with one `os.replace` of `current`. Before that rename every path
resolves into the old release; after it, into the new one. A run killed at any earlier point leaves a
half-built `releases/.build-*` folder that no name points to (cleaned by the next publish) and the previous
publication byte-for-byte untouched. A release folder is never modified after it is renamed into place.

Why not rename each top-level file over the old one: a kill between the second and the third rename would
leave a mix of two publications under the stable names; one rename cannot cover five files, one symlink can.

Consistency, and its limits
---------------------------
* `marts.duckdb` is one file: one connection sees one publication, all tables agreeing. A connection opened
  before a swap keeps reading the old release (its file stays on disk while open, even after pruning); new
  connections see the new one. Reconnect to see a new night.
* One Parquet file, opened by its stable name, is always one whole version (the version stamp column says
  which).
* Several Parquet files opened one after another by their stable names can straddle a swap (the first from
  the old release, the next from the new), because each open resolves `current` again. To read a consistent
  set, resolve `current` once and read from that folder (`releases/<version>/`, see
  `pipelines.publishing.reader.pinned_release`) or use `marts.duckdb`. Every table carries the column
  `published_version`, so a reader can always check.
* A reader that opens the same stable name twice during one read can fail if the switch lands between its
  two opens: DuckDB's `read_parquet(path)` opens at bind and again at scan, pyarrow's `read_table(path)` (and
  pandas) reads the footer and then the data. It then pairs one file's footer with the other's pages and
  raises an error (the concurrent-reader test retries those and checks that no read ever returned data
  inconsistent with its own version stamp). The window is milliseconds once a night; a retry reads the new
  version. Readers that want no retry read the pinned release, `marts.duckdb`, or open the file once
  (`pq.read_table(open(path, "rb"))`).
* The last `keep` releases stay on disk (default 3, `TKPK_KEEP_RELEASES`), so a reader that pinned a release
  has at least two further publications' time to finish; files it already opened stay readable after pruning.

In DuckDB the file `marts.duckdb` is attached under the catalog name `marts`, which makes the contract's schema
name `marts` ambiguous in a two-part name (`marts.poverty_by_region` is refused by DuckDB). The serving file
therefore holds each table twice: in schema `marts` (the contract; `marts.marts.<table>` when opened directly,
`<alias>.marts.<table>` when attached) and in schema `main`, so that `select * from poverty_by_region`, and the
`"main"."poverty_by_region"` that Metabase and Superset generate, work. Marts are aggregates: the copy is small.
"""

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.checksums import sha256_file
from pipelines.dbt_catalog import published_models
from pipelines.publishing import fsutil, pii

# The BI marts: the dbt models with `meta.tkpk.publish: bi` (dbt_project/dbt_project.yml).
MARTS: tuple[str, ...] = published_models("bi")
VERSION_COLUMN = "published_version"
PUBLICATION_TABLE = "_publication"
SERVING_FILE = "marts.duckdb"
MANIFEST_FILE = "manifest.json"
README_FILE = "README.md"
CURRENT = "current"
RELEASES = "releases"
BUILD_PREFIX = ".build-"
LOCK_FILE = ".publish.lock"
DEFAULT_KEEP = settings.DEFAULT_KEEP_RELEASES
MIN_KEEP = 2  # the current release and the one before it, which readers may still have pinned
DEFAULT_LOCK_WAIT_SECONDS = 60.0


class PublishError(RuntimeError):
    """The warehouse is not fit to publish; nothing was switched."""


@dataclass(frozen=True)
class TableInfo:
    name: str
    rows: int
    columns: list[dict[str, str]]
    description: str = ""
    parquet: str = ""
    parquet_bytes: int = 0
    parquet_sha256: str = ""


@dataclass(frozen=True)
class Publication:
    version: str
    published_at: str
    run_id: str
    release_dir: Path
    marts_dir: Path
    tables: dict[str, TableInfo] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)

    @property
    def serving_file(self) -> Path:
        return self.marts_dir / SERVING_FILE


@dataclass(frozen=True)
class DuckDBLimits:
    """How a publish may use DuckDB: its memory, and how long it waits for a warehouse another writer holds."""

    memory_limit: str = settings.DEFAULT_MEMORY_LIMIT
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS


DEFAULT_LIMITS = DuckDBLimits()


def _noop(stage: str) -> None:
    """Progress hook: called at each stage of a publish. Tests replace it to stop a publish at a given point."""


progress: Callable[[str], None] = _noop


def make_version(run_id: str | None, now: datetime | None = None) -> str:
    """A version stamp that sorts by time and names the run: `20250101T180000.123456Z-1a2b3c4d`."""
    now = now or datetime.now(UTC)
    run = re.sub(r"[^0-9A-Za-z]", "", run_id or "manual")[:8] or "manual"
    return f"{now:%Y%m%dT%H%M%S.%f}Z-{run}"


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _bi_column(column: str, dtype: str) -> str:
    """A column as BI tools read it best: DuckDB's 128-bit integers (what `sum()` of integers gives) become
    BIGINT, which every driver and Power Query understand (Parquet would otherwise get them as DOUBLE); a value
    that does not fit makes the cast, and so the publish, fail rather than publish a wrong number."""
    if dtype in ("HUGEINT", "UHUGEINT"):
        return f"cast({_q(column)} as bigint) as {_q(column)}"
    return _q(column)


def _warehouse_comments(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, dict[str, str]]:
    row = con.execute(
        "select comment from duckdb_tables() where database_name = 'wh' and schema_name = 'marts' "
        "and table_name = ?",
        [table],
    ).fetchone()
    cols = con.execute(
        "select column_name, comment from duckdb_columns() where database_name = 'wh' "
        "and schema_name = 'marts' and table_name = ?",
        [table],
    ).fetchall()
    return (row[0] or "") if row else "", {c: (m or "") for c, m in cols}


def _attach_warehouse(
    con: duckdb.DuckDBPyConnection, warehouse: Path, wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS
) -> None:
    """Attach the warehouse read-only, waiting briefly if a writer (a dbt run outside Dagster) holds it."""
    if not warehouse.exists():
        raise PublishError(f"No warehouse at {warehouse}: nothing to publish.")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con.execute(f"attach {_lit(str(warehouse))} as wh (read_only)")
            return
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def _build_release(
    warehouse: Path,
    build: Path,
    version: str,
    published_at: str,
    run_id: str,
    marts: Sequence[str],
    limits: DuckDBLimits,
) -> dict[str, TableInfo]:
    """Write the whole release into `build` (not yet visible to anyone) and return what it holds."""
    # Built under another name: inside a file called marts.duckdb, `marts.<table>` is ambiguous (see above).
    building = build / "building.duckdb"
    serving = build / SERVING_FILE
    con = duckdb.connect(str(building))
    try:
        con.execute(f"set memory_limit = {_lit(limits.memory_limit)}")
        _attach_warehouse(con, warehouse, limits.lock_wait_seconds)
        present = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = 'marts'"
            ).fetchall()
        }
        present |= {
            r[0]
            for r in con.execute(
                "select view_name from duckdb_views() where database_name = 'wh' and schema_name = 'marts'"
            ).fetchall()
        }
        missing = [m for m in marts if m not in present]
        if missing:
            raise PublishError(f"Marts missing from the warehouse (schema marts): {', '.join(missing)}")

        con.execute("create schema marts")
        infos: dict[str, TableInfo] = {}
        for name in marts:
            described_wh = con.execute(f"describe wh.marts.{_q(name)}").fetchall()
            cols = [r[0] for r in described_wh]
            if VERSION_COLUMN in cols:
                raise PublishError(f"marts.{name} already has a column {VERSION_COLUMN}; it is publish's.")
            con.execute(
                f"create table marts.{_q(name)} as select "
                + ", ".join(_bi_column(c, t) for c, t, *_ in described_wh)
                + f", {_lit(version)}::varchar as {VERSION_COLUMN} from wh.marts.{_q(name)}"
            )
            # The dbt docs, persisted as DuckDB comments by dbt (`+persist_docs`), travel with the table.
            description, c_comments = _warehouse_comments(con, name)
            col_docs = {c: c_comments.get(c, "") for c in cols}
            col_docs[VERSION_COLUMN] = "Version stamp of this publication: the same in every published table."
            if description:
                con.execute(f"comment on table marts.{_q(name)} is {_lit(description)}")
            for c, d in col_docs.items():
                if d:
                    con.execute(f"comment on column marts.{_q(name)}.{_q(c)} is {_lit(d)}")
            described = con.execute(f"describe marts.{_q(name)}").fetchall()
            rows = con.execute(f"select count(*) from marts.{_q(name)}").fetchone()[0]
            infos[name] = TableInfo(
                name=name,
                rows=int(rows),
                columns=[
                    {"name": r[0], "type": r[1], "description": col_docs.get(r[0], "")} for r in described
                ],
                description=description,
            )
            progress(f"table_copied:{name}")
        con.execute("detach wh")

        problems = pii.find_personal_data(con, "marts", list(marts))
        if problems:
            raise PublishError("Refusing to publish personal data:\n  " + "\n  ".join(problems))

        con.execute(
            f"create table marts.{PUBLICATION_TABLE} (version varchar, published_at timestamptz, "
            "run_id varchar, table_name varchar, row_count bigint, column_count integer, parquet_file varchar)"
        )
        for info in infos.values():
            con.execute(
                f"insert into marts.{PUBLICATION_TABLE} values (?, ?::timestamptz, ?, ?, ?, ?, ?)",
                [
                    version,
                    published_at,
                    run_id,
                    info.name,
                    info.rows,
                    len(info.columns),
                    f"{info.name}.parquet",
                ],
            )
        con.execute(
            f"comment on table marts.{PUBLICATION_TABLE} is "
            "'One row per published table: the version stamp, when, which run, row count.'"
        )
        # The same tables in schema main: see the module docstring (catalog `marts` vs schema `marts`).
        for name in [*marts, PUBLICATION_TABLE]:
            con.execute(f"create table main.{_q(name)} as select * from marts.{_q(name)}")

        for name in marts:
            path = build / f"{name}.parquet"
            con.execute(
                f"copy marts.{_q(name)} to {_lit(str(path))} (format parquet, compression zstd, row_group_size 100000)"
            )
            progress(f"parquet_written:{name}")
        con.execute("checkpoint")
    finally:
        con.close()

    out: dict[str, TableInfo] = {}
    for name, info in infos.items():
        path = build / f"{name}.parquet"
        fsutil.fsync_file(path)
        out[name] = TableInfo(
            name=info.name,
            rows=info.rows,
            columns=info.columns,
            description=info.description,
            parquet=path.name,
            parquet_bytes=path.stat().st_size,
            parquet_sha256=sha256_file(path),
        )
    os.rename(building, serving)
    fsutil.fsync_file(serving)
    return out


def _manifest(
    version: str, published_at: str, run_id: str, tables: dict[str, TableInfo], build: Path
) -> dict:
    serving = build / SERVING_FILE
    return {
        "version": version,
        "published_at": published_at,
        "run_id": run_id,
        "version_column": VERSION_COLUMN,
        "serving_file": {
            "file": SERVING_FILE,
            "bytes": serving.stat().st_size,
            "sha256": sha256_file(serving),
            "schemas": ["marts", "main"],
        },
        "tables": {
            name: {
                "rows": t.rows,
                "parquet": t.parquet,
                "bytes": t.parquet_bytes,
                "sha256": t.parquet_sha256,
                "description": t.description,
                "columns": t.columns,
            }
            for name, t in tables.items()
        },
    }


def _entry_names(marts: Sequence[str]) -> list[str]:
    return [SERVING_FILE, MANIFEST_FILE, README_FILE, *(f"{m}.parquet" for m in marts)]


def _ensure_entry_links(marts_dir: Path, names: Sequence[str]) -> None:
    """Make each stable top-level name a symlink through `current` (created once, never changed after).

    A name that is still a regular file (an older layout) is replaced atomically by its link; before the first
    commit a new link dangles, which a reader sees as "not published yet", as it was.
    """
    for name in names:
        link = marts_dir / name
        target = f"{CURRENT}/{name}"
        if link.is_symlink() and os.readlink(link) == target:
            continue
        fsutil.replace_symlink(link, target)


def _remove_stale_links(marts_dir: Path, keep_names: Sequence[str]) -> None:
    keep = set(keep_names)
    for p in marts_dir.iterdir():
        if p.is_symlink() and p.name not in keep and p.name != CURRENT:
            target = os.readlink(p)
            if target.startswith(f"{CURRENT}/") and not p.exists():
                p.unlink()


def current_version(marts_dir: Path) -> str | None:
    cur = marts_dir / CURRENT
    if not cur.is_symlink():
        return None
    return Path(os.readlink(cur)).name


def _prune(marts_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` releases (never the current one) and leftovers of killed builds."""
    releases = marts_dir / RELEASES
    current = current_version(marts_dir)
    done = sorted(p.name for p in releases.iterdir() if p.is_dir() and not p.name.startswith("."))
    pruned = []
    for name in done[:-keep] if keep > 0 else done:
        if name == current:
            continue
        shutil.rmtree(releases / name, ignore_errors=True)
        pruned.append(name)
    return pruned


def _clean_builds(releases: Path) -> None:
    """Remove half-built releases of killed runs. Safe: we hold the publish lock, so none is in progress."""
    for p in releases.glob(f"{BUILD_PREFIX}*"):
        shutil.rmtree(p, ignore_errors=True)


def publish_bi_marts(
    warehouse: Path,
    marts_dir: Path,
    *,
    run_id: str = "manual",
    marts: Sequence[str] = MARTS,
    keep: int = DEFAULT_KEEP,
    limits: DuckDBLimits = DEFAULT_LIMITS,
) -> Publication:
    """Copy the gated marts out of the warehouse into a new release and switch readers to it atomically."""
    from pipelines.publishing.readme import render_readme

    warehouse, marts_dir, keep = Path(warehouse), Path(marts_dir), max(MIN_KEEP, keep)
    releases = marts_dir / RELEASES
    releases.mkdir(parents=True, exist_ok=True)

    with fsutil.exclusive_lock(marts_dir / LOCK_FILE):
        _clean_builds(releases)
        published = datetime.now(UTC)
        version = make_version(run_id, published)
        published_at = published.isoformat()
        final = releases / version
        if final.exists():
            raise PublishError(f"Release {version} exists already.")
        build = releases / f"{BUILD_PREFIX}{version}"
        build.mkdir()
        progress("build_started")

        try:
            tables = _build_release(warehouse, build, version, published_at, run_id, marts, limits)
            manifest = _manifest(version, published_at, run_id, tables, build)
            text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
            fsutil.write_text_atomic(build / MANIFEST_FILE, text)
            fsutil.write_text_atomic(build / README_FILE, render_readme(manifest, marts_dir))
            for p in build.iterdir():
                os.chmod(p, 0o444)
            fsutil.fsync_dir(build)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)  # nothing points at it; a kill leaves it to the next run
            raise
        progress("release_built")

        os.rename(build, final)
        fsutil.fsync_dir(releases)
        _ensure_entry_links(marts_dir, _entry_names(marts))
        fsutil.fsync_dir(marts_dir)
        progress("before_commit")

        fsutil.replace_symlink(marts_dir / CURRENT, f"{RELEASES}/{version}")  # the commit
        fsutil.fsync_dir(marts_dir)
        progress("committed")

        _remove_stale_links(marts_dir, _entry_names(marts))
        pruned = _prune(marts_dir, keep)
        return Publication(
            version=version,
            published_at=published_at,
            run_id=run_id,
            release_dir=final,
            marts_dir=marts_dir,
            tables=tables,
            pruned=pruned,
        )
