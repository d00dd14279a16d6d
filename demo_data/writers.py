"""Writing the extracts the way the sending agencies' tools do: CSV with a chosen delimiter, BOM, line
ending and encoding; xlsx with the data on the first sheet, possibly below empty rows; headers in a
per-file letter case. Output is byte-for-byte deterministic (the xlsx creation date is fixed).
"""

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

XLSX_CREATED = dt.datetime(2018, 1, 1)


@dataclass(frozen=True)
class CsvStyle:
    """How one sender writes its CSV files."""

    sep: str = ","
    header: str = "domain"  # domain | upper | lower | title
    bom: bool = False
    crlf: bool = False
    encoding: str = "utf-8"


def cased(names: list[str], style: str) -> list[str]:
    """Header names in one letter case: as documented, upper, lower or title."""
    if style == "upper":
        return [c.upper() for c in names]
    if style == "lower":
        return [c.lower() for c in names]
    if style == "title":
        return [c[:1].upper() + c[1:] for c in names]
    return list(names)


def write_csv(
    df: pl.DataFrame,
    path: Path,
    *,
    sep: str = ",",
    bom: bool = False,
    crlf: bool = False,
    encoding: str = "utf-8",
) -> None:
    """A text table; missing values (null) are written as nothing (`;;`), as spreadsheets export them.

    cp1252 files are written as UTF-8 and re-encoded (never with a BOM).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    terminator = "\r\n" if crlf else "\n"
    if encoding == "utf-8":
        df.write_csv(path, separator=sep, include_bom=bom, line_terminator=terminator)
        return
    buf = io.BytesIO()
    df.write_csv(buf, separator=sep, line_terminator=terminator)
    path.write_bytes(buf.getvalue().decode("utf-8").encode(encoding))


def write_xlsx(df: pl.DataFrame, path: Path, *, blank_rows: int = 0, title: str = "Sheet1") -> None:
    """Data on the first sheet; header in row `blank_rows` (0-based) with empty but formatted rows above."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": XLSX_CREATED})
    ws = wb.add_worksheet(title[:31])
    spacer = wb.add_format({"bg_color": "#FFFFFF"})
    for r in range(blank_rows):  # formatted blanks keep the rows in the sheet without a value
        ws.write_blank(r, 0, None, spacer)
    for c, name in enumerate(df.columns):
        ws.write_string(blank_rows, c, name)
        ws.write_column(blank_rows + 1, c, df[name].to_list())
    wb.close()


def write_json(obj: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", encoding="utf-8")
