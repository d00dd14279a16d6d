"""Publishing: atomic switch, consistency for concurrent readers, kill -9 in the middle, no personal data in BI.

These tests need no dbt: they write the warehouse's `marts.*` and `restricted.*` tables themselves (in the
per-test data folder) and materialise the publish assets with Dagster, whose upstream keys are plain deps.
"""

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
from pii_scan import scan_publication
from publication_checks import check_stable_parquet, probe

from pipelines.assets.publish import publish_assets
from pipelines.publishing import MARTS, Publication, PublishError, publish_bi_marts, publish_restricted_lists
from pipelines.publishing.bi import CURRENT, RELEASES, SERVING_FILE, VERSION_COLUMN
from pipelines.publishing.reader import check_pinned_parquet, check_serving
from pipelines.resources import build_resources, warehouse_resource

REPO = Path(__file__).resolve().parent.parent
FIRST = ["Siti", "Budi", "Ahmad", "Dewi", "Rahmat", "Nur", "Wayan", "Yohanes", "Putri", "Agus"]
LAST = ["Rahmawati", "Santoso", "Hidayat", "Lestari", "Saputra", "Fitriani", "Suparman", "Kurniawan"]
DESA = ["1801042001", "1801042002", "1802012003", "1871011001", "1803152004"]


def people(n: int = 60) -> list[tuple[str, str, str, str]]:
    """(nik, nama, alamat, kemendagri desa code) of made-up people: the 'raw source' personal data."""
    rnd = random.Random(7)
    out = []
    for i in range(n):
        nik = f"18{rnd.randrange(10**13, 10**14):014d}"
        nama = f"{rnd.choice(FIRST)} {rnd.choice(LAST)} {chr(65 + i % 26)}"
        alamat = f"Jl. Melati No. {i + 3}, Dusun {i % 4 + 1}"
        out.append((nik, nama, alamat, DESA[i % len(DESA)]))
    return out


def folder():
    """The test's data folder and warehouse, as the runs' resource resolves them (TKPK_DATA_DIR)."""
    return warehouse_resource(resolve=True)


def publish_bi(**kwargs) -> Publication:
    w = folder()
    return publish_bi_marts(w.db_path(), w.marts_dir(), **kwargs)


def publish_restricted(**kwargs) -> dict:
    w = folder()
    return publish_restricted_lists(w.db_path(), w.restricted_dir(), **kwargs)


def mart_rows(name: str, generation: int) -> int:
    return 40 + 13 * MARTS.index(name) + 7 * generation


def write_warehouse(generation: int, *, extra: str = "") -> None:
    """The warehouse as dbt would leave it, with row counts that differ per generation."""
    con = duckdb.connect(str(folder().db_path()))
    try:
        for s in ("raw", "marts", "restricted"):
            con.execute(f"create schema if not exists {s}")
        con.execute(
            "create or replace table raw.bdt_individuals (nik varchar, nama varchar, alamat varchar, desa varchar)"
        )
        con.executemany("insert into raw.bdt_individuals values (?, ?, ?, ?)", people())
        for name in MARTS:
            n = mart_rows(name, generation)
            con.execute(
                f"create or replace table marts.{name} as select "
                f"(['1801042001','1802012003','1871011001'])[1 + range % 3] as kode_wilayah, "
                f"(['Hajimena','Sidosari','Bandar Lampung'])[1 + range % 3] as nama_wilayah, "
                f"1 + range % 4 as desil, range * {generation + 1} as jumlah, range / 7.0 as persen "
                f"from range({n})"
            )
            con.execute(f"comment on table marts.{name} is 'Test mart {name}'")
            con.execute(f"comment on column marts.{name}.jumlah is 'How many, generation {generation}'")
        con.execute(
            "create or replace table restricted.target_households as select nik, nama as nama_krt, alamat, "
            "desa as kemendagri_desa_code, 1 as desil from raw.bdt_individuals"
        )
        if extra:
            con.execute(extra)
    finally:
        con.close()


def materialize(raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        publish_assets,
        resources=build_resources(),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
    )


