"""The marts: `dbt build` on a hand-made raw warehouse whose truth is known, and the Dagster wiring.

The raw warehouse below follows the raw-schema contract of docs/architecture.md exactly (column names and
types), with 8 BDT households in 2 kab/kota crafted so that every need rule fires at least once, and a dozen
deliveries that exercise every matching path (by idbdt, by NIK, idbdt winning over NIK, unknown idbdt
falling back to NIK, outside the BDT with and without a valid NIK). The expected figures are worked out by
hand in the comments and asserted exactly.
"""

import hashlib
import json
import os
import subprocess
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines import settings

DBT_DIR = settings.DBT_PROJECT_DIR
DBT = str(Path(os.environ.get("VIRTUAL_ENV", settings.REPO_ROOT / ".venv")) / "bin" / "dbt")
if not Path(DBT).exists():  # pragma: no cover - a venv elsewhere
    DBT = str(settings.REPO_ROOT / ".venv" / "bin" / "dbt")

PII_COLUMNS = {"nik", "nokk", "nama", "nama_krt", "alamat", "tmplahir", "tgllahir"}
LINEAGE = "_source_file varchar, _source_checksum varchar, _source_row bigint, _loaded_at timestamp"

# The raw schema of the contract (docs/architecture.md), column by column.
RAW_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "bdt_households": [
        ("idbdt", "varchar"),
        ("kdprop", "varchar"),
        ("kdkab", "varchar"),
        ("kdkec", "varchar"),
        ("kddesa", "varchar"),
        ("bps_desa_code", "varchar"),
        ("kemendagri_desa_code", "varchar"),
        ("nama_krt", "varchar"),
        ("alamat", "varchar"),
        ("nokk", "varchar"),
        ("nokk_raw", "varchar"),
        ("nokk_hash", "varchar"),
        ("nokk_valid", "boolean"),
        *[(c, "integer") for c in ("jumlah_art", "jumlah_keluarga", "sta_bangunan")],
        ("luas_lantai", "double"),
        *[
            (c, "integer")
            for c in (
                "lantai",
                "dinding",
                "kondisi_dinding",
                "atap",
                "kondisi_atap",
                "jumlah_kamar",
                "sumber_airminum",
                "sumber_penerangan",
                "bb_masak",
                "fasbab",
            )
        ],
        *[
            (c, "boolean")
            for c in (
                "ada_tabung_gas",
                "ada_lemari_es",
                "ada_motor",
                "sta_kks",
                "sta_kip",
                "sta_kis",
                "sta_pkh",
                "sta_rastra",
            )
        ],
        ("percentile", "integer"),
        ("status_kesejahteraan", "integer"),
    ],
    "bdt_individuals": [
        ("idartbdt", "varchar"),
        ("idbdt", "varchar"),
        ("nik", "varchar"),
        ("nik_raw", "varchar"),
        ("nik_hash", "varchar"),
        ("nik_valid", "boolean"),
        ("nokk", "varchar"),
        ("nokk_raw", "varchar"),
        ("nokk_hash", "varchar"),
        ("nokk_valid", "boolean"),
        ("nama", "varchar"),
        ("tmplahir", "varchar"),
        ("tgllahir", "date"),
        ("tgllahir_valid", "boolean"),
        *[
            (c, "integer")
            for c in (
                "jnskel",
                "umur",
                "hub_krt",
                "sta_kawin",
                "jenis_cacat",
                "penyakit_kronis",
                "partisipasi_sekolah",
                "pendidikan_tertinggi",
                "lapangan_usaha",
                "status_pekerjaan",
                "sta_keberadaan_art",
            )
        ],
        *[(c, "boolean") for c in ("sta_hamil", "sta_bekerja", "ada_kks", "ada_pbi", "ada_kip", "ada_pkh")],
    ],
    "ikd": [
        ("ikd_year", "integer"),
        ("kode_desa_bps", "varchar"),
        ("kemendagri_desa_code", "varchar"),
        ("nama_desa", "varchar"),
        *[(f"aspek_{i}", "double") for i in range(1, 6)],
        ("ikd", "double"),
        ("status", "varchar"),
    ],
    "interventions": [
        ("tahun", "integer"),
        ("kode_program", "varchar"),
        ("nama_program", "varchar"),
        ("sumber_dana_raw", "varchar"),
        ("sumber_dana", "varchar"),
        ("opd", "varchar"),
        ("kode_wilayah", "varchar"),
        ("nik", "varchar"),
        ("nik_raw", "varchar"),
        ("nik_hash", "varchar"),
        ("nik_valid", "boolean"),
        ("nama", "varchar"),
        ("idbdt", "varchar"),
        ("tanggal", "date"),
        ("nilai_rp", "bigint"),
        ("satuan", "varchar"),
        ("report_year", "integer"),
        ("flag_deceased_beneficiary", "boolean"),
    ],
    "population": [
        ("population_year", "integer"),
        ("kode_desa", "varchar"),
        ("nama_desa", "varchar"),
        ("jumlah_penduduk", "integer"),
        ("jumlah_kk", "integer"),
    ],
}
WILAYAH = {
    "wilayah_regencies": "regencies.csv",
    "wilayah_districts": "districts.csv",
    "wilayah_villages": "villages.csv",
}


