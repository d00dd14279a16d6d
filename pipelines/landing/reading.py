"""Reading delivered files into all-string polars frames, one row per data row, numbered as delivered.

Agencies send spreadsheet exports: `;` or `,`, UTF-8 with or without BOM or Windows-1252, CRLF or LF,
header names in any case, and `.xlsx` with a title above the header. Everything is read as text here;
typing happens in `normalise`, so that a value that does not parse becomes a quarantine reason instead of a
reader crash. A file that cannot be read at all raises `UnreadableFileError` naming the file and the problem.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.checksums import sha256_file
from pipelines.landing.rules import TYPED

UTF8_BOM = b"\xef\xbb\xbf"
ROW = "_source_row"
MALFORMED = "_malformed"
SHEET = "_sheet"  # xlsx: the sheet a row came from


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


def decode(data: bytes, relpath: str, prefix: bool = False) -> str:
    """UTF-8 (BOM or not) first, then Windows-1252, as older BDT exports are.

    `prefix`: `data` is the start of a longer file, so a UTF-8 character cut at its end is not an error.
    """
    if not data.strip():
        raise UnreadableFileError(relpath, "the file is empty")
    if b"\x00" in data[:65536]:
        raise UnreadableFileError(relpath, "binary content (NUL bytes): this is not a delimited text file")
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if prefix and exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8")
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
    """Blank or repeated header cells, and names the landing reserves for itself (lineage columns such as
    `_source_row`, typed `t__` columns), get names that no rule reads: such a column is an extra one."""
    seen: set[str] = set()
    out = []
    for i, name in enumerate(header):
        reserved = name.startswith(("_", TYPED))
        out.append(name if name and not reserved and name not in seen else f"_extra_{i}")
        seen.add(name)
    return out


def read_delimited(path: Path, relpath: str, required: list[str]) -> pl.DataFrame:
    """All columns as stripped strings (empty -> null), the data-row number and a malformed flag.

    Rows are numbered as in the file: the first record after the header is row 1; a blank line keeps its
    number but is not a row. polars parses the values (quoted cells with line breaks included); the fields
    of each record are counted separately, so that a row with missing or extra fields, quoted or not, is
    quarantined instead of silently padded or cut. A last line without its line ending is a row cut short
    (an interrupted copy): it is quarantined too, never landed.
    """
    data = path.read_bytes()
    decode(data[:65536], relpath, prefix=True)  # empty or binary files fail here, with their name
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
    cut_short = not data.endswith(b"\n")
    try:
        frame, fields = _parse(data, skipped, header, sep, relpath)
    except UnreadableFileError:
        if not cut_short:
            raise
        # cut inside a quoted cell: parse up to the last line ending, keep the cut line as a malformed row
        end = data.rfind(b"\n") + 1
        frame, fields = _parse(data[:end], skipped, header, sep, relpath)
        cells = next(csv.reader([data[end:].decode("utf-8")], delimiter=sep), [])
        tail = {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(header)}
        frame = pl.concat([frame, pl.DataFrame([tail], schema=frame.schema)])
        fields = pl.concat([fields, pl.Series([len(cells)], dtype=pl.Int64)])
    malformed = (fields.is_not_null() & (fields != len(header))).fill_null(False)
    if cut_short and frame.height:
        malformed = malformed.scatter(frame.height - 1, True)
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


QUOTED = r'"[^"]*"'  # a quoted stretch (`""` removed first), whose separators are inside a cell


def _parse(
    data: bytes, skipped: int, header: list[str], sep: str, relpath: str
) -> tuple[pl.DataFrame, pl.Series]:
    """The records after the header as strings, and the number of fields of each (null for a blank line).

    While every quoted cell closes on its own line, a record is a line: its fields are the separators
    outside quotes plus one, counted by polars over the lines (fast at province scale). A line with an odd
    number of quotes opens a cell with a line break; then Python's csv module counts the fields of each
    record, and should it see the records differently from polars, its own reading is used.
    """
    common = {"has_header": True, "skip_lines": skipped, "infer_schema": False}
    try:
        frame = pl.read_csv(data, separator=sep, truncate_ragged_lines=True, new_columns=header, **common)
        lines = pl.read_csv(data, separator="\x1f", quote_char=None, new_columns=["line"], **common)["line"]
    except pl.exceptions.PolarsError as exc:
        raise UnreadableFileError(relpath, f"cannot be parsed as {sep!r}-delimited text ({exc})") from exc
    bare = lines.str.replace_all('""', "", literal=True)  # empty cells and escaped quotes: no separator
    quoted = bare.str.contains('"', literal=True).fill_null(False)
    if len(lines) == frame.height and not (bare.filter(quoted).str.count_matches('"') % 2 == 1).any():
        if quoted.any():
            bare = pl.select(
                pl.when(quoted).then(bare.str.replace_all(QUOTED, "")).otherwise(bare)
            ).to_series()
        return frame, (bare.str.count_matches(sep, literal=True) + 1).cast(pl.Int64)
    text = io.StringIO(data.decode("utf-8"), newline="")
    records = csv.reader(text, delimiter=sep)
    for _ in range(skipped + 1):
        next(records, None)
    fields = pl.Series([len(r) or None for r in records], dtype=pl.Int64)
    if len(fields) != frame.height:
        width = len(header)
        text.seek(0)
        rows = list(csv.reader(text, delimiter=sep))[skipped + 1 :]
        padded = [(r + [None] * width)[:width] if r else [None] * width for r in rows]
        frame = pl.DataFrame(padded, schema=dict.fromkeys(header, pl.String), orient="row")
    return frame, fields


def _fields_to_columns(frame: pl.DataFrame, header: list[str]) -> pl.DataFrame:
    width = len(header)
    seen: set[str] = set()
    columns = []
    for i, name in enumerate(header):
        if not name or name in seen or name.startswith("_extra_"):
            continue
        seen.add(name)
        columns.append(pl.col("_f").list.get(i, null_on_oob=True).str.strip_chars().alias(name))
    out = frame.with_columns(*columns, (pl.col("_f").list.len() != width).alias(MALFORMED)).drop("_f")
    names = [c for c in out.columns if c not in (ROW, MALFORMED)]
    return out.with_columns(
        [pl.when(pl.col(c).str.len_chars() > 0).then(pl.col(c)).alias(c) for c in names]
    ).select(ROW, *names, MALFORMED)


def read_xlsx(path: Path, relpath: str, required: list[str]) -> pl.DataFrame:
    """Every sheet; in each, the header is the first non-empty row (titles above it are skipped).

    Every sheet with data is landed or the file is refused: a second sheet is as much a delivery as the
    first. Rows are numbered on across sheets (sheet 2 continues after sheet 1) so that file and row stay
    a key; `_sheet` names the sheet of each row.
    """
    try:
        sheets = pl.read_excel(
            path, engine="calamine", sheet_id=0, has_header=False, infer_schema_length=0, raise_if_empty=False
        )
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise UnreadableFileError(
            relpath, f"cannot be opened as an .xlsx workbook ({exc})", required
        ) from exc
    parts, offset = [], 0
    for name, sheet in sheets.items():
        if sheet.height == 0 or sheet.width == 0:
            continue
        sheet = sheet.select(pl.all().cast(pl.String).str.strip_chars())
        non_blank = sheet.select(pl.any_horizontal(pl.all().is_not_null() & (pl.all() != ""))).to_series()
        if not non_blank.any():
            continue
        header_at = _header_row(sheet, non_blank, required)
        header = _unique(normalise_header([v or "" for v in sheet.row(header_at)]))
        try:
            check_header(header, required, relpath)
        except UnreadableFileError as exc:
            raise UnreadableFileError(
                relpath,
                f"sheet '{name}' holds data but cannot be landed ({exc.problem}); every sheet is landed or "
                "the file is refused: remove or fix that sheet",
                required,
            ) from exc
        body = sheet.slice(header_at + 1)
        keep = non_blank.slice(header_at + 1)
        body = body.with_row_index(ROW, offset=offset + 1).filter(keep)
        offset += sheet.height - header_at - 1
        fields = body.select(pl.concat_list([pl.col(c) for c in sheet.columns]).alias("_f"))
        frame = pl.DataFrame({ROW: body[ROW].cast(pl.Int64), "_f": fields["_f"]})
        parts.append(_fields_to_columns(frame, header).with_columns(pl.lit(name).alias(SHEET)))
    if not parts:
        raise UnreadableFileError(relpath, "no sheet of the workbook holds any data", required)
    framed = pl.concat(parts, how="diagonal")
    names = [c for c in framed.columns if c not in (ROW, MALFORMED, SHEET)]
    return framed.select(ROW, *names, pl.lit(False).alias(MALFORMED), SHEET)


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
    decode(start, f.relpath, prefix=True)
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
