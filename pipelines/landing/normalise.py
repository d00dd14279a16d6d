"""Polars expressions that turn delivered text into typed values, never guessing.

Each parser returns null where the text does not parse; the source rules compare "present but null after
parsing" to decide the quarantine reason. All of it is vectorised: no Python per row.
"""

import polars as pl

EXCEL_EPOCH = pl.date(1899, 12, 30)


def parse_int(col: str) -> pl.Expr:
    """`12`, and `12.0` as spreadsheets write whole numbers -> 12; anything else -> null. Casts, no regex."""
    whole = pl.col(col).cast(pl.Int64, strict=False)
    as_float = pl.col(col).cast(pl.Float64, strict=False)
    integral = pl.when(as_float == as_float.floor()).then(as_float).cast(pl.Int64, strict=False)
    return pl.coalesce(whole, integral)


def parse_decimal(col: str) -> pl.Expr:
    """Decimal comma or point: `36,5` and `36.5` are both 36.5."""
    text = pl.col(col).str.replace(",", ".", literal=True)
    return pl.when(text.str.contains(r"^-?\d+(\.\d+)?$")).then(text).cast(pl.Float64, strict=False)


def parse_rupiah(col: str) -> pl.Expr:
    """`1.500.000`, `1,500,000`, `1500000`, `Rp 1.500.000,00` -> 1500000 (whole rupiah)."""
    text = pl.col(col).str.replace_all(r"(?i)^rp\.?\s*", "").str.replace_all(" ", "", literal=True)
    dotted = text.str.contains(r"^-?\d{1,3}(\.\d{3})+(,\d{1,2})?$")
    commaed = text.str.contains(r"^-?\d{1,3}(,\d{3})+(\.\d{1,2})?$")
    plain = text.str.contains(r"^-?\d+([.,]\d{1,2})?$")
    whole = (
        pl.when(dotted)
        .then(text.str.replace(r",\d+$", "").str.replace_all(".", "", literal=True))
        .when(commaed)
        .then(text.str.replace(r"\.\d+$", "").str.replace_all(",", "", literal=True))
        .when(plain)
        .then(text.str.replace(r"[.,]\d+$", ""))
    )
    return whole.cast(pl.Int64, strict=False)


def parse_date(col: str, allow_serial: bool = False) -> pl.Expr:
    """`dd/mm/yyyy`, `yyyy-mm-dd` (a time part is ignored) and, where allowed, a spreadsheet serial number."""
    text = pl.col(col)
    parsed = pl.coalesce(
        text.str.to_date("%d/%m/%Y", strict=False),
        text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
    )
    if allow_serial:
        serial = parse_int(col)
        from_serial = pl.when(serial.is_between(1, 2958465)).then(
            EXCEL_EPOCH + pl.duration(days=serial.fill_null(0))
        )
        parsed = pl.coalesce(parsed, from_serial)
    return parsed


def digits_code(col: str, width: int) -> pl.Expr:
    """A numeric code with its leading zeros restored (`10` -> `010`); null when not a code of that width."""
    text = pl.col(col).str.replace(r"\.0+$", "")
    ok = text.str.contains(r"^\d+$") & (text.str.len_chars() <= width)
    return pl.when(ok).then(text.str.zfill(width))


def dotted_code(col: str, width: int) -> pl.Expr:
    """Kemendagri codes come as `18.01.04.2001` or `1801042001`."""
    text = pl.col(col).str.replace_all(r"[.\s]", "")
    return pl.when(text.str.contains(rf"^\d{{{width}}}$")).then(text)


def yes_no(col: str, yes: int, no: int) -> pl.Expr:
    """The coded pair of this column (1/2 or 3/4) -> boolean; anything else -> null."""
    return pl.col(col).replace_strict({str(yes): True, str(no): False}, default=None, return_dtype=pl.Boolean)


def sixteen_digits(col: str) -> pl.Expr:
    """The digits a spreadsheet left of a 16-digit number, repaired only where the repair is certain:
    a leading apostrophe, spaces, dots or dashes between digit groups, a trailing `.0`, and scientific
    notation whose mantissa still holds all 16 digits (`1.80101E+15` lost digits: never guessed)."""
    text = pl.col(col).str.strip_chars_start("'`")
    sci = text.str.extract_groups(r"^(\d)[.,](\d+)[eE]\+?(\d+)$")
    mantissa = sci.struct.field("1") + sci.struct.field("2")
    from_sci = pl.when((sci.struct.field("3") == "15") & (mantissa.str.len_bytes() == 16)).then(mantissa)
    plain = text.str.replace(r"\.0+$", "").str.replace_all(r"[\s.\-]", "")
    return pl.when(text.str.contains("[eE]")).then(from_sci).otherwise(plain)


def nik_valid(candidate: str) -> pl.Expr:
    """16 digits with a plausible birth-date part (day 01-31, or 41-71 for women; month 01-12)."""
    digits = pl.col(candidate)
    day = digits.str.slice(6, 2).cast(pl.Int64, strict=False)
    month = digits.str.slice(8, 2).cast(pl.Int64, strict=False)
    sixteen = (digits.str.len_bytes() == 16) & digits.str.contains(r"^\d{16}$")
    return (sixteen & (day.is_between(1, 31) | day.is_between(41, 71)) & month.is_between(1, 12)).fill_null(
        False
    )


def kk_valid(candidate: str) -> pl.Expr:
    """KK numbers have the NIK's length but an issue date inside: 16 digits is all that is required."""
    digits = pl.col(candidate)
    return ((digits.str.len_bytes() == 16) & digits.str.contains(r"^\d{16}$")).fill_null(False)
