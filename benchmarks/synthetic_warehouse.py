"""A synthetic warehouse with the raw schema of docs/architecture.md, built in DuckDB SQL in seconds.

Why: the gate is tested and timed without waiting for the landing and dbt layers, and at province scale
(877,905 households, ~3.2 M people, ~2 M deliveries) without generating and parsing CSV files. The values
obey every rule of the suites with the default thresholds; `spoil` applies SQL that breaks one rule.
Not demo data: names are placeholders, NIKs are arithmetic, nothing resembles a real person.
"""

from __future__ import annotations

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


# --- marts: small stand-ins with the columns of dbt_project/models/marts, consistent by construction ---------

YEARS = "(values (2016), (2017)) y(reporting_year)"
LEVEL = """case when grouping(desa) = 0 then 'desa' when grouping(kec) = 0 then 'kecamatan'
                when grouping(kab) = 0 then 'kabupaten' else 'province' end as region_level,
           coalesce(desa, kec, kab, '18') as kemendagri_code"""
ROLLUP = "grouping sets ({keys}, ({keys_comma}kab), ({keys_comma}kab, kec), ({keys_comma}kab, kec, desa))"


def _rollup(keys: list[str]) -> str:
    joined = ", ".join(keys)
    return ROLLUP.format(keys=f"({joined})", keys_comma=f"{joined}, " if keys else "")


def _regions(con: duckdb.DuckDBPyConnection) -> None:
    ref = settings.REFERENCE_DIR
    con.execute(
        f"""create or replace temp table desa as
        select village_code as desa, district_code as kec, regency_code as kab, bps_code
        from read_csv('{ref / "villages.csv"}', all_varchar = true)"""
    )
    con.execute(
        """create or replace temp table regions as
        select 'province' as region_level, '18' as kemendagri_code, null::varchar as parent_kemendagri_code,
               null::varchar as kabupaten_kemendagri_code
        union all select distinct 'kabupaten', kab, '18', kab from desa
        union all select distinct 'kecamatan', kec, kab, kab from desa
        union all select 'desa', desa, kec, kab from desa"""
    )
    con.execute(
        """create or replace temp table hh as
        select h.idbdt, d.desa, d.kec, d.kab, h.status_kesejahteraan as decile, h.percentile, h.jumlah_art as people
        from raw.bdt_households h join desa d on d.desa = h.kemendagri_desa_code"""
    )
    con.execute(
        """create or replace temp table sectors as
        select unnest(['education', 'health', 'housing', 'water', 'sanitation', 'social', 'economy',
                       'employment']) as sector"""
    )
    con.execute(
        f"""create or replace temp table hh_sector as
        select y.reporting_year, hh.*, s.sector,
               {_h("hh.idbdt || s.sector || y.reporting_year", "need", 3)} = 0 as is_in_need,
               {_h("hh.idbdt || s.sector || y.reporting_year", "reach", 4)} = 0 as is_reached
        from hh cross join sectors s cross join {YEARS}"""
    )


def _poverty_by_region(con: duckdb.DuckDBPyConnection) -> None:
    deciles = ", ".join(
        f"count(*) filter (where decile = {d}) as bdt_households_decile_{d}, "
        f"coalesce(sum(people) filter (where decile = {d}), 0) as bdt_people_decile_{d}"
        for d in range(1, 5)
    )
    zeros = ", ".join(
        f"coalesce(b.bdt_households_decile_{d}, 0) as bdt_households_decile_{d}, "
        f"coalesce(b.bdt_people_decile_{d}, 0) as bdt_people_decile_{d}"
        for d in range(1, 5)
    )
    con.execute(
        f"""create or replace table marts.poverty_by_region as
        with b as (select {LEVEL}, count(*) as bdt_households, sum(people) as bdt_people, {deciles}
                   from hh group by {_rollup([])}),
        p as (select {LEVEL}, sum(jumlah_penduduk) as population, sum(jumlah_kk) as family_cards
              from (select d.*, p.jumlah_penduduk, p.jumlah_kk from raw.population p join desa d on d.desa = p.kode_desa)
              group by {_rollup([])}),
        j as (select y.reporting_year, r.*, 2017 as population_year, p.population, p.family_cards,
                     coalesce(b.bdt_households, 0) as bdt_households, coalesce(b.bdt_people, 0) as bdt_people, {zeros}
              from {YEARS} cross join regions r
              left join b using (region_level, kemendagri_code) left join p using (region_level, kemendagri_code))
        select *, bdt_people_decile_1::double / nullif(population, 0) as share_population_decile_1,
               bdt_people::double / nullif(population, 0) as share_population_decile_1_4,
               bdt_households_decile_1::double / nullif(family_cards, 0) as share_family_cards_decile_1,
               rank() over (partition by reporting_year, region_level
                            order by bdt_people_decile_1::double / nullif(population, 0) desc nulls last)
                 as rank_decile_1_share
        from j"""
    )


