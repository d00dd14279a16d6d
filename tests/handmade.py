"""Hand-made extract files for landing tests: a valid row per source, changed one field at a time."""

from pathlib import Path

from pipelines.landing.sources import (
    BDT_HOUSEHOLDS,
    BDT_INDIVIDUALS,
    INTERVENTION_REQUIRED,
)

# A real desa: BPS 1806010001 is Kemendagri 1803012002 (Lampung Utara).
HOUSEHOLD = {
    "idbdt": "H1",
    "kdprop": "18",
    "kdkab": "06",
    "kdkec": "010",
    "kddesa": "001",
    "nama_krt": "Siti Aminah",
    "alamat": "Dusun I RT 02",
    "nokk": "1803011203150001",
    "jumlah_art": "2",
    "jumlah_keluarga": "1",
    "sta_bangunan": "1",
    "luas_lantai": "36,5",
    "lantai": "9",
    "dinding": "6",
    "kondisi_dinding": "2",
    "atap": "5",
    "kondisi_atap": "1",
    "jumlah_kamar": "2",
    "sumber_airminum": "7",
    "sumber_penerangan": "1",
    "bb_masak": "4",
    "fasbab": "4",
    "ada_tabung_gas": "1",
    "ada_lemari_es": "4",
    "ada_motor": "2",
    "sta_kks": "1",
    "sta_kip": "3",
    "sta_kis": "2",
    "sta_pkh": "4",
    "sta_rastra": "1",
    "percentile": "3",
    "status_kesejahteraan": "1",
}
PERSON = {
    "idartbdt": "P1",
    "idbdt": "H1",
    "nik": "1803014507800001",
    "nokk": "1803011203150001",
    "nama": "Siti Aminah",
    "jnskel": "2",
    "tmplahir": "Kotabumi",
    "tgllahir": "05/07/1980",
    "umur": "35",
    "hub_krt": "1",
    "sta_kawin": "4",
    "sta_hamil": "2",
    "jenis_cacat": "0",
    "penyakit_kronis": "0",
    "partisipasi_sekolah": "2",
    "pendidikan_tertinggi": "2",
    "sta_bekerja": "1",
    "lapangan_usaha": "1",
    "status_pekerjaan": "2",
    "sta_keberadaan_art": "1",
    "ada_kks": "1",
    "ada_pbi": "3",
    "ada_kip": "2",
    "ada_pkh": "4",
}
DELIVERY = {
    "tahun": "2016",
    "kode_program": "HSG-RTLH",
    "nama_program": "Bedah Rumah",
    "sumber_dana": "APBD Provinsi",
    "opd": "Dinas Perkim Provinsi Lampung",
    "kode_wilayah": "1803012002",
    "nik": "1803014507800001",
    "nama": "Siti Aminah",
    "idbdt": "H1",
    "tanggal": "15/08/2016",
    "nilai_rp": "15.000.000",
    "satuan": "unit",
}
assert list(HOUSEHOLD) == BDT_HOUSEHOLDS.required
assert list(PERSON) == BDT_INDIVIDUALS.required
assert list(DELIVERY) == INTERVENTION_REQUIRED


def rows(base: dict[str, str], changes: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{**base, **change} for change in changes]


def write_csv(
    path: Path,
    records: list[dict[str, str]],
    sep: str = ";",
    encoding: str = "utf-8",
    newline: str = "\n",
    bom: bool = False,
    header_case=str.upper,
    final_newline: bool = True,
) -> Path:
    columns = list(records[0])
    lines = [sep.join(header_case(c) for c in columns)]
    lines += [sep.join(_quoted(r[c], sep) for c in columns) for r in records]
    data = (newline.join(lines) + (newline if final_newline else "")).encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def _quoted(value: str, sep: str) -> str:
    if any(c in value for c in (sep, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_xlsx(path: Path, records: list[dict[str, object]], title_rows: int = 2) -> Path:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Laporan")
    if title_rows:
        sheet.write(0, 0, "Laporan realisasi bantuan")
    columns = list(records[0])
    sheet.write_row(title_rows, 0, columns)
    for i, record in enumerate(records, start=title_rows + 1):
        sheet.write_row(i, 0, [record[c] for c in columns])
    book.close()
    return path