def publication_hashes(marts_dir: Path) -> dict[str, str]:
    """sha256 of everything a reader can reach by the stable names, plus where `current` points."""
    out = {"current": os.readlink(marts_dir / CURRENT)}
    for p in sorted(marts_dir.iterdir()):
        if p.is_symlink() and p.name != CURRENT:
            out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    release = marts_dir / out["current"]
    for p in sorted(release.iterdir()):
        out[f"release/{p.name}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_publish_assets_write_marts_serving_file_readme_and_restricted(data_dir: Path) -> None:
    write_warehouse(1)
    result = materialize()
    assert result.success
    marts = data_dir / "marts"

    version, counts = check_serving(marts)
    assert counts == {m: mart_rows(m, 1) for m in MARTS}
    assert check_pinned_parquet(marts) == (version, counts)
    assert set(check_stable_parquet(marts).values()) == {version}
    for m in MARTS:
        t = pq.read_table(marts / f"{m}.parquet")
        assert t.num_rows == mart_rows(m, 1)
        assert t.column_names[-1] == VERSION_COLUMN
    with duckdb.connect(str(marts / SERVING_FILE), read_only=True) as con:
        # both spellings a BI tool may use; `marts.x` alone is ambiguous in a file named marts.duckdb
        assert con.execute("select count(*) from poverty_by_region").fetchone()[0] == mart_rows(
            "poverty_by_region", 1
        )
        assert con.execute("select count(*) from marts.marts.sector_gaps").fetchone()[0] == mart_rows(
            "sector_gaps", 1
        )
        comment = con.execute(
            "select comment from duckdb_columns() where schema_name = 'marts' and table_name = 'sector_gaps' "
            "and column_name = 'jumlah'"
        ).fetchone()[0]
        assert comment == "How many, generation 1"

    mats = {
        e.materialization.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert mats["publish/bi_marts"]["published_version"].value == version
    assert mats["publish/bi_marts"]["rows/village_priority"].value == mart_rows("village_priority", 1)

    readme = (marts / "README.md").read_text()
    for m in MARTS:
        assert f"### `{m}`" in readme
    for col in ("kode_wilayah", "nama_wilayah", "desil", "jumlah", "persen", VERSION_COLUMN):
        assert f"| `{col}` |" in readme
    for tool in ("Metabase", "Superset", "DBeaver", "Power Query", "Evidence", "make ui"):
        assert tool in readme

    # restricted lists: per kab/kota, outside data/marts, all rows, nothing else
    restricted = data_dir / "restricted"
    kabs = sorted(p.name for p in restricted.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert kabs == ["1801", "1802", "1803", "1871"]
    total = 0
    for kab in kabs:
        t = pq.read_table(restricted / kab / "target_households.parquet")
        assert {c[:4] for c in t.column("kemendagri_desa_code").to_pylist()} == {kab}
        total += t.num_rows
        meta = json.loads((restricted / kab / "publication.json").read_text())
        assert meta["rows"] == t.num_rows and meta["code_system"] == "kemendagri"
        assert oct((restricted / kab / "target_households.parquet").stat().st_mode & 0o777) == "0o640"
    assert total == len(people())
    assert not list(marts.rglob("target_households*"))


def test_no_personal_data_in_published_marts(data_dir: Path) -> None:
    """Every column name and string value under data/marts/ (Parquet, both schemas of every serving file,
    manifests, README), all releases: no NIK-like number, no name or address from the source."""
    write_warehouse(1)
    assert materialize().success
    write_warehouse(2)
    assert materialize().success
    needles = [p[1] for p in people()] + [p[2] for p in people()]
    marts = data_dir / "marts"
    assert scan_publication(marts, needles) == []
    # ... and the scanner does find them where they are (the restricted lists), so the check is not vacuous
    found = scan_publication(data_dir / "restricted", needles)
    assert any("NIK/KK-like" in p for p in found) and any("personal data from the source" in p for p in found)
    assert any("column 'nama_krt'" in p for p in found)


@pytest.mark.parametrize(
    "bad_sql",
    [
        "alter table marts.village_priority add column nama_krt varchar default 'Siti Rahmawati A'",
        "update marts.sector_gaps set nama_wilayah = 'NIK 1801234567890123' where desil = 2",
    ],
    ids=["personal-column", "nik-value"],
)
def test_publish_refuses_personal_data_and_keeps_previous(data_dir: Path, bad_sql: str) -> None:
    write_warehouse(1)
    publish_bi(run_id="first")
    before = publication_hashes(data_dir / "marts")
    write_warehouse(2, extra=bad_sql)
    with pytest.raises(PublishError, match="personal data"):
        publish_bi(run_id="second")
    assert publication_hashes(data_dir / "marts") == before
    assert materialize(raise_on_error=False).success is False
    assert publication_hashes(data_dir / "marts") == before


def test_missing_mart_fails_and_keeps_previous(data_dir: Path) -> None:
    write_warehouse(1)
    publish_bi(run_id="first")
    before = publication_hashes(data_dir / "marts")
    write_warehouse(2, extra="drop table marts.decile_coverage")
    with pytest.raises(PublishError, match="decile_coverage"):
        publish_bi(run_id="second")
    assert publication_hashes(data_dir / "marts") == before
    assert not list((data_dir / "marts" / RELEASES).glob(".build-*"))


def test_old_releases_are_pruned_and_open_readers_keep_their_snapshot(data_dir: Path) -> None:
    marts = data_dir / "marts"
    write_warehouse(0)
    first = publish_bi(run_id="gen0")
    old = duckdb.connect(str(marts / SERVING_FILE), read_only=True)  # a BI connection left open
    versions = [first.version]
    for g in range(1, 5):
        write_warehouse(g)
        versions.append(publish_bi(run_id=f"gen{g}", keep=3).version)
    kept = sorted(p.name for p in (marts / RELEASES).iterdir())
    assert kept == versions[-3:]
    # the old connection still reads its whole (now pruned) version; a new one sees the newest
    assert old.execute("select distinct published_version from sector_gaps").fetchall() == [(versions[0],)]
    assert old.execute("select count(*) from sector_gaps").fetchone()[0] == mart_rows("sector_gaps", 0)
    old.close()
    assert check_serving(marts)[0] == versions[-1]


def test_concurrent_readers_always_see_one_whole_version(data_dir: Path, tmp_path: Path) -> None:
    """A separate process reads marts.duckdb and the Parquet files in a loop while runs republish them."""
    marts = data_dir / "marts"
    write_warehouse(0)
    expected = {publish_bi(run_id="gen0").version: 0}
    stop, ready, out = tmp_path / "stop", tmp_path / "ready", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "publication_checks.py"), "--loop", "--marts-dir", str(marts)]
        + ["--stop-file", str(stop), "--ready-file", str(ready), "--out", str(out)],
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert reader.poll() is None, "reader died"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # Dagster runs of the publish assets, with different data each time (default keep: 3 releases)
        for g in range(1, 9):
            write_warehouse(g)
            result = materialize()
            assert result.success
            mat = next(
                e.materialization
                for e in result.get_asset_materialization_events()
                if e.materialization.asset_key == dg.AssetKey(["publish", "bi_marts"])
            )
            expected[mat.metadata["published_version"].value] = g
            time.sleep(0.3)
        # then back-to-back publishes to hit the switch while the reader is mid-read
        for g in range(9, 30):
            write_warehouse(g)
            expected[publish_bi(run_id=f"gen{g}", keep=40).version] = g
    finally:
        stop.touch()
        reader.wait(timeout=60)
    summary = json.loads(out.read_text())
    assert summary["errors"] == []
    assert reader.returncode == 0
    assert summary["rounds"] >= 20
    seen = summary["versions"]
    assert len(seen) >= 4, f"reader saw too few versions to prove anything: {list(seen)}"
    for version, counts in seen.items():
        g = expected[version]
        assert counts == {m: mart_rows(m, g) for m in MARTS}, version
    print(
        f"reader: {summary['rounds']} rounds in {summary['seconds']} s, {len(seen)} versions seen, "
        f"{summary['stable_rounds_spanning_two_versions']} stable-name rounds spanned two versions, "
        f"{summary['double_open_failures_retried']} double-open (DuckDB read_parquet) reads retried"
    )


KILLER = r"""
import os, sys, time
import dagster as dg
import pipelines.publishing.bi as bi
from pipelines.assets.publish import bi_marts
from pipelines.resources import build_resources

stage, marker = sys.argv[1], sys.argv[2]

def hook(s):
    if s == stage:
        open(marker, "w").write(str(os.getpid()))
        time.sleep(600)

bi.progress = hook
dg.materialize([bi_marts], resources=build_resources(), instance=dg.DagsterInstance.ephemeral())
"""


@pytest.mark.parametrize(
    ("stage", "survives"),
    [
        ("table_copied:sector_gaps", "old"),
        ("parquet_written:sector_gaps", "old"),
        ("before_commit", "old"),
        ("committed", "new"),
    ],
)
def test_kill_during_publish_run_leaves_a_whole_publication(
    data_dir: Path, tmp_path: Path, stage: str, survives: str
) -> None:
    """kill -9 a Dagster run in the middle of publishing: the previous publication is intact, byte for byte
    (or, once the switch happened, the new one is whole); the next run cleans up and publishes."""
    marts = data_dir / "marts"
    write_warehouse(1)
    old = publish_bi(run_id="gen1")
    before = publication_hashes(marts)
    write_warehouse(2)
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLER, stage, str(marker)], cwd=REPO, env=os.environ.copy()
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, "publish ended before reaching the stage"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    version, counts = check_serving(marts)
    assert check_pinned_parquet(marts) == (version, counts)
    assert set(check_stable_parquet(marts).values()) == {version}
    if survives == "old":
        assert publication_hashes(marts) == before
        assert version == old.version and counts == {m: mart_rows(m, 1) for m in MARTS}
    else:
        assert version != old.version and counts == {m: mart_rows(m, 2) for m in MARTS}

    nxt = publish_bi(run_id="gen2-again")
    assert check_serving(marts)[0] == nxt.version
    assert not list((marts / RELEASES).glob(".build-*"))


