"""Reading delivered files into all-string polars frames, one row per data row, numbered as delivered.

Agencies send spreadsheet exports: `;` or `,`, UTF-8 with or without BOM or Windows-1252, CRLF or LF,
header names in any case, and `.xlsx` with a title above the header. Everything is read as text here;
typing happens in `normalise`, so that a value that does not parse becomes a quarantine reason instead of a
reader crash. A file that cannot be read at all raises `UnreadableFileError` naming the file and the problem.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.checksums import sha256_file

UTF8_BOM = b"\xef\xbb\xbf"
ROW = "_source_row"
MALFORMED = "_malformed"


class UnreadableFileError(Exception):
    """A delivered file that cannot be landed at all: nothing of its source is written."""

    def __init__(self, relpath: str, problem: str, expected: list[str] | None = None):
        message = f"{relpath}: {problem}"
        if expected:
            message += f". Expected columns: {', '.join(expected)}"
        super().__init__(message)
        self.relpath = relpath
        self.problem = problem


@dataclass(frozen=True)
class DeliveredFile:
    path: Path
    relpath: str
    checksum: str


def delivered(path: Path, root: Path) -> DeliveredFile:
    return DeliveredFile(path=path, relpath=path.relative_to(root).as_posix(), checksum=sha256_file(path))


def decode(data: bytes, relpath: str) -> str:
    """UTF-8 (BOM or not) first, then Windows-1252, as older BDT exports are."""
    if not data.strip():
        raise UnreadableFileError(relpath, "the file is empty")
    if b"\x00" in data[:65536]:
        raise UnreadableFileError(relpath, "binary content (NUL bytes): this is not a delimited text file")
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(relpath, f"text is neither UTF-8 nor Windows-1252 ({exc.reason})") from exc


def normalise_header(names: list[str]) -> list[str]:
    return [n.strip().strip('"').strip().lower() for n in names]


def check_header(header: list[str], required: list[str], relpath: str) -> None:
    present = set(header)
    missing = [c for c in required if c not in present]
    if len(missing) == len(required):
        raise UnreadableFileError(
            relpath, "no header row: the first non-empty row names none of the expected columns", required
        )
    if missing:
        raise UnreadableFileError(relpath, f"missing required columns: {', '.join(missing)}", required)


def _header_line(data: bytes) -> tuple[int, bytes]:
    """Blank lines before the header (spreadsheets leave them) and the header line itself."""
    skipped, pos = 0, 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        if data[pos:end].strip(b" \t\r;,"):
            return skipped, data[pos:end].rstrip(b"\r")
        skipped, pos = skipped + 1, end + 1
    return skipped, b""


def _as_utf8(data: bytes, relpath: str) -> bytes:
    """UTF-8 bytes as they are; Windows-1252 (older BDT exports) re-encoded once."""
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return decode(data, relpath).encode("utf-8")


def _unique(header: list[str]) -> list[str]:
    """Blank or repeated header cells get names that no rule reads."""
    seen: set[str] = set()
    out = []
    for i, name in enumerate(header):
        out.append(name if name and name not in seen else f"_extra_{i}")
        seen.add(name)
    return out


def read_delimited(path: Path, relpath: str, required: list[str]) -> pl.DataFrame:
    """All columns as stripped strings (empty -> null), the data-row number and a malformed flag.

    Rows are numbered as in the file: the first line after the header is row 1; a blank line keeps its
    number but is not a row. polars parses (quotes included); a second pass over the raw lines counts
    delimiters so that a row with missing or extra fields is quarantined, not silently padded or cut.
    """
    data = path.read_bytes()
    decode(data[:65536], relpath)  # empty or binary files fail here, with their name
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    data = _as_utf8(data, relpath)
    skipped, header_line = _header_line(data)
    if not header_line:
        raise UnreadableFileError(relpath, "the file has no rows, not even a header", required)
    text_header = header_line.decode("utf-8")
    sep = ";" if text_header.count(";") > text_header.count(",") else ","
    header = _unique(normalise_header(next(csv.reader([text_header], delimiter=sep))))
    check_header(header, required, relpath)
    common = {"has_header": True, "skip_rows": skipped, "infer_schema": False}
    frame = pl.read_csv(data, separator=sep, truncate_ragged_lines=True, new_columns=header, **common)
    lines = pl.read_csv(data, separator="\x1f", quote_char=None, new_columns=["line"], **common)["line"]
    fields = lines.str.count_matches(sep, literal=True) + 1
    malformed = ((fields != len(header)) & ~lines.str.contains('"', literal=True)).fill_null(False)
    names = [c for c in header if not c.startswith("_extra_")]
    return (
        frame.lazy()
        .select(names)
        .with_columns(pl.col(names).str.strip_chars())
        .with_columns([pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).alias(c) for c in names])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW), malformed.alias(MALFORMED))
        .filter(~pl.all_horizontal(pl.col(names).is_null()))
        .select(ROW, *names, MALFORMED)
        .collect()
    )


def _fields_to_columns(frame: pl.DataFrame, header: list[str]) -> pl.DataFrame:
    width = len(header)
    seen: set[str] = set()
    columns = []
    for i, name in enumerate(header):
        if not name or name in seen:
            continue
        seen.add(name)
        columns.append(pl.col("_f").list.get(i, null_on_oob=True).str.strip_chars().alias(name))
    out = frame.with_columns(*columns, (pl.col("_f").list.len() != width).alias(MALFORMED)).drop("_f")
    names = [c for c in out.columns if c not in (ROW, MALFORMED)]
    return out.with_columns(
        [pl.when(pl.col(c).str.len_chars() > 0).then(pl.col(c)).alias(c) for c in names]
    ).select(ROW, *names, MALFORMED)


def read_xlsx(path: Path, relpath: str, required: list[str]) -> pl.DataFrame:
    """First sheet; the header is the first non-empty row (titles above it are skipped)."""
    try:
        sheet = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0)
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise UnreadableFileError(
            relpath, f"cannot be opened as an .xlsx workbook ({exc})", required
        ) from exc
    if sheet.height == 0:
        raise UnreadableFileError(relpath, "the first sheet is empty", required)
    sheet = sheet.select(pl.all().cast(pl.String).str.strip_chars())
    non_blank = sheet.select(pl.any_horizontal(pl.all().is_not_null() & (pl.all() != ""))).to_series()
    header_at = _header_row(sheet, non_blank, required)
    header = normalise_header([v or "" for v in sheet.row(header_at)])
    check_header(header, required, relpath)
    body = sheet.slice(header_at + 1).with_row_index(ROW, offset=1).filter(non_blank.slice(header_at + 1))
    fields = body.select(pl.concat_list([pl.col(c) for c in sheet.columns]).alias("_f"))
    frame = pl.DataFrame({ROW: body[ROW].cast(pl.Int64), "_f": fields["_f"]})
    framed = _fields_to_columns(frame, header)
    return framed.with_columns(pl.lit(False).alias(MALFORMED))


def _header_row(sheet: pl.DataFrame, non_blank: pl.Series, required: list[str], look: int = 20) -> int:
    """The first non-empty row, or, where agencies put a report title above the table, the first of the
    top rows that names an expected column."""
    candidates = non_blank.arg_true().head(look).to_list()
    for i in candidates:
        if set(normalise_header([v or "" for v in sheet.row(i)])) & set(required):
            return i
    return candidates[0]


def precheck(f: DeliveredFile, required: list[str]) -> None:
    """The cheap part of reading a delimited file: its start decodes and its header has the columns."""
    if f.path.suffix.lower() == ".xlsx":
        return
    with f.path.open("rb") as fh:
        start = fh.read(65536)
    decode(start, f.relpath)
    start = start.removeprefix(UTF8_BOM)
    _, header_line = _header_line(start)
    if not header_line:
        raise UnreadableFileError(f.relpath, "the file has no rows, not even a header", required)
    text = header_line.decode("utf-8", errors="replace")
    sep = ";" if text.count(";") > text.count(",") else ","
    check_header(_unique(normalise_header(next(csv.reader([text], delimiter=sep)))), required, f.relpath)


def read_file(f: DeliveredFile, required: list[str]) -> pl.DataFrame:
    if f.path.suffix.lower() == ".xlsx":
        return read_xlsx(f.path, f.relpath, required)
    return read_delimited(f.path, f.relpath, required)
