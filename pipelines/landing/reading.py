"""Reading delivered files into all-string polars frames, one row per data row, numbered as delivered.

Agencies send spreadsheet exports: `;` or `,`, UTF-8 with or without BOM or Windows-1252, CRLF or LF,
header names in any case, and `.xlsx` with a title above the header. Everything is read as text here;
typing happens in `normalise`, so that a value that does not parse becomes a quarantine reason instead of a
reader crash. A file that cannot be read at all raises `UnreadableFileError` naming the file and the problem.
"""

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _split_fields(lines: pl.Series, sep: str) -> pl.Series:
    """Split on the delimiter; the rare line with quotes goes through the csv module to honour them."""
    frame = pl.DataFrame({"line": lines}).with_row_index("_i")
    frame = frame.with_columns(pl.col("line").str.split(sep).alias("_fields"))
    quoted = frame.filter(pl.col("line").str.contains('"', literal=True))
    if quoted.height:
        parsed = [next(csv.reader([line], delimiter=sep)) for line in quoted["line"].to_list()]
        fixes = pl.DataFrame({"_i": quoted["_i"], "_parsed": pl.Series(parsed, dtype=pl.List(pl.String))})
        frame = frame.join(fixes, on="_i", how="left", maintain_order="left").with_columns(
            pl.coalesce("_parsed", "_fields").alias("_fields")
        )
    return frame["_fields"]


def read_delimited(path: Path, relpath: str, required: list[str]) -> pl.DataFrame:
    """All columns as stripped strings (empty -> null) plus the data-row number and a malformed flag."""
    text = decode(path.read_bytes(), relpath)
    lines = pl.Series("line", text.split("\n"), dtype=pl.String).str.strip_suffix("\r")
    non_blank = lines.str.strip_chars(" \t;,").str.len_chars() > 0
    if not non_blank.any():
        raise UnreadableFileError(relpath, "the file has no rows, not even a header", required)
    header_at = non_blank.arg_true()[0]
    header_line = lines[header_at]
    sep = ";" if header_line.count(";") > header_line.count(",") else ","
    header = normalise_header(next(csv.reader([header_line], delimiter=sep)))
    check_header(header, required, relpath)

    body = pl.DataFrame({"line": lines.slice(header_at + 1)}).with_row_index(ROW, offset=1)
    body = body.filter(pl.col("line").str.strip_chars(" \t;,").str.len_chars() > 0)
    fields = _split_fields(body["line"], sep)
    frame = pl.DataFrame({ROW: body[ROW].cast(pl.Int64), "_f": fields})
    return _fields_to_columns(frame, header)


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


def read_file(f: DeliveredFile, required: list[str]) -> pl.DataFrame:
    if f.path.suffix.lower() == ".xlsx":
        return read_xlsx(f.path, f.relpath, required)
    return read_delimited(f.path, f.relpath, required)