def _decile_coverage(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""create or replace table marts.decile_coverage as
        with c as (
            select reporting_year, sector, {LEVEL},
                   case when grouping(decile) = 1 then 'all' else decile::varchar end as decile,
                   count(*) filter (where is_in_need) as units_eligible,
                   count(*) filter (where is_reached) as units_reached,
                   count(*) filter (where is_in_need and is_reached) as units_eligible_reached,
                   count(*) filter (where is_in_need and not is_reached and decile = 1) as decile_1_excluded
            from hh_sector
            group by grouping sets (
                (reporting_year, sector), (reporting_year, sector, decile),
                (reporting_year, sector, kab), (reporting_year, sector, kab, decile),
                (reporting_year, sector, kab, kec), (reporting_year, sector, kab, kec, decile),
                (reporting_year, sector, kab, kec, desa), (reporting_year, sector, kab, kec, desa, decile)))
        select reporting_year, region_level, kemendagri_code, 'sector' as scope, sector,
               null::varchar as programme_code, 'household' as unit_level, decile, units_eligible, units_reached,
               units_eligible_reached, units_reached - units_eligible_reached as units_reached_not_eligible,
               units_eligible - units_eligible_reached as units_eligible_unreached,
               units_eligible_reached::double / nullif(units_eligible, 0) as coverage_rate, decile_1_excluded,
               case when decile = 'all' then units_reached + units_reached // 10 end as beneficiaries,
               case when decile = 'all' then units_reached end as beneficiaries_in_bdt,
               case when decile = 'all' then units_reached // 10 end as beneficiaries_outside_bdt,
               case when decile = 'all' then (units_reached // 10)::double / nullif(units_reached + units_reached // 10, 0)
               end as leakage_rate
        from c"""
    )


def _sector_gaps(con: duckdb.DuckDBPyConnection) -> None:
    sources = {
        "apbd_provinsi": "APBD Provinsi",
        "apbd_kabupaten_kota": "APBD Kabupaten/Kota",
        "apbn": "APBN",
        "lainnya": "Lainnya",
    }
    spend = ", ".join(
        f"coalesce(sum(nilai_rp) filter (where sumber_dana = '{v}'), 0)::bigint as spend_{k}_rp"
        for k, v in sources.items()
    )
    spend_cols = ", ".join(f"coalesce(s.spend_{k}_rp, 0) as spend_{k}_rp" for k in sources)
    con.execute(
        f"""create or replace table marts.sector_gaps as
        with n as (
            select reporting_year, sector, {LEVEL},
                   count(*) filter (where is_in_need) as households_in_need,
                   count(*) filter (where is_in_need and is_reached) as households_in_need_served,
                   count(*) filter (where is_reached) as households_reached,
                   count(*) filter (where is_in_need and decile = 1) as decile_1_households_in_need,
                   count(*) filter (where is_in_need and is_reached and decile = 1) as decile_1_households_in_need_served
            from hh_sector group by {_rollup(["reporting_year", "sector"])}),
        d as (
            select x.tahun as reporting_year, s.sector, d.kab, d.kec, d.desa, x.sumber_dana, x.nilai_rp
            from raw.interventions x
            join read_csv('{settings.SEEDS_DIR / "programme_catalogue.csv"}', all_varchar = true) s
              on s.kode_program = x.kode_program
            join desa d on d.desa = x.kode_wilayah),
        s as (select reporting_year, sector, {LEVEL}, count(*) as deliveries, {spend},
                     coalesce(sum(nilai_rp), 0)::bigint as spend_total_rp
              from d group by {_rollup(["reporting_year", "sector"])}),
        g as (select y.reporting_year, sectors.sector, r.* from {YEARS} cross join sectors cross join regions r)
        select g.*, coalesce(n.households_in_need, 0) as households_in_need,
               coalesce(n.households_in_need_served, 0) as households_in_need_served,
               coalesce(n.households_in_need, 0) - coalesce(n.households_in_need_served, 0) as gap_households,
               coalesce(n.decile_1_households_in_need, 0) as decile_1_households_in_need,
               coalesce(n.decile_1_households_in_need_served, 0) as decile_1_households_in_need_served,
               coalesce(n.decile_1_households_in_need, 0) - coalesce(n.decile_1_households_in_need_served, 0)
                 as decile_1_gap_households,
               coalesce(n.households_reached, 0) as households_reached, coalesce(s.deliveries, 0) as deliveries,
               {spend_cols}, coalesce(s.spend_total_rp, 0) as spend_total_rp,
               (coalesce(n.households_in_need, 0) - coalesce(n.households_in_need_served, 0))::double
                 / nullif(n.households_in_need, 0) as gap_rate,
               (coalesce(n.decile_1_households_in_need, 0) - coalesce(n.decile_1_households_in_need_served, 0))::double
                 / nullif(n.decile_1_households_in_need, 0) as decile_1_gap_rate
        from g left join n using (reporting_year, sector, region_level, kemendagri_code)
        left join s using (reporting_year, sector, region_level, kemendagri_code)"""
    )


def _village_priority(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """create or replace table marts.village_priority as
        with j as (
            select y.reporting_year, d.desa as kemendagri_code, d.bps_code, d.kec as kecamatan_kemendagri_code,
                   d.kab as kabupaten_kemendagri_code, 2014 as ikd_year, i.ikd as ikd_score, i.status as ikd_status,
                   case i.status when 'Tertinggal' then 1 when 'Kurang Berkembang' then 2 when 'Berkembang' then 3
                                 when 'Maju' then 4 else 5 end as ikd_status_order,
                   p.population, p.bdt_households, p.bdt_people_decile_1, p.share_population_decile_1
            from (values (2016), (2017)) y(reporting_year) cross join desa d
            left join raw.ikd i on i.kode_desa_bps = d.bps_code
            left join marts.poverty_by_region p
              on p.reporting_year = y.reporting_year and p.region_level = 'desa' and p.kemendagri_code = d.desa),
        s as (select *, percent_rank() over (partition by reporting_year
                                             order by coalesce(share_population_decile_1, 0)) as need_score,
                     round(380 * count(ikd_score) over (partition by reporting_year) / 2632)::integer
                       as gerbang_desa_saburai_target_count
              from j),
        r as (select *, row_number() over (partition by reporting_year
                                           order by ikd_status_order, need_score desc, ikd_score nulls last,
                                                    kemendagri_code) as priority_rank
              from s)
        select *, priority_rank <= gerbang_desa_saburai_target_count as gerbang_desa_saburai_target from r"""
    )


def _intervention_summary(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """create or replace table marts.intervention_summary as
        with d as (
            select x.tahun as reporting_year, x.kode_program as programme_code, x.sumber_dana as funding_source,
                   x.opd as agency, left(x.kode_wilayah, 4) as kab, coalesce(x.nik_hash, x._source_row::varchar) as who,
                   x.idbdt is not null or x.nik_valid as in_bdt, x.nilai_rp, x.flag_deceased_beneficiary
            from raw.interventions x)
        select reporting_year,
               case when grouping(kab) = 0 then 'kabupaten' else 'province' end as region_level,
               coalesce(kab, '18') as kemendagri_code, programme_code, funding_source, agency,
               count(*) as deliveries, count(distinct who) as beneficiaries,
               count(distinct who) filter (where in_bdt) as beneficiaries_in_bdt,
               count(distinct who) filter (where not in_bdt) as beneficiaries_outside_bdt,
               0 as beneficiaries_decile_1,
               count(*) filter (where flag_deceased_beneficiary) as deliveries_to_deceased,
               coalesce(sum(nilai_rp), 0)::bigint as amount_rp
        from d
        group by grouping sets ((reporting_year, programme_code, funding_source, agency),
                                (reporting_year, programme_code, funding_source, agency, kab))"""
    )


def _target_households(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """create or replace table restricted.target_households as
        select s.reporting_year, s.kab as kabupaten_kemendagri_code, s.kec as kecamatan_kemendagri_code,
               s.desa as desa_kemendagri_code, s.idbdt, h.nama_krt, h.alamat, h.nokk, s.decile, s.percentile,
               s.people as members_present, s.sector, [s.sector] as need_codes, 1 as members_in_need
        from hh_sector s join raw.bdt_households h using (idbdt)
        where s.is_in_need and not s.is_reached and s.decile in (1, 2)"""
    )


MARTS = ("poverty_by_region", "decile_coverage", "sector_gaps", "village_priority", "intervention_summary")


def build_marts(db_path: Path) -> Path:
    """Marts and the restricted list computed from the raw tables already in `db_path`."""
    with duckdb.connect(str(db_path)) as con:
        con.execute("set enable_progress_bar = false")
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists restricted")
        _regions(con)
        _poverty_by_region(con)
        _decile_coverage(con)
        _sector_gaps(con)
        _village_priority(con)
        _intervention_summary(con)
        _target_households(con)
        con.execute("checkpoint")
    return db_path


def build(db_path: Path, households: int = 500) -> Path:
    """Raw tables, marts and the restricted list: a whole clean warehouse."""
    return build_marts(build_raw(db_path, households))