def test_kill_at_random_moments_never_breaks_the_publication(data_dir: Path) -> None:
    """No hooks: kill -9 publishes of a larger warehouse after random delays; whatever is published after
    each kill is one whole, readable version (the old or the new)."""
    marts = data_dir / "marts"
    big = "create or replace table marts.village_priority as select range::varchar as kode, range % 97 as skor, "
    big += "'catatan desa ' || (range % 1000) as catatan from range(400000)"
    write_warehouse(0, extra=big)
    publish_bi(run_id="base")
    script = (
        "from pipelines.publishing import publish_bi_marts; from pipelines.resources import warehouse_resource; "
        "w = warehouse_resource(resolve=True); publish_bi_marts(w.db_path(), w.marts_dir(), run_id='killed')"
    )
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True)
    full = time.monotonic() - t0
    rnd = random.Random(11)
    outcomes = []
    for i in range(6):
        write_warehouse(i + 1, extra=big)
        before = check_serving(marts)[0]
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
        time.sleep(rnd.uniform(0.3, full))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        version, counts = check_serving(marts)
        assert check_pinned_parquet(marts) == (version, counts)
        outcomes.append("old" if version == before else "new")
    probe(marts)
    print(f"full publish {full:.2f} s; outcomes after kills: {outcomes}")


