"""Landing on hand-made files: every kind of problem ends where it should, and nothing is lost."""

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from handmade import DELIVERY, HOUSEHOLD, PERSON, rows, write_csv, write_xlsx

from pipelines import cli
from pipelines.assets.raw import raw_assets
from pipelines.resources import build_resources


def land(select: str = "*", raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        raw_assets,
        selection=select,
        resources=build_resources(),
        raise_on_error=raise_on_error,
    )


def query(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def metadata(result: dg.ExecuteInProcessResult, table: str) -> dict:
    events = result.asset_materializations_for_node(f"raw__{table}")
    return {k: v.value for k, v in events[-1].metadata.items()}


def quarantine(data_dir: Path, table: str) -> dict[int, str]:
    found = query(
        data_dir, f"select source_row, reason_code from raw.quarantine where table_name = '{table}'"
    )
    return dict(found)


def test_household_rows_are_landed_repaired_or_quarantined_with_their_reason(data_dir: Path) -> None:
    records = rows(
        HOUSEHOLD,
        [
            {"idbdt": "H1"},
            {"idbdt": "H2", "kdkec": "10", "kddesa": "1"},  # leading zeros lost: restored
            {"idbdt": "H1"},  # duplicate key
            {"idbdt": "H3", "status_kesejahteraan": "5"},
            {"idbdt": "H4", "sta_kip": "1"},  # 1 is not in sta_kip's 3/4 pair
            {"idbdt": "H5", "luas_lantai": "tiga"},
            {"idbdt": "H6", "kddesa": "999"},
            {"idbdt": "", "jumlah_art": "3"},
            {"idbdt": "H7", "percentile": "41"},
            {"idbdt": "H8", "lantai": "11"},
        ],
    )
    write_csv(data_dir / "raw/bdt/BDT2015_RT_1806.csv", records, bom=True, newline="\r\n")

    result = land("raw/bdt_households")

    assert quarantine(data_dir, "bdt_households") == {
        3: "duplicate_key",
        4: "decile_out_of_range",
        5: "bad_code",
        6: "bad_value",
        7: "unknown_region",
        8: "missing_key",
        9: "out_of_range",
        10: "bad_code",
    }
    landed = query(
        data_dir,
        "select idbdt, bps_desa_code, kemendagri_desa_code, luas_lantai, ada_lemari_es, sta_kip, _source_row "
        "from raw.bdt_households order by idbdt",
    )
    assert landed == [
        ("H1", "1806010001", "1803012002", 36.5, False, True, 1),
        ("H2", "1806010001", "1803012002", 36.5, False, True, 2),
    ]
    meta = metadata(result, "bdt_households")
    assert (meta["rows_read"], meta["rows_landed"], meta["rows_quarantined"]) == (10, 2, 8)
    assert meta["quarantine_by_reason"]["bad_code"] == 2


def test_quarantine_keeps_file_row_raw_values_and_a_readable_message(data_dir: Path) -> None:
    write_csv(data_dir / "raw/bdt/BDT2015_RT_1806.csv", rows(HOUSEHOLD, [{"sta_kip": "1"}]))
    land("raw/bdt_households")
    [(file, checksum, row, message, raw)] = query(
        data_dir, "select source_file, source_checksum, source_row, message, raw_values from raw.quarantine"
    )
    assert (file, row) == ("bdt/BDT2015_RT_1806.csv", 1)
    assert len(checksum) == 64
    assert message == "sta_kip = '1' is neither 3 (yes) nor 4 (no) for this item"
    assert json.loads(raw)["sta_kip"] == "1"


def test_nik_repaired_where_certain_and_flagged_where_not(data_dir: Path) -> None:
    niks = {
        "P1": ("'1803014507800001", "1803014507800001", True),
        "P2": ("1803 0145 0780 0002", "1803014507800002", True),
        "P3": ("1.80301E+15", None, False),
        "P4": ("180301450780003", None, False),
        "P5": ("", None, False),
        "P6": ("1.803014507800006E+15", "1803014507800006", True),
        "P7": ("1803019907800007", None, False),  # month 07 ok, day 99 impossible
    }
    records = rows(PERSON, [{"idartbdt": k, "nik": raw} for k, (raw, _, _) in niks.items()])
    write_csv(data_dir / "raw/bdt/BDT2015_ART_1806.csv", records)
    land("raw/bdt_individuals")
    landed = query(data_dir, "select idartbdt, nik, nik_valid, nik_hash is not null from raw.bdt_individuals")
    assert {r[0]: r[1:] for r in landed} == {k: (nik, ok, ok) for k, (_, nik, ok) in niks.items()}
    assert query(data_dir, "select count(*) from raw.quarantine") == [(0,)]


def test_person_codes_dates_and_yes_no_items(data_dir: Path) -> None:
    records = rows(
        PERSON,
        [
            {"idartbdt": "P1", "tgllahir": "1980-07-05"},
            {"idartbdt": "P2", "tgllahir": "31/02/1980"},  # impossible date: landed, flagged
            {"idartbdt": "P3", "ada_pbi": "1"},  # ada_pbi is coded 3/4
            {"idartbdt": "P4", "jnskel": "3"},
            {"idartbdt": "P1"},
        ],
    )
    write_csv(data_dir / "raw/bdt/BDT2015_ART_1806.csv", records, sep=";", header_case=str.lower)
    land("raw/bdt_individuals")
    assert quarantine(data_dir, "bdt_individuals") == {3: "bad_code", 4: "bad_code", 5: "duplicate_key"}
    landed = query(
        data_dir,
        "select idartbdt, tgllahir::varchar, tgllahir_valid, ada_pbi, sta_hamil from raw.bdt_individuals",
    )
    assert sorted(landed) == [("P1", "1980-07-05", True, True, False), ("P2", None, False, True, False)]


def test_interventions_from_csv_and_xlsx_in_every_spelling(data_dir: Path) -> None:
    csv_rows = rows(
        DELIVERY,
        [
            {"tanggal": "15/08/2016", "nilai_rp": "15.000.000", "sumber_dana": "APBD Prov."},
            {
                "tanggal": "2016-09-01",
                "nilai_rp": "450000",
                "sumber_dana": "apbn",
                "kode_wilayah": "18.03.01.2002",
            },
            {"tanggal": "42736", "nilai_rp": "Rp 300.000,00", "sumber_dana": "APBD  Kab/Kota"},
            {"tanggal": "01/01/2031"},
            {"nilai_rp": "-5.000"},
            {"kode_program": "XYZ-1"},
            {"sumber_dana": "Dana Desa??"},
            {"kode_wilayah": "1803019999"},
            {"tanggal": "kemarin"},
        ],
    )
    write_csv(data_dir / "raw/interventions/2016/dinas_perkim.csv", csv_rows, sep=",")
    xlsx_rows = [
        {**DELIVERY, "tanggal": 42795, "nilai_rp": 1500000, "tahun": 2017, "extra": "x"},
        {**DELIVERY, "nik": "1.80301E+15", "tahun": 2017, "extra": "y"},
    ]
    write_xlsx(data_dir / "raw/interventions/2017/dinsos.xlsx", xlsx_rows)

    result = land("raw/interventions")

    assert query(
        data_dir,
        "select source_file, source_row, reason_code from raw.quarantine order by source_file, source_row",
    ) == [
        ("interventions/2016/dinas_perkim.csv", 4, "future_date"),
        ("interventions/2016/dinas_perkim.csv", 5, "negative_amount"),
        ("interventions/2016/dinas_perkim.csv", 6, "unknown_programme"),
        ("interventions/2016/dinas_perkim.csv", 7, "unknown_funding_source"),
        ("interventions/2016/dinas_perkim.csv", 8, "unknown_region"),
        ("interventions/2016/dinas_perkim.csv", 9, "bad_date"),
    ]
    landed = query(
        data_dir,
        "select _source_file, _source_row, tanggal::varchar, nilai_rp, sumber_dana, kode_wilayah, nik_valid, "
        "report_year from raw.interventions order by 1, 2",
    )
    assert landed == [
        ("interventions/2016/dinas_perkim.csv", 1, "2016-08-15", 15_000_000, "APBD Provinsi", "1803012002", True, 2016),
        ("interventions/2016/dinas_perkim.csv", 2, "2016-09-01", 450_000, "APBN", "1803012002", True, 2016),
        ("interventions/2016/dinas_perkim.csv", 3, "2017-01-01", 300_000, "APBD Kabupaten/Kota", "1803012002", True, 2016),
        ("interventions/2017/dinsos.xlsx", 1, "2017-03-01", 1_500_000, "APBD Provinsi", "1803012002", True, 2017),
        ("interventions/2017/dinsos.xlsx", 2, "2016-08-15", 15_000_000, "APBD Provinsi", "1803012002", False, 2017),
    ]  # fmt: skip
    meta = metadata(result, "interventions")
    assert (meta["rows_read"], meta["rows_landed"], meta["rows_quarantined"]) == (11, 5, 6)


def test_deliveries_to_deceased_members_are_landed_and_flagged(data_dir: Path) -> None:
    write_csv(data_dir / "raw/bdt/BDT2015_RT_1806.csv", [HOUSEHOLD])
    people = rows(PERSON, [{}, {"idartbdt": "P2", "nik": "1803010101500002", "sta_keberadaan_art": "2"}])
    write_csv(data_dir / "raw/bdt/BDT2015_ART_1806.csv", people)
    deliveries = rows(DELIVERY, [{}, {"nik": "1803010101500002"}])
    write_csv(data_dir / "raw/interventions/2016/dinsos.csv", deliveries, sep=",")
    land()
    flags = query(data_dir, "select _source_row, flag_deceased_beneficiary from raw.interventions order by 1")
    assert flags == [(1, False), (2, True)]


def test_windows_1252_and_header_variants_are_read(data_dir: Path) -> None:
    records = rows(HOUSEHOLD, [{"nama_krt": "Ma’ruf Amin", "alamat": "Jl. Raya Kotabumi"}])
    write_csv(data_dir / "raw/bdt/BDT2015_RT_1806.csv", records, encoding="cp1252", header_case=str.title)
    land("raw/bdt_households")
    assert query(data_dir, "select nama_krt from raw.bdt_households") == [("Ma’ruf Amin",)]


UNREADABLE = [
    ("empty", b"", "bdt/BDT2015_RT_1806.csv: the file is empty"),
    ("binary", b"PK\x03\x04\x00\x00binary", "bdt/BDT2015_RT_1806.csv: binary content (NUL bytes)"),
    ("no header", b"1;2;3\n4;5;6\n", "bdt/BDT2015_RT_1806.csv: no header row"),
    (
        "missing columns",
        b"IDBDT;KDPROP\nH1;18\n",
        "bdt/BDT2015_RT_1806.csv: missing required columns: kdkab, kdkec",
    ),
]


@pytest.mark.parametrize(("kind", "content", "expected"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_unreadable_file_fails_the_asset_naming_file_and_problem_and_keeps_the_table(
    data_dir: Path, kind: str, content: bytes, expected: str
) -> None:
    good = write_csv(data_dir / "raw/bdt/BDT2015_RT_1806.csv", [HOUSEHOLD])
    land("raw/bdt_households")
    before = query(data_dir, "select * from raw.bdt_households")

    good.write_bytes(content)
    result = land("raw/bdt_households", raise_on_error=False)

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith("raw.bdt_households was not landed: " + expected)
    if kind != "empty":
        assert "Expected columns: idbdt, kdprop, kdkab" in message or kind == "binary"
    assert query(data_dir, "select * from raw.bdt_households") == before


def test_corrupt_xlsx_names_the_file(data_dir: Path) -> None:
    (data_dir / "raw/interventions/2016").mkdir(parents=True)
    (data_dir / "raw/interventions/2016/laporan.xlsx").write_bytes(b"not a zip at all")
    result = land("raw/interventions", raise_on_error=False)
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "interventions/2016/laporan.xlsx: cannot be opened as an .xlsx workbook" in (
        failure.step_failure_data.user_failure_data.description
    )


def test_delivery_semantics_replace_one_kabupaten_add_a_year_skip_unchanged(data_dir: Path) -> None:
    bdt = data_dir / "raw/bdt"
    write_csv(bdt / "BDT2015_RT_1806.csv", rows(HOUSEHOLD, [{"idbdt": "A1"}, {"idbdt": "A2"}]))
    # Bandar Lampung: BPS 1871010005 (Bakung) exists in MFD 2018.
    kota = {"kdkab": "71", "kdkec": "010", "kddesa": "005"}
    write_csv(bdt / "BDT2015_RT_1871.csv", rows(HOUSEHOLD, [{"idbdt": "K1", **kota}]))
    land("raw/bdt_households")
    first = query(data_dir, "select * from raw.bdt_households order by idbdt")

    again = land("raw/bdt_households")  # nothing changed: nothing read, identical table
    assert metadata(again, "bdt_households")["files_landed_this_run"] == []
    assert metadata(again, "bdt_households")["files_unchanged"] == 2
    assert query(data_dir, "select * from raw.bdt_households order by idbdt") == first

    write_csv(bdt / "BDT2015_RT_1806.csv", rows(HOUSEHOLD, [{"idbdt": "A1"}, {"idbdt": "A3"}]))
    corrected = land("raw/bdt_households")
    assert metadata(corrected, "bdt_households")["files_landed_this_run"] == ["bdt/BDT2015_RT_1806.csv"]
    assert query(data_dir, "select idbdt from raw.bdt_households order by 1") == [("A1",), ("A3",), ("K1",)]
    kota_rows = [r for r in first if r[0] == "K1"]
    assert query(data_dir, "select * from raw.bdt_households where idbdt = 'K1'") == kota_rows

    # removing a kabupaten's rows is an explicit act, recorded (test_landing_losses.py: a vanished file fails)
    assert cli.main(["retire", "bdt/BDT2015_RT_1871.csv", "--by", "tester"]) == 0
    land("raw/bdt_households")
    assert query(data_dir, "select idbdt from raw.bdt_households order by 1") == [("A1",), ("A3",)]
    assert query(data_dir, "select count(*) from raw.file_ledger where table_name = 'bdt_households'") == [
        (1,)
    ]


def test_a_new_intervention_year_adds_to_the_earlier_one(data_dir: Path) -> None:
    write_csv(data_dir / "raw/interventions/2016/a.csv", [DELIVERY], sep=",")
    land("raw/interventions")
    write_csv(data_dir / "raw/interventions/2017/a.csv", [{**DELIVERY, "tahun": "2017"}], sep=",")
    land("raw/interventions")
    assert query(data_dir, "select report_year, count(*) from raw.interventions group by 1 order by 1") == [
        (2016, 1),
        (2017, 1),
    ]


def test_duplicates_across_files_keep_the_first_landed(data_dir: Path) -> None:
    write_csv(data_dir / "raw/bdt/BDT2015_RT_1806.csv", rows(HOUSEHOLD, [{"idbdt": "D1"}]))
    kota = {"kdkab": "71", "kdkec": "010", "kddesa": "005"}
    write_csv(data_dir / "raw/bdt/BDT2015_RT_1871.csv", rows(HOUSEHOLD, [{"idbdt": "D1", **kota}]))
    land("raw/bdt_households")
    assert query(data_dir, "select idbdt, _source_file from raw.bdt_households") == [
        ("D1", "bdt/BDT2015_RT_1806.csv")
    ]
    assert query(data_dir, "select source_file, reason_code from raw.quarantine") == [
        ("bdt/BDT2015_RT_1871.csv", "duplicate_key")
    ]


def test_empty_drop_zone_gives_empty_tables_and_unexpected_files_are_reported(data_dir: Path) -> None:
    (data_dir / "raw/bdt").mkdir(parents=True)
    (data_dir / "raw/bdt/catatan.txt").write_text("notes from the data team")
    result = land()
    for table in ("bdt_households", "bdt_individuals", "ikd", "interventions", "population"):
        assert query(data_dir, f"select count(*) from raw.{table}") == [(0,)]
    assert metadata(result, "bdt_households")["files_ignored"] == ["bdt/catatan.txt"]
    assert query(data_dir, "select count(*) from raw.wilayah_villages") == [(2640,)]


def test_generated_extracts_every_injected_problem_ends_where_the_manifest_says(
    data_dir: Path, tiny_extracts: Path
) -> None:
    shutil.copytree(tiny_extracts, data_dir / "raw", dirs_exist_ok=True)
    land()
    dirt = query(data_dir, f"select * from read_csv('{tiny_extracts}/_demo/dirt.csv', all_varchar=true)")
    assert dirt, "the generator injected no dirt"
    quarantined = {
        (f, int(r)): reason for f, r, reason in query(data_dir, "select source_file, source_row, reason_code from raw.quarantine")
    }  # fmt: skip
    tables = {"BDT2015_RT": "bdt_households", "BDT2015_ART": "bdt_individuals", "IKD": "ikd"}
    for kind, file, row, _column, expected in dirt:
        if not row:
            continue  # file-level kinds (encoding) are covered by the file landing at all
        key = (file, int(row))
        outcome, _, detail = expected.partition(":")
        if outcome == "quarantine":
            assert quarantined.get(key) == detail, f"{kind} at {key}: expected {expected}"
            continue
        assert key not in quarantined, f"{kind} at {key}: expected {expected}, got {quarantined.get(key)}"
        table = next((t for p, t in tables.items() if Path(file).name.startswith(p)), None)
        table = table or ("interventions" if file.startswith("interventions/") else "population")
        if outcome == "flag":
            [(value,)] = query(
                data_dir,
                f"select {detail} from raw.{table} where _source_file = '{file}' and _source_row = {row}",
            )
            expected_value = detail == "flag_deceased_beneficiary"
            assert value is expected_value, f"{kind} at {key}: {detail} = {value}"
    accounted = query(
        data_dir,
        "select table_name, source_file, rows_read, rows_landed, rows_quarantined from raw.file_ledger",
    )
    manifest = json.loads((tiny_extracts / "_demo/manifest.json").read_text())
    assert {f for _, f, *_ in accounted} == set(manifest["files"])
    for table, file, read, landed, quarantined_rows in accounted:
        assert read == manifest["files"][file], file
        assert read == landed + quarantined_rows
        [(in_table,)] = query(data_dir, f"select count(*) from raw.{table} where _source_file = '{file}'")
        [(in_quarantine,)] = query(
            data_dir, f"select count(*) from raw.quarantine where source_file = '{file}'"
        )
        assert (in_table, in_quarantine) == (landed, quarantined_rows), file
