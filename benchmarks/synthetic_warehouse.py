"""A synthetic warehouse with the raw schema of docs/architecture.md, built in DuckDB SQL in seconds.

Why: the gate is tested and timed without waiting for the landing layer, and at province scale (877,905
households, ~3.2 M people, ~2 M deliveries) without generating and parsing CSV files. The values obey every
rule of the suites with the default thresholds; `spoil` applies SQL that breaks one rule. The marts on top
are the real dbt project's (`build_marts`), so a mart is defined once, in dbt_project/models.
Not demo data: names are placeholders, NIKs are arithmetic, nothing resembles a real person.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.landing import store

PROVINCE_HOUSEHOLDS = 877_905
LINEAGE = (
    "'synthetic.csv' as _source_file, 'sha' as _source_checksum, {row} as _source_row, now() as _loaded_at"
)


def _h(expr: str, salt: str, mod: int) -> str:
    """A deterministic pseudo-random integer in [0, mod) from an expression (no RNG state to share)."""
    return f"(hash({expr}, '{salt}') % {mod})::int"


def _reference(con: duckdb.DuckDBPyConnection) -> None:
    ref = settings.REFERENCE_DIR
    for table, file in [
        ("wilayah_regencies", "regencies.csv"),
        ("wilayah_districts", "districts.csv"),
        ("wilayah_villages", "villages.csv"),
    ]:
        con.execute(
            f"create or replace table raw.{table} as select * from read_csv('{ref / file}', all_varchar=true)"
        )
    # Villages with both codes, numbered, to spread households over the province.
    con.execute(
        f"""create or replace temp table v as
        select row_number() over (order by b.bps_code) - 1 as n, b.bps_code, b.kemendagri_code, b.name
        from read_csv('{ref / "bps_mfd_2018" / "villages.csv"}', all_varchar=true) b
        where b.kemendagri_code is not null"""
    )


def _households(con: duckdb.DuckDBPyConnection, households: int) -> None:
    nv = con.execute("select count(*) from v").fetchone()[0]  # type: ignore[index]
    con.execute(
        f"""create or replace table raw.bdt_households as
        with base as (
            select i, 'RT' || lpad(i::varchar, 9, '0') as idbdt, 1 + {_h("i", "art", 13)} // 2 as jumlah_art,
                   1 + {_h("i", "pct", 40)} as percentile
            from range({households}) r(i))
        select b.idbdt, '18' as kdprop, substr(v.bps_code, 3, 2) as kdkab, substr(v.bps_code, 5, 3) as kdkec,
               substr(v.bps_code, 8, 3) as kddesa, v.bps_code as bps_desa_code,
               v.kemendagri_code as kemendagri_desa_code, 'KRT ' || b.i as nama_krt, 'Alamat ' || b.i as alamat,
               '1871' || lpad(b.i::varchar, 12, '0') as nokk, sha256('1871' || lpad(b.i::varchar, 12, '0')) as nokk_hash,
               true as nokk_valid, b.jumlah_art, 1 as jumlah_keluarga, 1 as sta_bangunan,
               20.0 + {_h("b.i", "luas", 80)} as luas_lantai, 1 + {_h("b.i", "lantai", 10)} as lantai,
               1 + {_h("b.i", "dinding", 7)} as dinding, 1 as kondisi_dinding, 1 + {_h("b.i", "atap", 10)} as atap,
               1 as kondisi_atap, 2 as jumlah_kamar, 1 + {_h("b.i", "air", 12)} as sumber_airminum,
               1 as sumber_penerangan, 1 as bb_masak, 1 + {_h("b.i", "fasbab", 4)} as fasbab,
               true as ada_tabung_gas, false as ada_lemari_es, true as ada_motor, false as sta_kks,
               false as sta_kip, true as sta_kis, false as sta_pkh, true as sta_rastra, b.percentile,
               ((b.percentile + 9) // 10)::int as status_kesejahteraan, {LINEAGE.format(row="b.i + 1")}
        from base b join v on v.n = b.i % {nv}"""
    )


def _individuals(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""create or replace table raw.bdt_individuals as
        with m as (
            select h.idbdt, h.nokk, h.nokk_hash, k, (substr(h.idbdt, 3)::bigint * 8 + k) as p
            from raw.bdt_households h, range(h.jumlah_art) t(k)),
        n as (select *, {_h("p", "nikbad", 50)} = 0 as bad_nik, '1801' || lpad(p::varchar, 12, '0') as nik16 from m)
        select idbdt || lpad((k + 1)::varchar, 2, '0') as idartbdt, idbdt,
               case when bad_nik then null else nik16 end as nik,
               case when bad_nik then null else sha256(nik16) end as nik_hash, not bad_nik as nik_valid,
               nokk, nokk_hash, true as nokk_valid, 'Nama ' || p as nama, 1 + {_h("p", "sex", 2)} as jnskel,
               'Tempat' as tmplahir, null::date as tgllahir,
               case when k = 0 then 25 + {_h("p", "age", 50)} else {_h("p", "age", 90)} end as umur,
               case when k = 0 then 1 when k = 1 then 2 else 3 end as hub_krt, 1 + {_h("p", "kawin", 4)} as sta_kawin,
               0 as jenis_cacat, 0 as penyakit_kronis, {_h("p", "sekolah", 3)} as partisipasi_sekolah,
               1 as pendidikan_tertinggi, {_h("p", "lu", 22)} as lapangan_usaha, 1 as status_pekerjaan,
               1 as sta_keberadaan_art, false as sta_hamil, true as sta_bekerja, false as ada_kks,
               true as ada_pbi, false as ada_kip, false as ada_pkh, {LINEAGE.format(row="p")}
        from n"""
    )