def test_restricted_lists_from_bps_codes_and_emptied_kab(data_dir: Path) -> None:
    write_warehouse(1)
    publish_restricted(run_id="first")
    restricted = data_dir / "restricted"
    assert (restricted / "1871" / "target_households.parquet").exists()
    # next time the table only has BPS desa codes, and Bandar Lampung (Kemendagri 1871) has no targets
    con = duckdb.connect(str(folder().db_path()))
    con.execute(
        "create or replace table restricted.target_households as select * from (values "
        "('1803060001', 'Siti Rahmawati A'), ('1803060002', 'Budi Santoso B'), ('9999999999', 'Nur Lestari C')) "
        "t(bps_desa_code, nama_krt)"
    )
    con.close()
    out = publish_restricted(run_id="second")
    # BPS 1803 is Kemendagri 1801 (Lampung Selatan): mapped, never used as a folder name
    assert out["lists"]["1801"] == {"kab_name": "Lampung Selatan", "rows": 2}
    assert out["lists"]["unassigned"]["rows"] == 1
    assert pq.read_table(restricted / "1871" / "target_households.parquet").num_rows == 0
    # Kemendagri 1803 had targets before and has none now (BPS 1803 is Kemendagri 1801): an empty list
    assert out["lists"]["1803"]["rows"] == 0
    assert sorted(out["lists"]) == ["1801", "1802", "1803", "1871", "unassigned"]
    assert not list(restricted.glob(".build-*"))


