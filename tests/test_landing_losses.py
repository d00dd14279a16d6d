"""Deliveries that must not silently remove, truncate or block data (issue 12, landing side).

Each case ends one of two ways: the data lands correctly, or the landing fails naming the file and the
problem while nothing already landed changes. Hand-made files, real Dagster assets, real DuckDB.
"""

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import xlsxwriter
from handmade import DELIVERY, HOUSEHOLD, PERSON, rows, write_csv, write_xlsx
from test_landing import land, metadata, quarantine, query

from pipelines import cli, settings

LAMPUNG_BARAT = {"kdkab": "01", "kdkec": "040", "kddesa": "001"}  # BPS 1801040001 (Kubu Perahu)
METRO = {"kdkab": "72", "kdkec": "011", "kddesa": "001"}  # BPS 1872011001 (Sumbersari)


def failure_message(result) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.user_failure_data.description


# --- vanished files, retirement, a missing drop zone ----------------------------------------------------


def test_a_vanished_file_fails_naming_it_until_it_is_retired(data_dir: Path) -> None:
    folder = data_dir / "raw/interventions/2016"
    write_csv(folder / "dinsos.csv", rows(DELIVERY, [{}, {}]), sep=",")
    write_csv(folder / "perkim.csv", [DELIVERY], sep=",")
    land("raw/interventions")
    before = query(data_dir, "select * from raw.interventions order by all")

    (folder / "dinsos.csv").unlink()
    result = land("raw/interventions", raise_on_error=False)
    assert not result.success
    message = failure_message(result)
    assert (
        "interventions/2016/dinsos.csv (2 rows landed)" in message and "no longer in the drop zone" in message
    )
    assert "retire" in message
    assert query(data_dir, "select * from raw.interventions order by all") == before

    assert (
        cli.main(["retire", "interventions/2016/dinsos.csv", "--by", "Rina (data team)", "--reason", "dup"])
        == 0
    )
    land("raw/interventions")
    assert query(data_dir, "select _source_file, count(*) from raw.interventions group by 1") == [
        ("interventions/2016/perkim.csv", 1)
    ]
    [(who, why, rows_landed, retired, applied)] = query(
        data_dir,
        "select retired_by, reason, rows_landed, retired_at is not null, applied_at is not null "
        "from raw.file_retirements where source_file = 'interventions/2016/dinsos.csv'",
    )
    assert (who, why, rows_landed, retired, applied) == ("Rina (data team)", "dup", 2, True, True)
    assert query(data_dir, "select source_file from raw.file_ledger") == [("interventions/2016/perkim.csv",)]


def test_retire_moves_the_file_aside_and_refuses_files_never_landed(data_dir: Path) -> None:
    report = write_csv(data_dir / "raw/interventions/2016/dinsos.csv", [DELIVERY], sep=",")
    land("raw/interventions")
    assert cli.main(["retire", "interventions/2016/nothing.csv", "--by", "x"]) == 1
    assert cli.main(["retire", str(report), "--by", "x"]) == 0
    assert not report.exists()
    [kept] = (data_dir / "raw/_retired").rglob("dinsos.csv")  # moved, never deleted
    assert kept.relative_to(data_dir / "raw/_retired").parts[1:] == ("interventions", "2016", "dinsos.csv")
    land("raw/interventions")
    assert query(data_dir, "select count(*) from raw.interventions") == [(0,)]


def test_a_retired_file_delivered_again_cancels_its_retirement(data_dir: Path) -> None:
    report = write_csv(data_dir / "raw/interventions/2016/dinsos.csv", rows(DELIVERY, [{}, {}]), sep=",")
    land("raw/interventions")
    assert cli.main(["retire", str(report), "--by", "Rina", "--reason", "wrong year"]) == 0
    [kept] = (data_dir / "raw/_retired").rglob("dinsos.csv")
    kept.rename(report)  # the agency says the file was right after all, before any run
    land("raw/interventions")
    assert query(data_dir, "select count(*) from raw.interventions") == [(2,)]
    assert query(
        data_dir, "select applied_at is null, cancelled_at is not null from raw.file_retirements"
    ) == [(True, True)]
    report.unlink()  # the old retirement must not let the file vanish silently now
    result = land("raw/interventions", raise_on_error=False)
    assert not result.success
    assert "interventions/2016/dinsos.csv (2 rows landed)" in failure_message(result)
    assert query(data_dir, "select count(*) from raw.interventions") == [(2,)]


