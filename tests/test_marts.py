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


# --- Running dbt ---------------------------------------------------------------------------------------


def dbt_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.pop("TKPK_WAREHOUSE_PATH", None)
    env.update(
        TKPK_DATA_DIR=str(data_dir),
        DBT_PROFILES_DIR=str(DBT_DIR),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


def run_dbt(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    """Run the real dbt CLI on the project against `data_dir`'s warehouse; artifacts stay in `data_dir`."""
    target = data_dir / "dbt_target"
    cmd = [DBT, *args, "--target-path", str(target), "--log-path", str(target / "logs")]
    result = subprocess.run(
        cmd, cwd=DBT_DIR, env=dbt_env(data_dir), capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    )
    return result


def _dbt_inputs() -> list[Path]:
    files = [DBT_DIR / "dbt_project.yml", DBT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += [p for p in (DBT_DIR / folder).rglob("*") if p.is_file()]
    return files


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """target/manifest.json, (re)made with `dbt parse` when missing or older than a dbt source file."""
    manifest = DBT_DIR / "target" / "manifest.json"
    newest = max(p.stat().st_mtime for p in _dbt_inputs())
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        env = {**os.environ, "DBT_PROFILES_DIR": str(DBT_DIR)}
        subprocess.run([DBT, "parse", "--quiet"], cwd=DBT_DIR, env=env, check=True, timeout=600)
        manifest.touch()
    return manifest


@pytest.fixture(scope="module")
def known_marts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The known-truth raw warehouse, built into marts by a real `dbt build`; returns the warehouse path."""
    data_dir = tmp_path_factory.mktemp("known_truth") / "data"
    db = data_dir / "warehouse.duckdb"
    create_raw_warehouse(db, HOUSEHOLDS, INDIVIDUALS, DELIVERIES, IKD, POPULATION)
    run_dbt(["build"], data_dir)
    return db


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def by_key(db: Path, sql: str, params: list | None = None) -> dict:
    """{first column(s): rest} from a query whose last column is the value and the others the key."""
    out = {}
    for row in query(db, sql, params):
        key = row[0] if len(row) == 2 else row[:-1]
        out[key] = row[-1]
    return out


# --- Needs, service and gaps ---------------------------------------------------------------------------

# Households in need per sector, worked out by hand from the comments on HOUSEHOLDS and INDIVIDUALS.
NEED_2017 = {
    "education": {"H01", "H07"},  # P0103 in school without KIP; P0702 never in school (P0203 has KIP)
    "health": {"H01", "H03", "H05"},  # no PBI (P0103, P0301, P0302), under 5 (P0104), pregnant/married women
    "housing": {"H01", "H03", "H05", "H07"},  # earth floor, 7 m2/person, bamboo wall, thatch roof
    "water": {"H02", "H07"},
    "sanitation": {"H02", "H08"},
    "social": {"H02"},
    "economy": {"H01", "H02", "H04", "H07"},  # farmer, woman head, fisher, livestock
    "employment": {"H02", "H07"},  # P0202 (20), P0702 (15 in 2017); P0302 is over 64
}
# 2016: H06's child is still under 5 on 1 July 2016; P0702 is 14 (no employment need yet).
NEED_2016 = {**NEED_2017, "health": {"H01", "H03", "H05", "H06"}, "employment": {"H02"}}
SERVED_2017 = {  # households in need reached by any programme of the sector in 2017
    "education": {"H01", "H07"},  # D2/D10 (NIK), D12 (unknown idbdt, NIK)
    "health": {"H03", "H05"},  # D3, D8
    "housing": {"H01"},  # D1
    "water": {"H02"},  # D11 (idbdt wins over the NIK of H01's wife)
    "sanitation": set(),  # D5 reached H06, which has no sanitation need
    "social": set(),
    "economy": {"H04"},
    "employment": set(),
}
SERVED_2016 = {s: set() for s in NEED_2016} | {"health": {"H01"}}  # D9
DECILE = {h["idbdt"]: h["status_kesejahteraan"] for h in HOUSEHOLDS}
KAB = {
    "H01": "1801",
    "H02": "1801",
    "H03": "1801",
    "H04": "1801",
    "H05": "1871",
    "H06": "1871",
    "H07": "1871",
    "H08": "1871",
}


def expected_gaps(year: int, kab: str | None = None) -> dict:
    need, served = (NEED_2016, SERVED_2016) if year == 2016 else (NEED_2017, SERVED_2017)
    out = {}
    for sector, households in need.items():
        hh = {h for h in households if kab is None or KAB[h] == kab}
        srv = served[sector] & hh
        d1 = {h for h in hh if DECILE[h] == 1}
        out[sector] = (len(hh), len(srv), len(hh) - len(srv), len(d1), len(d1 - srv))
    return out


GAP_COLUMNS = (
    "households_in_need, households_in_need_served, gap_households, "
    "decile_1_households_in_need, decile_1_gap_households"
)


@pytest.mark.parametrize("year", [2016, 2017])
def test_need_served_and_gaps_per_sector_province(known_marts: Path, year: int) -> None:
    rows = query(
        known_marts,
        f"select sector, {GAP_COLUMNS} from marts.sector_gaps "
        "where region_level = 'province' and reporting_year = ?",
        [year],
    )
    assert {r[0]: tuple(r[1:]) for r in rows} == expected_gaps(year)


@pytest.mark.parametrize("kab", ["1801", "1871"])
def test_gaps_per_kabupaten(known_marts: Path, kab: str) -> None:
    rows = query(
        known_marts,
        f"select sector, {GAP_COLUMNS} from marts.sector_gaps "
        "where region_level = 'kabupaten' and kemendagri_code = ? and reporting_year = 2017",
        [kab],
    )
    assert {r[0]: tuple(r[1:]) for r in rows} == expected_gaps(2017, kab)


def test_gap_sums_roll_up_level_by_level(known_marts: Path) -> None:
    """Kab/kota rows add up to the province, kecamatan rows to their kab/kota, for every sector and year."""
    measures = [
        "households_in_need",
        "households_in_need_served",
        "gap_households",
        "decile_1_households_in_need",
        "decile_1_gap_households",
        "households_reached",
        "deliveries",
        "spend_apbd_provinsi_rp",
        "spend_apbd_kabupaten_kota_rp",
        "spend_apbn_rp",
        "spend_lainnya_rp",
        "spend_total_rp",
    ]
    sums = ", ".join(f"sum({m}) as {m}" for m in measures)
    equal = ", ".join(f"c.{m} = p.{m}" for m in measures)
    for child, parent in (("kabupaten", "province"), ("kecamatan", "kabupaten")):
        rows = query(
            known_marts,
            f"""
            with children as (
                select reporting_year, sector, parent_kemendagri_code, {sums}
                from marts.sector_gaps where region_level = '{child}' group by all
            )
            select p.reporting_year, p.sector, p.kemendagri_code, {equal}
            from marts.sector_gaps as p
            join children as c
                on c.reporting_year = p.reporting_year and c.sector = p.sector
                and c.parent_kemendagri_code = p.kemendagri_code
            where p.region_level = '{parent}'
            """,
        )
        assert rows, child
        assert [r[:3] for r in rows if not all(r[3:])] == [], child
    # H08's desa is unknown to the crosswalk: counted in kecamatan 187101 but in no desa.
    kec, desa = query(
        known_marts,
        "select sum(households_in_need) filter (where region_level = 'kecamatan'), "
        "sum(households_in_need) filter (where region_level = 'desa') "
        "from marts.sector_gaps where reporting_year = 2017 and sector = 'sanitation' "
        "and (kemendagri_code = '187101' or parent_kemendagri_code = '187101')",
    )[0]
    assert (kec, desa) == (1, 0)


def test_priority_rank_puts_largest_decile_1_gaps_first(known_marts: Path) -> None:
    rows = query(
        known_marts,
        "select sector, decile_1_gap_households, priority_rank from marts.sector_gaps "
        "where region_level = 'province' and reporting_year = 2017 order by priority_rank",
    )
    gaps = [r[1] for r in rows]
    assert gaps == sorted(gaps, reverse=True)
    assert rows[0][2] == 1


# --- Coverage, leakage, exclusion -----------------------------------------------------------------------


def coverage(db: Path, year: int, decile: str = "all", region: str = "18") -> dict:
    rows = query(
        db,
        "select coalesce(programme_code, 'sector:' || sector), units_eligible, units_reached, "
        "units_eligible_reached, coverage_rate, decile_1_excluded, beneficiaries, beneficiaries_outside_bdt "
        "from marts.decile_coverage where reporting_year = ? and decile = ? and kemendagri_code = ?",
        [year, decile, region],
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def test_programme_coverage_2017(known_marts: Path) -> None:
    cov = coverage(known_marts, 2017)
    # (eligible, reached, eligible reached, coverage, decile-I excluded, beneficiaries, outside the BDT)
    assert cov["EDU-KIP"] == (2, 2, 2, 1.0, 0, 3, 1)  # P0103 twice, P0702; D7 outside with an invalid NIK
    assert cov["EDU-BSM-PROV"] == (2, 0, 0, 0.0, 1, 1, 1)  # only D6, outside; P0103 (decile I) excluded
    assert cov["HLT-PBI-DAERAH"] == (3, 1, 1, pytest.approx(1 / 3), 2, 1, 0)  # P0103 and P0301/P0302
    assert cov["HLT-PMT"] == (2, 1, 1, 0.5, 1, 1, 0)  # P0104 (4) excluded, P0502 reached; P0602 now 5
    assert cov["HLT-KB"][:5] == (2, 0, 0, 0.0, 1)  # P0102 (decile I), P0502
    assert cov["HSG-RTLH"][:5] == (4, 1, 1, 0.25, 1)  # H03 (decile I) excluded
    assert cov["SAN-JAMBAN"] == (2, 1, 0, 0.0, 1, 1, 0)  # reached H06 without the need
    assert cov["WAT-SR"][:5] == (2, 1, 1, 0.5, 0)
    assert cov["ECO-TERNAK"][:5] == (4, 1, 1, 0.25, 1)
    assert cov["EMP-PELATIHAN"][:5] == (2, 0, 0, 0.0, 0)
    assert cov["SOC-ASPDB"][:5] == (1, 0, 0, 0.0, 0)
    # sectors count households: education reached H01 and H07; beneficiaries H01, H07, NIK 999, D7's row
    assert cov["sector:education"] == (2, 2, 2, 1.0, 0, 4, 2)
    assert cov["sector:health"][:5] == (3, 2, 2, pytest.approx(2 / 3), 1)
    assert cov["sector:sanitation"][:5] == (2, 1, 0, 0.0, 1)


def test_coverage_by_decile_and_year(known_marts: Path) -> None:
    d1 = coverage(known_marts, 2017, decile="1")
    assert d1["HLT-PBI-DAERAH"][:5] == (3, 1, 1, pytest.approx(1 / 3), 2)  # H01's child, H03's couple
    assert d1["EDU-KIP"][:5] == (1, 1, 1, 1.0, 0)
    d4 = coverage(known_marts, 2017, decile="4")
    assert d4["HLT-PMT"][:5] == (1, 1, 1, 1.0, 0)  # H05's pregnant wife
    assert d4["HLT-PMT"][5:] == (None, None)  # targeting counts are on the 'all' rows only
    cov16 = coverage(known_marts, 2016)
    assert cov16["HLT-PMT"][:5] == (3, 1, 1, pytest.approx(1 / 3), 1)  # P0104, P0602 (4 in 2016), P0502
    # the decile rows add up to the 'all' row
    sums = query(
        known_marts,
        "select sum(units_eligible) filter (where decile <> 'all') = sum(units_eligible) filter (where decile = 'all'), "
        "sum(units_eligible_reached) filter (where decile <> 'all') "
        "= sum(units_eligible_reached) filter (where decile = 'all') from marts.decile_coverage",
    )[0]
    assert sums == (True, True)


def test_leakage_counts_per_kabupaten(known_marts: Path) -> None:
    out = by_key(
        known_marts,
        "select kemendagri_code, programme_code, beneficiaries_outside_bdt from marts.decile_coverage "
        "where reporting_year = 2017 and decile = 'all' and scope = 'programme' "
        "and region_level in ('province', 'kabupaten') and beneficiaries_outside_bdt > 0",
    )
    assert out == {
        ("18", "EDU-KIP"): 1,
        ("18", "EDU-BSM-PROV"): 1,
        ("1871", "EDU-KIP"): 1,
        ("1871", "EDU-BSM-PROV"): 1,
    }


# --- Money, households counted once ---------------------------------------------------------------------


def test_funding_totals_equal_landed_rupiah(known_marts: Path) -> None:
    landed = by_key(
        known_marts, "select coalesce(tahun, report_year), sum(nilai_rp) from raw.interventions group by 1"
    )
    assert landed == {2016: 250_000, 2017: 28_350_000}
    by_source = by_key(
        known_marts,
        "select reporting_year, funding_source, sum(amount_rp) from marts.intervention_summary "
        "where region_level = 'province' group by all",
    )
    landed_by_source = by_key(
        known_marts,
        "select coalesce(tahun, report_year), sumber_dana, sum(nilai_rp) from raw.interventions group by all",
    )
    assert by_source == landed_by_source
    assert by_source[(2017, "APBD Provinsi")] == 19_000_000
    gaps = query(
        known_marts,
        "select reporting_year, sum(spend_apbd_provinsi_rp), sum(spend_apbd_kabupaten_kota_rp), "
        "sum(spend_apbn_rp), sum(spend_lainnya_rp), sum(spend_total_rp) from marts.sector_gaps "
        "where region_level = 'province' group by all order by 1",
    )
    assert gaps == [
        (2016, 0, 0, 250_000, 0, 250_000),
        (2017, 19_000_000, 5_300_000, 2_050_000, 2_000_000, 28_350_000),
    ]
    kab_total = by_key(
        known_marts,
        "select reporting_year, sum(amount_rp) from marts.intervention_summary where region_level = 'kabupaten' group by 1",
    )
    assert kab_total == landed


def test_intervention_summary_counts(known_marts: Path) -> None:
    row = query(
        known_marts,
        "select deliveries, beneficiaries, beneficiaries_in_bdt, beneficiaries_outside_bdt, beneficiaries_decile_1, "
        "amount_rp from marts.intervention_summary where reporting_year = 2017 and region_level = 'province' "
        "and programme_code = 'EDU-KIP'",
    )
    assert row == [(4, 3, 2, 1, 1, 1_800_000)]


def test_every_bdt_household_counted_once(known_marts: Path) -> None:
    rows = query(
        known_marts,
        "select reporting_year, region_level, kemendagri_code, bdt_households, bdt_households_decile_1, "
        "bdt_households_decile_2, bdt_households_decile_3, bdt_households_decile_4, bdt_people, bdt_people_decile_1 "
        "from marts.poverty_by_region where bdt_households > 0 and region_level in ('province', 'kabupaten') "
        "order by 1, 2 desc, 3",
    )
    # people living in the households: H03's deceased child is left out
    assert rows == [
        (2016, "province", "18", 8, 4, 2, 1, 1, 17, 9),
        (2016, "kabupaten", "1801", 4, 2, 1, 1, 0, 10, 6),
        (2016, "kabupaten", "1871", 4, 2, 1, 0, 1, 7, 3),
        (2017, "province", "18", 8, 4, 2, 1, 1, 17, 9),
        (2017, "kabupaten", "1801", 4, 2, 1, 1, 0, 10, 6),
        (2017, "kabupaten", "1871", 4, 2, 1, 0, 1, 7, 3),
    ]
    desa = by_key(
        known_marts,
        "select kemendagri_code, bdt_households from marts.poverty_by_region "
        "where reporting_year = 2017 and region_level = 'desa' and bdt_households > 0",
    )
    assert desa == {DESA["A"][0]: 2, DESA["B"][0]: 2, DESA["C"][0]: 3}  # H08 only from its kecamatan up
    assert query(
        known_marts, "select count(*), count(distinct idbdt) from intermediate.int_bdt__households"
    ) == [(8, 8)]


def test_poverty_shares_ranks_and_bps(known_marts: Path) -> None:
    rows = by_key(
        known_marts,
        "select kemendagri_code, (population, share_population_decile_1, share_population_decile_1_4, "
        "rank_decile_1_share, bps_p0_pct_march, bps_p0_pct_september) from marts.poverty_by_region "
        "where reporting_year = 2017 and kemendagri_code in ('18', '1801', '1871')",
    )
    assert rows["18"] == (350, pytest.approx(9 / 350), pytest.approx(17 / 350), 1, 13.69, 13.04)
    assert rows["1801"] == (150, pytest.approx(6 / 150), pytest.approx(10 / 150), 1, None, None)
    assert rows["1871"] == (200, pytest.approx(3 / 200), pytest.approx(7 / 200), 2, None, None)
    n = by_key(
        known_marts,
        "select region_level, count(*) from marts.poverty_by_region where reporting_year = 2017 group by 1",
    )
    assert n == {"province": 1, "kabupaten": 15, "kecamatan": 228, "desa": 2640}
    codes = query(
        known_marts,
        "select bps_code, region_name from marts.poverty_by_region where kemendagri_code = '1801' limit 1",
    )
    assert codes == [("1803", "Lampung Selatan")]  # both code systems on every row


# --- Village priority and the restricted list -----------------------------------------------------------


def test_village_priority(known_marts: Path) -> None:
    rows = query(
        known_marts,
        "select kemendagri_code, ikd_status, priority_rank, gerbang_desa_saburai_target, "
        "gerbang_desa_saburai_target_count, unmet_housing_households, unmet_economy_households, "
        "decile_1_households_with_unmet_need, deliveries_received, amount_rp_received "
        "from marts.village_priority where reporting_year = 2017 and priority_rank <= 3 order by priority_rank",
    )
    # Tertinggal first, then Berkembang, then Maju; 380 x 3 scored / 2632 rounds to 0 targets
    assert rows == [
        (DESA["A"][0], "Tertinggal", 1, False, 0, 0, 2, 1, 4, 18_900_000),
        (DESA["C"][0], "Berkembang", 2, False, 0, 2, 1, 0, 5, 4_150_000),
        (DESA["B"][0], "Maju", 3, False, 0, 1, 0, 1, 2, 5_300_000),
    ]
    n = query(
        known_marts,
        "select count(*), count(distinct kemendagri_code) from marts.village_priority group by reporting_year",
    )
    assert n == [(2640, 2640), (2640, 2640)]


def test_target_households_lists_decile_1_and_2_unmet_needs(known_marts: Path) -> None:
    rows = query(
        known_marts,
        "select idbdt, sector, nama_krt, alamat, kabupaten_kemendagri_code from restricted.target_households "
        "where reporting_year = 2017",
    )
    expected = {
        (h, s)
        for s, households in NEED_2017.items()
        for h in households - SERVED_2017[s]
        if DECILE[h] in (1, 2)
    }
    assert {(r[0], r[1]) for r in rows} == expected
    assert all(r[2] == f"Kepala {r[0]}" and r[3] == f"Jalan {r[0]}" and r[4] == KAB[r[0]] for r in rows)


# --- Personal data, documentation -----------------------------------------------------------------------


def test_no_personal_data_outside_raw_and_restricted(known_marts: Path) -> None:
    pii = PII_COLUMNS | {"nik_raw", "nokk_raw"}
    cols = query(
        known_marts,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema not in ('raw', 'restricted')",
    )
    assert cols
    assert [c for c in cols if c[2].lower() in pii] == []
    # the marts carry no identifiers of households or people either
    ids = {"idbdt", "idartbdt", "nik_hash", "nokk_hash"}
    assert [c for c in cols if c[0] == "marts" and c[2].lower() in ids] == []
    assert (
        query(known_marts, "select count(*) from restricted.target_households where nama_krt is not null")[0][
            0
        ]
        > 0
    )


def test_every_model_and_column_is_documented(known_marts: Path) -> None:
    manifest = json.loads((known_marts.parent / "dbt_target" / "manifest.json").read_text())
    built = {}
    for schema, table, column in query(
        known_marts,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema not in ('raw')",
    ):
        built.setdefault((schema, table), set()).add(column)
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert len(nodes) >= 27
    for node in nodes:
        assert node["description"].strip(), f"{node['name']} has no description"
        documented = {c for c, v in node["columns"].items() if v.get("description", "").strip()}
        actual = built[(node["schema"], node["alias"])]
        assert actual == documented, (
            f"{node['name']}: undocumented {actual - documented}, stale {documented - actual}"
        )


def test_dbt_docs_generate(known_marts: Path) -> None:
    run_dbt(["docs", "generate"], known_marts.parent)
    catalog = json.loads((known_marts.parent / "dbt_target" / "catalog.json").read_text())
    assert "model.tkpk.sector_gaps" in catalog["nodes"]


# --- Dagster -------------------------------------------------------------------------------------------


def test_translator_keys_groups_and_lineage(dbt_manifest: Path) -> None:
    import dagster as dg

    from pipelines.assets.dbt import dbt_assets_list
    from pipelines.assets.raw import raw_assets

    (models,) = dbt_assets_list
    keys = {k.to_user_string(): models.group_names_by_key[k] for k in models.keys}
    for name in (
        "poverty_by_region",
        "decile_coverage",
        "sector_gaps",
        "village_priority",
        "intervention_summary",
    ):
        assert keys[f"marts/{name}"] == "marts"
    assert keys["restricted/target_households"] == "restricted"
    assert keys["staging/stg_bdt__households"] == "staging"
    assert keys["intermediate/int_needs__households"] == "intermediate"
    assert keys["reference/need_rules"] == "reference"
    assert set(keys.values()) == {"staging", "intermediate", "reference", "marts", "restricted"}
    # the sources are the landing's assets: one graph from raw files to marts
    upstream = {d for k in models.keys for d in models.asset_deps[k]} - set(models.keys)
    landed = {k for a in raw_assets for k in a.keys}
    assert upstream, "no dbt source mapped to a Dagster asset"
    assert upstream <= landed, upstream - landed
    assert dg.AssetKey(["raw", "interventions"]) in upstream
    # dbt tests are asset checks, and descriptions come from dbt
    assert len(list(models.check_specs)) > 100
    assert "Village priority" in models.specs_by_key[dg.AssetKey(["marts", "village_priority"])].description


def test_dagster_materialises_the_dbt_assets(data_dir: Path, dbt_manifest: Path) -> None:
    import dagster as dg

    from pipelines.assets.dbt import RUN_TARGET_DIR, dbt_assets_list, dbt_resources
    from pipelines.resources import build_resources

    create_raw_warehouse(data_dir / "warehouse.duckdb", HOUSEHOLDS, INDIVIDUALS, DELIVERIES, IKD, POPULATION)
    target = DBT_DIR / "target"
    before = {p.name for p in target.iterdir()}
    result = dg.materialize(
        dbt_assets_list, resources={**build_resources(), **dbt_resources}, raise_on_error=False
    )
    assert result.success
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"marts/sector_gaps", "marts/village_priority", "restricted/target_households"} <= materialised
    checks = result.get_asset_check_evaluations()
    assert len(checks) > 100 and [c.check_name for c in checks if not c.passed] == []
    # the run's artifacts go to one fixed folder: no target/<op>-<run id>-<uuid> folders pile up
    assert {p.name for p in target.iterdir()} - before <= {RUN_TARGET_DIR}
    gap = query(
        data_dir / "warehouse.duckdb",
        "select gap_households from marts.sector_gaps where region_level = 'province' "
        "and reporting_year = 2017 and sector = 'housing'",
    )
    assert gap == [(3,)]
    # what the UI shows on each dbt asset: the row count of every table and seed, the column types of all
    meta = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    for key in ("marts/sector_gaps", "intermediate/int_regions", "reference/need_rules"):
        schema, table = ("marts", "sector_gaps") if key.startswith("marts/") else key.split("/")
        [(rows,)] = query(data_dir / "warehouse.duckdb", f"select count(*) from {schema}.{table}")
        assert meta[key]["dagster/row_count"].value == rows > 0, key
    for key in ("marts/sector_gaps", "staging/stg_bdt__households"):
        columns = {c.name: c.type for c in meta[key]["dagster/column_schema"].value.columns}
        schema, table = key.split("/")
        described = query(data_dir / "warehouse.duckdb", f"describe {schema}.{table}")
        assert columns == {name: dtype for name, dtype, *_ in described}, key


# --- Landing + dbt on the demo extracts, against the generator's truth ----------------------------------


@pytest.fixture
def demo_marts(tiny_clean_extracts: Path, data_dir: Path, dbt_manifest: Path) -> tuple[Path, Path]:
    """Tiny clean demo extracts landed and built by Dagster (landing assets + dbt assets) in one run."""
    import shutil

    import dagster as dg

    from pipelines.assets.dbt import dbt_assets_list, dbt_resources
    from pipelines.assets.raw import raw_assets
    from pipelines.resources import build_resources

    shutil.copytree(tiny_clean_extracts, data_dir / "raw", dirs_exist_ok=True)
    result = dg.materialize(
        [*raw_assets, *dbt_assets_list],
        resources={**build_resources(), **dbt_resources},
        raise_on_error=False,
    )
    assert result.success
    assert [c.check_name for c in result.get_asset_check_evaluations() if not c.passed] == []
    return data_dir / "warehouse.duckdb", tiny_clean_extracts / "_demo" / "truth"


def test_demo_marts_match_the_generators_truth(demo_marts: tuple[Path, Path]) -> None:
    db, truth = demo_marts
    hh, deliveries = truth / "households.parquet", truth / "deliveries.parquet"
    # every BDT household counted once, by decile, and the people living in them
    expected = query(
        db,
        f"select count(*), count(*) filter (where decile = 1), count(*) filter (where decile = 2), "
        f"count(*) filter (where decile = 3), count(*) filter (where decile = 4), sum(members_present) from '{hh}'",
    )[0]
    for year in (2016, 2017):
        got = query(
            db,
            "select bdt_households, bdt_households_decile_1, bdt_households_decile_2, bdt_households_decile_3, "
            "bdt_households_decile_4, bdt_people from marts.poverty_by_region "
            "where region_level = 'province' and reporting_year = ?",
            [year],
        )[0]
        assert got == expected
    by_kab = by_key(db, f"select left(kemendagri_desa_code, 4), count(*) from '{hh}' group by 1")
    got_kab = by_key(
        db,
        "select kemendagri_code, bdt_households from marts.poverty_by_region "
        "where region_level = 'kabupaten' and reporting_year = 2017 and bdt_households > 0",
    )
    assert got_kab == by_kab
    # every delivery matched to the right household and person, or found outside the BDT
    matched = f"""
        select t.*, m.is_in_bdt, h.idbdt, m.matched_idartbdt, m.reporting_year, m.need_code, m.target_level as level,
            m.matched_household_sk
        from '{deliveries}' as t
        join intermediate.int_interventions__deliveries_matched as m on m._source_file = t.file and m._source_row = t.row
        left join intermediate.int_bdt__households as h on h.household_sk = m.matched_household_sk
    """
    n, outside_ok, household_ok, person_ok = query(
        db,
        f"select count(*), count(*) filter (where outside_bdt = not is_in_bdt), "
        f"count(*) filter (where true_idbdt is not distinct from idbdt), "
        f"count(*) filter (where target_level = 'household' or true_idartbdt is not distinct from matched_idartbdt) "
        f"from ({matched})",
    )[0]
    assert n == query(db, f"select count(*) from '{deliveries}'")[0][0] > 0
    assert n == outside_ok == household_ok == person_ok
    # the need rules (seed) agree with the generator's own implementation for every BDT beneficiary
    disagreements = query(
        db,
        f"""
        select file, row, need_code from ({matched}) as d
        where not outside_bdt and meets_need <> case
            when level = 'person' then exists (
                select 1 from intermediate.int_needs__persons p
                where p.reporting_year = d.reporting_year and p.idartbdt = d.matched_idartbdt
                and p.need_code = d.need_code)
            else exists (
                select 1 from intermediate.int_needs__households n
                where n.reporting_year = d.reporting_year and n.household_sk = d.matched_household_sk
                and n.need_code = d.need_code)
            end
        """,
    )
    assert disagreements == []
    # coverage numerators: eligible units reached = distinct truth units whose delivery met the need
    truth_reached = by_key(
        db,
        f"select report_year, kode_program, count(distinct case when target_level = 'person' then true_idartbdt "
        f"else true_idbdt end) from '{deliveries}' where meets_need and not outside_bdt group by all",
    )
    got_reached = by_key(
        db,
        "select reporting_year, programme_code, units_eligible_reached from marts.decile_coverage "
        "where region_level = 'province' and decile = 'all' and scope = 'programme' and units_eligible_reached > 0",
    )
    assert got_reached == truth_reached
    # money: every landed rupiah in the summary and in the sector spending, kab/kota rows add up
    landed = query(db, "select sum(nilai_rp) from raw.interventions")[0][0]
    assert (
        query(db, "select sum(amount_rp) from marts.intervention_summary where region_level = 'province'")[0][
            0
        ]
        == landed
    )
    assert (
        query(db, "select sum(spend_total_rp) from marts.sector_gaps where region_level = 'province'")[0][0]
        == landed
    )
    gaps = query(
        db,
        "select p.reporting_year, p.sector, p.gap_households, p.decile_1_gap_households, "
        "sum(k.gap_households), sum(k.decile_1_gap_households) from marts.sector_gaps p "
        "join marts.sector_gaps k on k.reporting_year = p.reporting_year and k.sector = p.sector "
        "and k.region_level = 'kabupaten' where p.region_level = 'province' group by all",
    )
    assert gaps and all(r[2] == r[4] and r[3] == r[5] for r in gaps)