def nik_hash(nik: str | None) -> str | None:
    """The landing's keyed hash, sha256(k || sha256(k || value)) in hex; null for an invalid number."""
    if nik is None or len(nik) != 16 or not nik.isdigit():
        return None
    k = settings.hash_key()
    inner = hashlib.sha256((k + nik).encode()).hexdigest()
    return hashlib.sha256((k + inner).encode()).hexdigest()


def create_raw_warehouse(
    db_path: Path,
    households: list[dict],
    individuals: list[dict],
    interventions: list[dict],
    ikd: list[dict],
    population: list[dict],
) -> None:
    """Create schema raw in `db_path` exactly per the contract, from rows given as dicts (missing keys: null)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path))
    try:
        con.execute("create schema if not exists raw")
        for table, csv_name in WILAYAH.items():
            path = settings.REFERENCE_DIR / csv_name
            con.execute(
                f"create or replace table raw.{table} as select *, "
                f"'reference/{csv_name}' as _source_file, 'test' as _source_checksum, "
                "row_number() over ()::bigint as _source_row, now()::timestamp as _loaded_at "
                f"from read_csv('{path}', all_varchar = true, header = true)"
            )
        rows_by_table = {
            "bdt_households": households,
            "bdt_individuals": individuals,
            "ikd": ikd,
            "interventions": interventions,
            "population": population,
        }
        for table, rows in rows_by_table.items():
            cols = RAW_COLUMNS[table]
            ddl = ", ".join(f"{c} {t}" for c, t in cols)
            con.execute(f"create or replace table raw.{table} ({ddl}, {LINEAGE})")
            placeholders = ", ".join("?" for _ in range(len(cols) + 4))
            for i, row in enumerate(rows, start=1):
                unknown = set(row) - {c for c, _ in cols}
                assert not unknown, f"{table}: not in the contract: {unknown}"
                values = [row.get(c) for c, _ in cols]
                lineage = [f"{table}/test.csv", "test", i, datetime(2026, 1, 1)]
                con.execute(f"insert into raw.{table} values ({placeholders})", values + lineage)
    finally:
        con.close()


# --- The known-truth warehouse -------------------------------------------------------------------------

# Desa A: Hajimena (kec Natar 180104, kab Lampung Selatan 1801; BPS 1803060001)
# Desa B: Kaliasin (kec Tanjung Bintang 180105, kab 1801; BPS 1803080001)
# Desa C: Kedaton (kec 187101, kota Bandar Lampung 1871; BPS 1871080005)
# H8 lives at BPS desa 1871080099, which the crosswalk does not know: counted in its kecamatan, not in a desa.
DESA = {
    "A": ("1801042001", "1803060001"),
    "B": ("1801052001", "1803080001"),
    "C": ("1871011003", "1871080005"),
    "X": (None, "1871080099"),
}
GOOD_HOUSE = {
    "luas_lantai": 60.0,
    "lantai": 2,
    "dinding": 1,
    "kondisi_dinding": 1,
    "atap": 3,
    "kondisi_atap": 1,
    "sumber_airminum": 3,
    "fasbab": 1,
}


def _household(idbdt: str, desa: str, decile: int, members: int, **house) -> dict:
    kemendagri, bps = DESA[desa]
    return {
        "idbdt": idbdt,
        "kdprop": bps[:2],
        "kdkab": bps[2:4],
        "kdkec": bps[4:7],
        "kddesa": bps[7:],
        "bps_desa_code": bps,
        "kemendagri_desa_code": kemendagri,
        "nama_krt": f"Kepala {idbdt}",
        "alamat": f"Jalan {idbdt}",
        "nokk": f"18010100000000{idbdt[-2:]}",
        "nokk_raw": f"18010100000000{idbdt[-2:]}",
        "nokk_hash": nik_hash(f"18010100000000{idbdt[-2:]}"),
        "nokk_valid": True,
        "jumlah_art": members,
        "jumlah_keluarga": 1,
        "status_kesejahteraan": decile,
        "percentile": decile * 10 - 5,
        **{**GOOD_HOUSE, **house},
    }


def _person(idart: str, idbdt: str, nik: str | None, sex: int, hub: int, **attrs) -> dict:
    return {
        "idartbdt": idart,
        "idbdt": idbdt,
        "nik": nik if nik_hash(nik) else None,
        "nik_raw": nik,
        "nik_hash": nik_hash(nik),
        "nik_valid": nik_hash(nik) is not None,
        "nama": f"Nama {idart}",
        "tgllahir_valid": attrs.get("tgllahir") is not None,
        "tmplahir": "Kalianda",
        "jnskel": sex,
        "hub_krt": hub,
        "sta_kawin": 2,
        "jenis_cacat": 0,
        "partisipasi_sekolah": 2,
        "lapangan_usaha": 0,
        "sta_keberadaan_art": 1,
        "sta_hamil": False,
        "sta_bekerja": False,
        "ada_pbi": True,
        "ada_kip": False,
        **attrs,
    }


def _worker(lapangan: int = 15) -> dict:
    return {"sta_bekerja": True, "lapangan_usaha": lapangan}


def _nik(n: int) -> str:
    return f"18010{n:011d}"


HOUSEHOLDS = [
    _household("H01", "A", 1, 5, lantai=9),  # housing (earth floor)
    _household("H02", "A", 2, 3, sumber_airminum=10, fasbab=4),  # water, sanitation
    _household("H03", "B", 1, 2, luas_lantai=14.0),  # housing: 14 m2 / 2 members = 7 < 8
    _household("H04", "B", 3, 1),
    _household("H05", "C", 4, 2, dinding=6),  # housing (bamboo wall)
    _household("H06", "C", 1, 2),
    _household("H07", "C", 2, 2, atap=8, sumber_airminum=7),  # housing (thatch), water
    _household("H08", "X", 1, 1, fasbab=3),  # sanitation (public toilet only)
]

INDIVIDUALS = [
    # H01: head farmer (economy), wife 30 married (contraception), child 10 in school without KIP and
    # without PBI (education, health insurance), child born 2013 (under 5 in 2016 and 2017).
    _person("P0101", "H01", _nik(101), 1, 1, tgllahir=date(1977, 1, 1), umur=38, **_worker(1)),
    _person("P0102", "H01", _nik(102), 2, 2, tgllahir=date(1987, 2, 1), umur=28, **_worker(1)),
    _person(
        "P0103",
        "H01",
        _nik(103),
        1,
        3,
        tgllahir=date(2007, 3, 1),
        umur=8,
        sta_kawin=1,
        partisipasi_sekolah=1,
        ada_pbi=False,
    ),
    _person(
        "P0104", "H01", _nik(104), 2, 3, tgllahir=date(2013, 5, 1), umur=2, sta_kawin=1, partisipasi_sekolah=0
    ),
    # H02: woman head in trade (economy), son 20 idle (employment), daughter 17 in school with KIP and a
    # disability (social, not education).
    _person("P0201", "H02", _nik(201), 2, 1, tgllahir=date(1970, 1, 1), umur=45, sta_kawin=4, **_worker(10)),
    _person("P0202", "H02", _nik(202), 1, 3, tgllahir=date(1997, 1, 1), umur=18, sta_kawin=1),
    _person(
        "P0203",
        "H02",
        _nik(203),
        2,
        3,
        tgllahir=date(2000, 1, 1),
        umur=15,
        sta_kawin=1,
        partisipasi_sekolah=1,
        ada_kip=True,
        jenis_cacat=3,
    ),
    # H03: elderly couple without PBI (health insurance x2), birth dates unknown (ages from Umur), and a
    # deceased child who must not count anywhere.
    _person("P0301", "H03", _nik(301), 1, 1, umur=68, ada_pbi=False),
    _person("P0302", "H03", _nik(302), 2, 2, umur=64, ada_pbi=False),
    _person(
        "P0303", "H03", _nik(303), 1, 3, umur=8, sta_kawin=1, partisipasi_sekolah=0, sta_keberadaan_art=2
    ),
    # H04: head fisher (economy).
    _person("P0401", "H04", _nik(401), 1, 1, tgllahir=date(1980, 1, 1), umur=35, **_worker(4)),
    # H05: head in services; pregnant wife 25 (supplementary food, contraception).
    _person("P0501", "H05", _nik(501), 1, 1, tgllahir=date(1988, 1, 1), umur=27, **_worker(15)),
    _person(
        "P0502", "H05", _nik(502), 2, 2, tgllahir=date(1992, 1, 1), umur=23, sta_hamil=True, **_worker(15)
    ),
    # H06: head in services, child born 1 Sep 2011: 4 on 1 July 2016 (supplementary food), 5 on 1 July 2017
    # (none); counting reporting_year - birth year would wrongly make it 5 already in 2016.
    _person("P0601", "H06", _nik(601), 1, 1, tgllahir=date(1976, 1, 1), umur=39, **_worker(15)),
    _person(
        "P0602", "H06", _nik(602), 1, 3, tgllahir=date(2011, 9, 1), umur=3, sta_kawin=1, partisipasi_sekolah=0
    ),
    # H07: head livestock breeder (economy); member never in school, Umur 13 in 2015 and no valid birth
    # date: 14 in 2016 (education), 15 in 2017 (education and employment).
    _person("P0701", "H07", _nik(701), 1, 1, tgllahir=date(1975, 1, 1), umur=40, **_worker(6)),
    _person("P0702", "H07", _nik(702), 1, 3, umur=13, sta_kawin=1, partisipasi_sekolah=0),
    # H08: head in services.
    _person("P0801", "H08", _nik(801), 1, 1, tgllahir=date(1985, 1, 1), umur=30, **_worker(15)),
]

PROGRAMMES = {
    "EDU-KIP": "education",
    "EDU-BSM-PROV": "education",
    "HLT-PBI-DAERAH": "health",
    "HLT-PMT": "health",
    "HSG-RTLH": "housing",
    "WAT-SR": "water",
    "SAN-JAMBAN": "sanitation",
    "ECO-TERNAK": "economy",
}


def _delivery(
    year: int, programme: str, funding: str, desa: str, rp: int, nik: str | None, idbdt=None
) -> dict:
    return {
        "tahun": year,
        "kode_program": programme,
        "nama_program": programme,
        "sumber_dana_raw": funding.upper(),
        "sumber_dana": funding,
        "opd": f"Dinas {PROGRAMMES[programme].title()}",
        "kode_wilayah": DESA[desa][0],
        "nik": nik if nik_hash(nik) else None,
        "nik_raw": nik,
        "nik_hash": nik_hash(nik),
        "nik_valid": nik_hash(nik) is not None,
        "nama": "Penerima",
        "idbdt": idbdt,
        "tanggal": date(year, 6, 1),
        "nilai_rp": rp,
        "satuan": "paket",
        "report_year": year,
        "flag_deceased_beneficiary": False,
    }


DELIVERIES = [
    _delivery(2017, "HSG-RTLH", "APBD Provinsi", "A", 15_000_000, None, idbdt="H01"),  # D1 by idbdt
    _delivery(2017, "EDU-KIP", "APBN", "A", 450_000, _nik(103)),  # D2 by NIK
    _delivery(2017, "HLT-PBI-DAERAH", "APBD Kabupaten/Kota", "B", 300_000, _nik(301)),  # D3
    _delivery(2017, "ECO-TERNAK", "APBD Kabupaten/Kota", "B", 5_000_000, _nik(401)),  # D4 decile 3
    _delivery(2017, "SAN-JAMBAN", "Lainnya", "C", 2_000_000, None, idbdt="H06"),  # D5 not in need
    _delivery(2017, "EDU-BSM-PROV", "APBD Provinsi", "C", 1_000_000, _nik(999)),  # D6 outside the BDT
    _delivery(2017, "EDU-KIP", "APBN", "C", 450_000, "123"),  # D7 outside, invalid NIK
    _delivery(2017, "HLT-PMT", "APBN", "C", 250_000, _nik(502)),  # D8 pregnant woman
    _delivery(2016, "HLT-PMT", "APBN", "A", 250_000, _nik(104)),  # D9 the 2016 delivery
    _delivery(2017, "EDU-KIP", "APBN", "A", 450_000, _nik(103)),  # D10 second tranche, same child
    _delivery(2017, "WAT-SR", "APBD Provinsi", "A", 3_000_000, _nik(102), idbdt="H02"),  # D11 idbdt wins
    _delivery(2017, "EDU-KIP", "APBN", "C", 450_000, _nik(702), idbdt="NOPE"),  # D12 unknown idbdt -> NIK
]

IKD = [
    {
        "ikd_year": 2014,
        "kode_desa_bps": DESA["A"][1],
        "kemendagri_desa_code": DESA["A"][0],
        "ikd": 30.0,
        "status": "Tertinggal",
    },
    {
        "ikd_year": 2014,
        "kode_desa_bps": DESA["B"][1],
        "kemendagri_desa_code": DESA["B"][0],
        "ikd": 80.0,
        "status": "Maju",
    },
    {
        "ikd_year": 2014,
        "kode_desa_bps": DESA["C"][1],
        "kemendagri_desa_code": DESA["C"][0],
        "ikd": 60.0,
        "status": "Berkembang",
    },
]

POPULATION = [
    {
        "population_year": 2016,
        "kode_desa": DESA["A"][0],
        "nama_desa": "Hajimena",
        "jumlah_penduduk": 100,
        "jumlah_kk": 30,
    },
    {
        "population_year": 2016,
        "kode_desa": DESA["B"][0],
        "nama_desa": "Kaliasin",
        "jumlah_penduduk": 50,
        "jumlah_kk": 15,
    },
    {
        "population_year": 2016,
        "kode_desa": DESA["C"][0],
        "nama_desa": "Kedaton",
        "jumlah_penduduk": 200,
        "jumlah_kk": 60,
    },
]