def test_cli_summary_lists_files_rows_and_version(data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    from pipelines import cli

    assert cli.main(["summary"]) == 1  # nothing published yet: says so
    assert "Nothing published yet" in capsys.readouterr().out
    write_warehouse(3)
    pub = publish_bi(run_id="gen3")
    publish_restricted(run_id="gen3")
    assert cli.main(["summary"]) == 0
    out = capsys.readouterr().out
    assert str(data_dir / "marts") in out and pub.version in out
    for m in MARTS:
        assert f"{m}.parquet" in out and f"{mart_rows(m, 3):,} rows" in out
    assert "make ui" in out and "README.md" in out
    assert "Siti" not in out and "Rahmawati" not in out  # no names on the console


def test_restricted_lists_prefer_kemendagri_codes_over_bps(data_dir: Path) -> None:
    """The dbt model's columns: both systems side by side; folders use Kemendagri, never BPS."""
    write_warehouse(1)
    con = duckdb.connect(str(folder().db_path()))
    con.execute(
        "create or replace table restricted.target_households as select * from (values "
        "('1801', '1803', '1801042001', 'Siti Rahmawati A'), ('1804', '1801', '1804012001', 'Budi Santoso B')) "
        "t(kabupaten_kemendagri_code, kabupaten_bps_code, desa_kemendagri_code, nama_krt)"
    )
    con.close()
    out = publish_restricted(run_id="codes")
    assert {k: v["rows"] for k, v in out["lists"].items()} == {"1801": 1, "1804": 1}
    assert out["lists"]["1804"]["kab_name"] == "Lampung Barat"


@pytest.mark.slow
def test_concurrent_readers_during_full_nightly_runs(data_dir: Path, tmp_path: Path) -> None:
    """The real thing: the whole nightly job (landing, dbt, gate, publish; in-process as `make run` does it)
    refreshes the publication with different extracts while another process reads it in a loop."""
    from demo_data import generate
    from pipelines.definitions import defs

    job = defs.resolve_job_def("nightly_refresh")
    raw = data_dir / "raw"
    generate(out=raw, scale="tiny", seed=2015, dirt_rate=0.0)
    with dg.DagsterInstance.get() as instance:
        assert job.execute_in_process(instance=instance).success
    marts = data_dir / "marts"
    first, first_counts = check_serving(marts)

    shutil.rmtree(raw)
    generate(
        out=raw, scale="tiny", seed=2016, dirt_rate=0.0
    )  # another delivery: other households, other counts
    stop, ready, out = tmp_path / "stop", tmp_path / "ready", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "publication_checks.py"), "--loop", "--marts-dir", str(marts)]
        + ["--stop-file", str(stop), "--ready-file", str(ready), "--out", str(out)],
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert reader.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        with dg.DagsterInstance.get() as instance:
            assert job.execute_in_process(instance=instance).success
        time.sleep(1)  # a few reads of the new version too
    finally:
        stop.touch()
        reader.wait(timeout=120)
    summary = json.loads(out.read_text())
    assert summary["errors"] == [] and reader.returncode == 0
    second, second_counts = check_serving(marts)
    assert second != first and second_counts != first_counts
    assert set(summary["versions"]) == {first, second}, "the reader saw only one version"
    assert summary["versions"][first] == first_counts and summary["versions"][second] == second_counts
    print(f"reader: {summary['rounds']} consistent rounds during a full run ({summary['seconds']} s)")


def test_hugeint_sums_are_published_as_bigint(data_dir: Path) -> None:
    """`sum()` of integers is HUGEINT in DuckDB, which Parquet stores as DOUBLE: BI gets BIGINT instead."""
    write_warehouse(
        1, extra="create or replace table marts.sector_gaps as select sum(range) as people from range(10)"
    )
    publish_bi(run_id="huge")
    marts = data_dir / "marts"
    assert str(pq.read_schema(marts / "sector_gaps.parquet").field("people").type) == "int64"
    with duckdb.connect(str(marts / SERVING_FILE), read_only=True) as con:
        assert con.execute("select typeof(people), people from sector_gaps").fetchone() == ("BIGINT", 45)