def test_an_emptied_drop_zone_fails_and_keeps_every_landed_table(data_dir: Path) -> None:
    write_csv(data_dir / "raw/bdt/BDT2015_RT_1806.csv", [HOUSEHOLD])
    land("raw/bdt_households")
    shutil.rmtree(data_dir / "raw/bdt")
    result = land("raw/bdt_households", raise_on_error=False)
    assert "bdt/BDT2015_RT_1806.csv (1 rows landed)" in failure_message(result)
    assert query(data_dir, "select idbdt from raw.bdt_households") == [("H1",)]


def test_a_data_folder_that_does_not_exist_is_an_error_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TKPK_DATA_DIR", str(tmp_path / "dta"))  # a typo
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    result = land(raise_on_error=False)
    assert not result.success
    messages = [
        e.step_failure_data.user_failure_data.description for e in result.all_events if e.is_step_failure
    ]
    assert messages and all(f"the drop zone {tmp_path / 'dta' / 'raw'} does not exist" in m for m in messages)
    assert not (tmp_path / "dta").exists()


# --- a misnamed BDT file --------------------------------------------------------------------------------


def test_a_bdt_file_holding_another_kabupatens_rows_is_refused_naming_both_codes(data_dir: Path) -> None:
    bdt = data_dir / "raw/bdt"
    write_csv(bdt / "BDT2015_RT_1801.csv", rows(HOUSEHOLD, [{"idbdt": "LB1", **LAMPUNG_BARAT}]))
    write_csv(
        bdt / "BDT2015_RT_1872.csv", rows(HOUSEHOLD, [{"idbdt": "M1", **METRO}, {"idbdt": "M2", **METRO}])
    )
    land("raw/bdt_households")
    before = query(data_dir, "select * from raw.bdt_households order by idbdt")

    shutil.copy(bdt / "BDT2015_RT_1801.csv", bdt / "BDT2015_RT_1872.csv")  # Lampung Barat copied as Metro
    result = land("raw/bdt_households", raise_on_error=False)
    message = failure_message(result)
    assert "bdt/BDT2015_RT_1872.csv: the file name says kabupaten 1872" in message
    assert "belong to kabupaten 1801 (1 rows)" in message
    assert query(data_dir, "select * from raw.bdt_households order by idbdt") == before  # Metro kept