def _ikd(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""create or replace table raw.ikd as
        with s as (select *, 20.0 + {_h("n", "ikd", 7000)} / 100.0 as score from v)
        select 2014 as ikd_year, bps_code as kode_desa_bps, kemendagri_code as kemendagri_desa_code,
               name as nama_desa, score as aspek_1, score as aspek_2, score as aspek_3, score as aspek_4,
               score as aspek_5, score as ikd,
               case when score >= 70 then 'Maju' when score >= 55 then 'Berkembang'
                    when score >= 40 then 'Kurang Berkembang' else 'Tertinggal' end as status,
               {LINEAGE.format(row="n + 1")}
        from s"""
    )


def _population(con: duckdb.DuckDBPyConnection) -> None:
    """Dukcapil counts: the BDT (poorest 40%) is about a third of a desa's people, never more."""
    con.execute(
        f"""create or replace table raw.population as
        with bdt as (select kemendagri_desa_code as kode_desa, sum(jumlah_art) as people
                     from raw.bdt_households group by all)
        select 2017 as population_year, w.village_code as kode_desa, w.name as nama_desa,
               3 * coalesce(bdt.people, 0) + 500 + {_h("w.village_code", "pend", 2000)} as jumlah_penduduk,
               (3 * coalesce(bdt.people, 0) + 500 + {_h("w.village_code", "pend", 2000)}) // 4 as jumlah_kk,
               {LINEAGE.format(row="1")}
        from raw.wilayah_villages w left join bdt on bdt.kode_desa = w.village_code"""
    )


def _interventions(con: duckdb.DuckDBPyConnection, deliveries: int, households: int) -> None:
    seeds = settings.SEEDS_DIR
    con.execute(
        f"""create or replace temp table prog as
        select row_number() over (order by kode_program) - 1 as n, kode_program, nama_program
        from read_csv('{seeds / "programme_catalogue.csv"}', all_varchar=true)"""
    )
    nprog = con.execute("select count(*) from prog").fetchone()[0]  # type: ignore[index]
    nv = con.execute("select count(*) from v").fetchone()[0]  # type: ignore[index]
    con.execute(
        f"""create or replace table raw.interventions as
        with d as (
            select i, {_h("i", "hh", households)} as hh, {_h("i", "match", 100)} < 85 as matched,
                   2016 + {_h("i", "year", 3)} as tahun from range({deliveries}) r(i)),
        p as (select d.*, case when matched then '1801' || lpad((hh * 8)::varchar, 12, '0')
                               else '1899' || lpad(i::varchar, 12, '0') end as nik16,
                     {_h("hh * 8", "nikbad", 50)} = 0 and matched as head_bad_nik from d)
        select p.tahun, prog.kode_program, prog.nama_program,
               ['APBD Prov', 'APBD Kab', 'APBN', 'Lain'][1 + {_h("i", "dana", 4)}] as sumber_dana_raw,
               ['APBD Provinsi', 'APBD Kabupaten/Kota', 'APBN', 'Lainnya'][1 + {_h("i", "dana", 4)}] as sumber_dana,
               'Dinas ' || {_h("i", "opd", 20)} as opd, v.kemendagri_code as kode_wilayah,
               case when head_bad_nik then null else nik16 end as nik,
               case when head_bad_nik then null else sha256(nik16) end as nik_hash, not head_bad_nik as nik_valid,
               'Penerima ' || i as nama,
               case when matched and {_h("i", "id", 3)} = 0 then 'RT' || lpad(hh::varchar, 9, '0') end as idbdt,
               make_date(p.tahun, 1 + {_h("i", "m", 12)}, 1 + {_h("i", "d", 28)}) as tanggal,
               (100000 * (1 + {_h("i", "rp", 50)}))::bigint as nilai_rp, 'paket' as satuan,
               p.tahun as report_year, false as flag_deceased_beneficiary, {LINEAGE.format(row="i + 1")}
        from p join prog on prog.n = i % {nprog} join v on v.n = (i * 7) % {nv}"""
    )


def _bookkeeping(con: duckdb.DuckDBPyConnection) -> None:
    """Empty quarantine and ledger, shaped as landing makes them."""
    store.run(con, "drop table if exists raw.quarantine")
    store.run(con, "drop table if exists raw.file_ledger")
    store.ensure_schema(con)


def build_raw(db_path: Path, households: int = 500, deliveries_per_household: float = 2.36) -> Path:
    """Write a clean raw schema to `db_path` (replacing the tables). Province scale: `PROVINCE_HOUSEHOLDS`."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_path)) as con:
        con.execute("set enable_progress_bar = false")
        con.execute("create schema if not exists raw")
        _reference(con)
        _households(con, households)
        _individuals(con)
        _ikd(con)
        _population(con)
        _interventions(con, int(households * deliveries_per_household), households)
        _bookkeeping(con)
        con.execute("checkpoint")
    return db_path


def spoil(db_path: Path, *statements: str) -> None:
    """Apply SQL that breaks the data (one rule per test)."""
    with duckdb.connect(str(db_path)) as con:
        for statement in statements:
            con.execute(statement)
        con.execute("checkpoint")


# --- marts: the real dbt project, run on the synthetic raw tables ----------------------------------------------


def dbt_executable() -> str:
    """The dbt next to this Python (the project's venv)."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def build_marts(db_path: Path, work_dir: Path | None = None) -> Path:
    """The marts and the restricted list of `db_path`, built from its raw tables by the seeds and models of
    dbt_project/ (one `dbt build` without tests: no mart is written twice, these are the nightly run's
    models). dbt's artifacts go to `work_dir` (default: beside the warehouse), never to dbt_project/target/."""
    work = work_dir or db_path.parent / f"{db_path.stem}_dbt"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DBT_")},
        "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR),
        "TKPK_WAREHOUSE_PATH": str(db_path.resolve()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for command in (["seed"], ["run"]):
        result = subprocess.run(
            [dbt_executable(), *command, "--target-path", str(work), "--log-path", str(work / "logs")],
            cwd=settings.DBT_PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"dbt {command[0]} on {db_path} failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
            )
    return db_path


def build(db_path: Path, households: int = 500) -> Path:
    """Raw tables, then marts and the restricted list by dbt: a whole clean warehouse."""
    return build_marts(build_raw(db_path, households))