def test_a_members_file_of_another_kabupaten_is_refused_by_its_households(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bdt = data_dir / "raw/bdt"
    write_csv(bdt / "BDT2015_RT_1801.csv", rows(HOUSEHOLD, [{"idbdt": "LB1", **LAMPUNG_BARAT}]))
    write_csv(bdt / "BDT2015_RT_1872.csv", rows(HOUSEHOLD, [{"idbdt": "M1", **METRO}]))
    write_csv(bdt / "BDT2015_ART_1872.csv", rows(PERSON, [{"idartbdt": "M1-1", "idbdt": "M1"}]))
    land("raw/bdt_households")
    land("raw/bdt_individuals")
    before = query(data_dir, "select * from raw.bdt_individuals order by all")

    members_1801 = rows(PERSON, [{"idartbdt": "LB1-1", "idbdt": "LB1"}, {"idartbdt": "X-1", "idbdt": "NEW"}])
    sent = write_csv(tmp_path / "BDT2015_ART_1872.csv", members_1801)  # Lampung Barat's members as Metro
    assert cli.main(["intake", str(sent)]) == 1
    assert (
        "the file name says kabupaten 1872 but its rows belong to kabupaten 1801" in capsys.readouterr().out
    )
    shutil.copy(sent, bdt / "BDT2015_ART_1872.csv")  # copied by hand all the same
    result = land("raw/bdt_individuals", raise_on_error=False)
    assert "bdt/BDT2015_ART_1872.csv: the file name says kabupaten 1872" in failure_message(result)
    assert "1801 (1 rows) (by their households' IDBDT" in failure_message(result)
    assert query(data_dir, "select * from raw.bdt_individuals order by all") == before


# --- truncated and partial rows -------------------------------------------------------------------------


def test_a_last_line_cut_short_and_rows_with_the_wrong_field_count_are_quarantined(data_dir: Path) -> None:
    path = write_csv(
        data_dir / "raw/interventions/2016/dinsos.csv",
        rows(DELIVERY, [{"opd": "Dinas Sosial, Bidang 2"}, {}, {}, {}]),
        sep=",",
        final_newline=False,
    )
    text = path.read_text().splitlines()
    header, good_quoted, good, plain, last = text
    assert '"Dinas Sosial, Bidang 2"' in good_quoted
    cut_quoted = good_quoted.rsplit(",", 2)[0]  # a quoted row missing its last two fields
    extra = plain + ",surplus"
    cut_last = last.replace(
        "15.000.000,unit", "3.000"
    )  # a copy cut inside the amount: '3.000.000' -> '3.000'
    path.write_text("\n".join([header, good_quoted, good, cut_quoted, extra, cut_last]))

    result = land("raw/interventions")
    assert quarantine(data_dir, "interventions") == {
        3: "malformed_row",
        4: "malformed_row",
        5: "malformed_row",
    }
    assert query(data_dir, "select _source_row, opd from raw.interventions order by 1") == [
        (1, "Dinas Sosial, Bidang 2"),
        (2, "Dinas Perkim Provinsi Lampung"),
    ]
    assert query(data_dir, "select count(*) from raw.interventions where nilai_rp = 3000") == [(0,)]
    meta = metadata(result, "interventions")
    assert (meta["rows_read"], meta["rows_landed"], meta["rows_quarantined"]) == (5, 2, 3)


def test_a_copy_cut_inside_a_quoted_cell_lands_the_whole_rows_and_quarantines_the_cut_one(
    data_dir: Path,
) -> None:
    records = rows(HOUSEHOLD, [{"idbdt": "H1"}, {"idbdt": "H2", "alamat": 'Jl. "Merdeka"; Gg. 2'}])
    path = write_csv(data_dir / "raw/bdt/BDT2015_RT_1806.csv", records)
    data = path.read_bytes()
    path.write_bytes(b"\n\n" + data[: data.index(b"Merdeka")])  # blank lines above the header, then cut
    land("raw/bdt_households")
    assert query(data_dir, "select idbdt, _source_row from raw.bdt_households") == [("H1", 1)]
    assert quarantine(data_dir, "bdt_households") == {2: "malformed_row"}


def test_a_file_still_being_written_is_not_taken_and_its_earlier_version_stays(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = data_dir / "raw/interventions/2016"
    write_csv(folder / "dinsos.csv", [DELIVERY], sep=",")
    land("raw/interventions")
    monkeypatch.setenv("TKPK_SENSOR_QUIET_SECONDS", "60")
    write_csv(folder / "dinsos.csv", rows(DELIVERY, [{}, {}, {}]), sep=",")  # being overwritten
    write_csv(folder / "perkim.csv", [DELIVERY], sep=",")  # being copied in
    result = land("raw/interventions")
    meta = metadata(result, "interventions")
    assert meta["files_waiting"] == ["interventions/2016/dinsos.csv", "interventions/2016/perkim.csv"]
    assert query(data_dir, "select _source_file, count(*) from raw.interventions group by 1") == [
        ("interventions/2016/dinsos.csv", 1)
    ]
    monkeypatch.setenv("TKPK_SENSOR_QUIET_SECONDS", "0.2")
    time.sleep(0.3)
    land("raw/interventions")
    assert query(data_dir, "select _source_file, count(*) from raw.interventions group by 1 order by 1") == [
        ("interventions/2016/dinsos.csv", 3),
        ("interventions/2016/perkim.csv", 1),
    ]


def test_intake_validates_and_moves_a_file_in_atomically_to_be_taken_at_once(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("TKPK_SENSOR_QUIET_SECONDS", "3600")
    outbox = tmp_path / "outbox"
    report = write_csv(outbox / "dinsos.csv", rows(DELIVERY, [{}, {"kode_program": "XYZ"}]), sep=",")
    bdt = write_csv(outbox / "BDT2015_RT_1872.csv", rows(HOUSEHOLD, [LAMPUNG_BARAT]))
    cut = write_csv(outbox / "perkim.csv", [DELIVERY], sep=",", final_newline=False)
    assert cli.main(["intake", str(report), str(bdt), str(cut), "--year", "2016", "--by", "dinsos"]) == 1
    out = capsys.readouterr().out
    assert "TAKEN" in out and "2 rows, 1 will land, 1 to quarantine as unknown_programme" in out
    assert f"REFUSED {bdt}: the file name says kabupaten 1872" in out
    assert f"REFUSED {cut}: the last line has no line ending" in out
    assert report.exists()  # the original stays with the sender
    assert sorted(p.relative_to(data_dir / "raw").as_posix() for p in (data_dir / "raw").rglob("*.csv")) == [
        "interventions/2016/dinsos.csv"
    ]
    assert not list((data_dir / "raw/_intake/.incoming").iterdir())  # no half copy left behind

    result = land("raw/interventions")  # quiet period of an hour, but the intake marked it complete
    assert metadata(result, "interventions")["files_landed_this_run"] == ["interventions/2016/dinsos.csv"]


# --- every xlsx sheet -----------------------------------------------------------------------------------


def _two_sheets(path: Path, second: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    for name, body in (("Januari", [list(DELIVERY), list(DELIVERY.values())]), ("Februari", second)):
        sheet = book.add_worksheet(name)
        for i, row in enumerate(body):
            sheet.write_row(i, 0, row)
    book.add_worksheet("Kosong")  # an empty sheet is not a delivery
    book.close()
    return path


def test_every_xlsx_sheet_is_landed_and_counted(data_dir: Path) -> None:
    second = [list(DELIVERY), *[list({**DELIVERY, "nilai_rp": str(n)}.values()) for n in (1, 2, -5)]]
    _two_sheets(data_dir / "raw/interventions/2016/dinsos.xlsx", second)
    result = land("raw/interventions")
    assert query(data_dir, "select _source_row, nilai_rp from raw.interventions order by 1") == [
        (1, 15_000_000),
        (2, 1),
        (3, 2),
    ]
    assert query(data_dir, "select rows_read, rows_landed, rows_quarantined from raw.file_ledger") == [
        (4, 3, 1)
    ]
    [(row, reason, raw)] = query(data_dir, "select source_row, reason_code, raw_values from raw.quarantine")
    assert (row, reason, json.loads(raw)["_sheet"]) == (4, "negative_amount", "Februari")
    assert metadata(result, "interventions")["rows_read"] == 4


def test_an_xlsx_sheet_that_cannot_be_landed_refuses_the_file(data_dir: Path) -> None:
    _two_sheets(data_dir / "raw/interventions/2016/dinsos.xlsx", [["Rekap"], ["total", 7]])
    result = land("raw/interventions", raise_on_error=False)
    message = failure_message(result)
    assert "interventions/2016/dinsos.xlsx: sheet 'Februari' holds data but cannot be landed" in message


# --- legal CSV ------------------------------------------------------------------------------------------


def test_quoted_cells_with_line_breaks_land_with_their_row_numbers(data_dir: Path) -> None:
    records = rows(
        HOUSEHOLD, [{"idbdt": "H1", "alamat": "Dusun I\r\nRT 02"}, {"idbdt": "H2"}, {"idbdt": "H2"}]
    )
    write_csv(data_dir / "raw/bdt/BDT2015_RT_1806.csv", records, newline="\r\n")
    land("raw/bdt_households")
    assert query(data_dir, "select idbdt, alamat, _source_row from raw.bdt_households order by 1") == [
        ("H1", "Dusun I\r\nRT 02", 1),
        ("H2", "Dusun I RT 02", 2),
    ]
    assert quarantine(data_dir, "bdt_households") == {3: "duplicate_key"}


def test_a_header_named_like_a_lineage_column_lands(data_dir: Path) -> None:
    records = rows(DELIVERY, [{"_source_row": "99", "t__nik": "x"}])
    write_csv(data_dir / "raw/interventions/2016/dinsos.csv", records, sep=",")
    land("raw/interventions")
    assert query(data_dir, "select _source_row, nik from raw.interventions") == [(1, DELIVERY["nik"])]


def test_a_utf8_file_whose_first_64_kib_cut_a_character_is_read_as_utf8(data_dir: Path) -> None:
    path = data_dir / "raw/bdt/BDT2015_RT_1806.csv"

    def deliver(pad: int) -> int:
        # 'Á' is C3 81: byte 81 is no Windows-1252 character, so only UTF-8 can read the first 64 KiB
        first = {"idbdt": "H1", "nama_krt": "ÁDI", "alamat": "x" * pad + "é"}
        records = rows(HOUSEHOLD, [first, {"idbdt": "H2", "nama_krt": "Ma’ruf"}])
        return write_csv(path, records).read_bytes().index("é".encode())

    at = deliver(60000)
    assert deliver(60000 + 65535 - at) == 65535  # 'é' (2 bytes) straddles the 64 KiB boundary
    land("raw/bdt_households")
    assert query(data_dir, "select nama_krt from raw.bdt_households order by 1") == [("Ma’ruf",), ("ÁDI",)]


def test_office_lock_files_are_ignored_and_folders_that_are_not_years_reach_the_ledger(
    data_dir: Path,
) -> None:
    folder = data_dir / "raw/interventions"
    write_xlsx(folder / "2016/dinsos.xlsx", [DELIVERY])
    (folder / "2016/~$dinsos.xlsx").write_bytes(b"\x0bowner lock")  # Excel has the workbook open
    write_csv(folder / "abc/perkim.csv", rows(DELIVERY, [{}, {}]), sep=",")
    result = land("raw/interventions")
    assert query(data_dir, "select source_file, rows_read, rows_landed, rows_quarantined from raw.file_ledger order by 1") == [
        ("interventions/2016/dinsos.xlsx", 1, 1, 0),
        ("interventions/abc/perkim.csv", 2, 0, 2),
    ]  # fmt: skip
    [(message,)] = query(data_dir, "select distinct message from raw.quarantine")
    assert "interventions/abc/, which is not a report year" in message
    assert metadata(result, "interventions")["quarantine_by_reason"] == {"unknown_report_year": 2}


# --- re-judging when the rules change -------------------------------------------------------------------


REFERENCE_EDITS = [
    # (seed file, a delivery its current content quarantines, the reason, the line the data team adds)
    (
        "programme_catalogue.csv",
        {"kode_program": "SOC-NEW"},
        "unknown_programme",
        "SOC-NEW,Bantuan baru,social,social,household,added by the data team\n",
    ),
    (
        "funding_source_map.csv",
        {"sumber_dana": "Dana Desa 2016"},
        "unknown_funding_source",
        "dana desa 2016,Lainnya\n",
    ),
]


@pytest.mark.parametrize(
    ("seed", "change", "reason", "line"), REFERENCE_EDITS, ids=[e[0] for e in REFERENCE_EDITS]
)
def test_changing_a_reference_of_the_rules_rejudges_files_already_landed(
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    seed: str,
    change: dict,
    reason: str,
    line: str,
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(settings.SEEDS_DIR, seeds)
    monkeypatch.setattr(settings, "SEEDS_DIR", seeds)
    write_csv(data_dir / "raw/interventions/2016/dinsos.csv", rows(DELIVERY, [{}, change]), sep=",")
    land("raw/interventions")
    assert quarantine(data_dir, "interventions") == {2: reason}
    assert metadata(land("raw/interventions"), "interventions")["files_landed_this_run"] == []  # unchanged

    edited = seeds / seed
    with edited.open("a", encoding="utf-8") as f:
        f.write(line)
    os.utime(edited, ns=(time.time_ns() + 10**9,) * 2)  # a later edit, even within the same clock tick
    again = land("raw/interventions")
    assert metadata(again, "interventions")["files_landed_this_run"] == ["interventions/2016/dinsos.csv"]
    assert quarantine(data_dir, "interventions") == {}
    assert query(data_dir, "select count(*) from raw.interventions") == [(2,)]
