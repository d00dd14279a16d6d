"""Intervention report files: which deliveries go in which file, in what order, how each file spells
things (header case, column order, an extra column, date and amount formats, dotted region codes, budget
spellings from the funding_source_map seed), and the dirt injected into their rows.

Rows are sorted by programme, desa, date and NIK, as an agency's export would be. Dates are `dd/mm/yyyy`,
ISO or a spreadsheet serial number (days since 1899-12-30); amounts `1.500.000` or `1500000`.
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

from demo_data import dirt
from demo_data.agencies import XLSX_MAX_ROWS, YEARS, Agency
from demo_data.interventions import World
from demo_data.members import DECEASED
from demo_data.sampling import stream

COLUMNS = [
    "tahun", "kode_program", "nama_program", "sumber_dana", "opd", "kode_wilayah", "nik", "nama", "idbdt",
    "tanggal", "nilai_rp", "satuan",
]  # fmt: skip
ACRONYMS = {"apbd", "apbn", "apbn-p", "dak", "csr", "tk", "i", "ii"}
SERIAL_EPOCH = np.datetime64("1899-12-30")


def assign(d: pl.DataFrame, agencies: list[Agency], w: World, idbdt: pl.Series) -> pl.DataFrame:
    """File, format and row number of each delivery, plus its text identifiers."""
    sizes = dict(((a, y), n) for a, y, n in d.group_by("agency", "report_year").len().iter_rows())
    records = []
    for agency in agencies:
        for i, year in enumerate(YEARS):
            fmt = agency.formats[i]
            if fmt == "xlsx" and sizes.get((agency.slug, year), 0) > XLSX_MAX_ROWS:
                fmt = "csv,"
            ext = "xlsx" if fmt == "xlsx" else "csv"
            records.append((agency.slug, year, fmt, f"interventions/{year}/{agency.slug}_{year}.{ext}"))
    files = pl.DataFrame(records, schema=["agency", "report_year", "fmt", "file"], orient="row").cast(
        {"report_year": pl.Int16}
    )
    kode = w.geo.desa["village_code"]
    hh = d["hh"].to_numpy()
    return (
        d.with_row_index("_seq")
        .join(files, on=["agency", "report_year"], maintain_order="left")
        .with_columns(
            kode_wilayah=kode.gather(d["desa_idx"]),
            nik=pl.col("nik_num").cast(pl.String),
            idbdt=pl.when(pl.col("give_idbdt") & ~pl.col("outside_bdt"))
            .then(idbdt.gather(np.maximum(hh, 0)))
            .otherwise(None),
            sumber_dana=pl.lit(None, dtype=pl.String),
            dirt_kind=pl.lit(None, dtype=pl.String),
            dirt_column=pl.lit(None, dtype=pl.String),
        )
        .sort("file", "kode_program", "kode_wilayah", "tanggal", "nik_num", "_seq")
        .with_columns(row=pl.int_range(1, pl.len() + 1).over("file"))
        .drop("_seq")
    )


def blocks(d: pl.DataFrame) -> list[tuple[str, int, int]]:
    """(file, first row, rows) of each file; `d` is sorted by file, so a file is a zero-copy slice."""
    names, first, count = np.unique(d["file"].to_numpy(), return_index=True, return_counts=True)
    return [(str(f), int(i), int(n)) for f, i, n in zip(names, first, count, strict=True)]


def spell_funding(d: pl.DataFrame, spellings: dict[str, list[str]], seed: int) -> pl.DataFrame:
    """`sumber_dana` as each file writes it: mostly its own spelling of each budget, sometimes another."""
    budgets = sorted(spellings)
    variants = [[_case(s, st) for s in spellings[c] for st in ("smart", "upper", "lower")] for c in budgets]
    offset = np.cumsum([0] + [len(v) for v in variants])
    canon = d["sumber_canonical"].replace_strict(budgets, list(range(len(budgets))), return_dtype=pl.Int8)
    canon = canon.to_numpy()
    chosen = np.zeros(d.height, dtype=np.int64)  # index into all variants
    for file, start, n in blocks(d):
        rng = stream(seed, f"funding-{file}")
        own = rng.random(n) < 0.85
        other = rng.random(n)
        for i, pool in enumerate(variants):  # loop over the four budgets, not rows
            at = np.flatnonzero(canon[start : start + n] == i)
            idx = np.where(own[at], rng.integers(0, len(pool)), (other[at] * len(pool)).astype(np.int64))
            chosen[at + start] = offset[i] + idx
    every = pl.Series("sumber_dana", [v for pool in variants for v in pool], dtype=pl.String)
    return d.with_columns(every.gather(chosen))


def _case(spelling: str, style: str) -> str:
    if style == "upper":
        return spelling.upper()
    if style == "lower":
        return spelling
    return " ".join(t.upper() if t.strip("().") in ACRONYMS else t.capitalize() for t in spelling.split(" "))


def inject(d: pl.DataFrame, w: World, rng: np.random.Generator, rate: float) -> pl.DataFrame:
    """Dirty some delivery rows (typed, before rendering); truth columns follow a replaced beneficiary."""
    kinds = list(dirt.EXPECTED["interventions"])
    files = d["file"].unique().sort().to_list()
    first = dict(zip(*np.unique(d["file"].to_numpy(), return_index=True), strict=True))
    candidates = {f: d["row"].filter(d["file"] == f).to_numpy() - 1 for f in files}
    chosen = dirt.plan(rng, candidates, kinds, d.height, rate)
    at = {
        k: [rows + first[f] for f, by_kind in chosen.items() for kk, rows in by_kind.items() if kk == k]
        for k in kinds
    }
    at = {k: np.sort(np.concatenate(v)) if v else np.zeros(0, dtype=np.int64) for k, v in at.items()}
    for kind, rows in at.items():
        d = _dirty(d, kind, rows, w, rng)
    return d


def _scatter(d: pl.DataFrame, column: str, at: np.ndarray, values: pl.Series) -> pl.Series:
    return d[column].clone().scatter(at, values.cast(d[column].dtype))


def _dirty(d: pl.DataFrame, kind: str, at: np.ndarray, w: World, rng: np.random.Generator) -> pl.DataFrame:
    """Apply one kind to the given rows (positions in `d`) and mark them."""
    n = len(at)
    if n == 0:
        return d
    column = {"future_date": "tanggal", "negative_amount": "nilai_rp", "unknown_region": "kode_wilayah",
              "unknown_funding_source": "sumber_dana", "deceased_beneficiary": "nik", "nik_scientific": "nik"}[kind]  # fmt: skip
    d = d.with_columns(
        dirt_kind=_scatter(d, "dirt_kind", at, pl.Series([kind] * n)),
        dirt_column=_scatter(d, "dirt_column", at, pl.Series([column] * n)),
    )
    if kind == "future_date":
        return d.with_columns(
            tanggal=_scatter(d, "tanggal", at, d["tanggal"].gather(at).dt.offset_by(dirt.FUTURE_OFFSET))
        )
    if kind == "negative_amount":
        return d.with_columns(nilai=_scatter(d, "nilai", at, -d["nilai"].gather(at)))
    if kind == "unknown_region":  # Kemendagri desa numbers stop at 2041: 29xx exists nowhere
        fake = d["kode_wilayah"].gather(at).str.slice(0, 6) + pl.Series(
            rng.integers(2900, 3000, n).astype(str)
        )
        return d.with_columns(kode_wilayah=_scatter(d, "kode_wilayah", at, fake))
    if kind == "unknown_funding_source":
        return d.with_columns(
            sumber_dana=_scatter(d, "sumber_dana", at, dirt.pick(rng, dirt.UNKNOWN_FUNDING, n))
        )
    if kind == "nik_scientific":
        return d.with_columns(nik=_scatter(d, "nik", at, dirt.scientific(d["nik"].gather(at))))
    return _deceased(d, at, w, rng)


def _deceased(d: pl.DataFrame, at: np.ndarray, w: World, rng: np.random.Generator) -> pl.DataFrame:
    """Deliveries to BDT members recorded as deceased, in the agency's area when it has any."""
    dead = np.flatnonzero(w.people["keberadaan"].to_numpy() == DECEASED)
    regency = d["agency_regency"].gather(at).cast(pl.Int16).fill_null(0).to_numpy()
    persons = np.full(len(at), -1, dtype=np.int64)
    for code in np.unique(regency):  # loop over the few agency areas
        rows = np.flatnonzero(regency == code)
        local = w.person_kab[dead] == code
        pool = dead[local] if local.any() else dead
        pool = np.setdiff1d(pool, persons)
        persons[rows[: len(pool)]] = rng.choice(pool, size=min(len(rows), len(pool)), replace=False)
    keep = persons >= 0
    if not keep.all():  # fewer deceased members than rows asked for: those rows stay clean
        none = pl.Series([None] * int((~keep).sum()), dtype=pl.String)
        d = d.with_columns(
            dirt_kind=_scatter(d, "dirt_kind", at[~keep], none),
            dirt_column=_scatter(d, "dirt_column", at[~keep], none),
        )
    at, persons = at[keep], persons[keep]
    hh = w.people["hh_idx"].to_numpy()[persons]
    n = len(at)
    updates = {
        "nik": w.people["nik"].gather(persons).cast(pl.String),
        "nik_num": w.people["nik"].gather(persons),
        "nama": w.people["nama"].gather(persons),
        "kode_wilayah": w.geo.desa["village_code"].gather(w.hh["desa_idx"].to_numpy()[hh]),
        "person": pl.Series(persons),
        "hh": pl.Series(hh),
        "decile": pl.Series(w.hh["decile"].to_numpy()[hh]),
        "idbdt": pl.Series([None] * n, dtype=pl.String),
        "deceased": pl.Series([True] * n),
        "outside_bdt": pl.Series([False] * n),
        "meets_need": pl.Series([False] * n),
    }
    return d.with_columns(**{c: _scatter(d, c, at, v) for c, v in updates.items()})


@dataclass(frozen=True)
class Style:
    """How one agency writes its report file."""

    header: str  # lower | upper | title
    order: list[str]
    extra: str | None  # no | keterangan | None
    dates: str  # dmy | iso | serial | mixed
    dots: bool  # amounts with thousands dots
    dotted: float  # share of region codes written 18.01.04.2001
    bom: bool
    crlf: bool


def style_for(file: str, seed: int, xlsx: bool) -> Style:
    """A file's style, drawn from its own stream (sheets never mix date formats in one column)."""
    rng = stream(seed, f"style-{file}")
    order = list(COLUMNS)
    if rng.random() < 0.6:
        order = [order[i] for i in rng.permutation(len(order))]
    return Style(
        header=["lower", "upper", "title"][rng.integers(0, 3)],
        order=order,
        extra=[None, "no", "keterangan"][rng.integers(0, 3)],
        dates=["dmy", "iso", "serial"][rng.integers(0, 3)]
        if xlsx
        else ["dmy", "iso", "serial", "mixed"][rng.integers(0, 4)],
        dots=bool(rng.random() < 0.5),
        dotted=[0.0, 0.15, 1.0][rng.integers(0, 3)],
        bom=bool(rng.random() < 0.3),
        crlf=bool(rng.random() < 0.5),
    )


def _thousands(col: str) -> pl.Expr:
    """Rupiah with thousands dots (`1.500.000`), as Indonesian spreadsheets show them."""
    v = pl.col(col).abs()
    g = [(v // 10**e % 1000) for e in (9, 6, 3, 0)]
    p = [x.cast(pl.String).str.zfill(3) for x in g]
    body = (
        pl.when(v >= 10**9).then(pl.concat_str(g[0].cast(pl.String), pl.lit("."), p[1], pl.lit("."), p[2], pl.lit("."), p[3]))
        .when(v >= 10**6).then(pl.concat_str(g[1].cast(pl.String), pl.lit("."), p[2], pl.lit("."), p[3]))
        .when(v >= 10**3).then(pl.concat_str(g[2].cast(pl.String), pl.lit("."), p[3]))
        .otherwise(g[3].cast(pl.String))
    )  # fmt: skip
    return pl.when(pl.col(col) < 0).then(pl.concat_str(pl.lit("-"), body)).otherwise(body)


def render(rows: pl.DataFrame, style: Style, xlsx: bool, seed: int, file: str) -> pl.DataFrame:
    """The file's table: its columns, order and formats (text for csv; numbers where a sheet has them)."""
    rng = stream(seed, f"render-{file}")
    n = rows.height
    serial = (pl.col("tanggal") - pl.lit(SERIAL_EPOCH).cast(pl.Date)).dt.total_days()
    dmy = pl.col("tanggal").dt.strftime("%d/%m/%Y")
    iso = pl.col("tanggal").dt.strftime("%Y-%m-%d")
    pick = pl.Series(rng.integers(0, 3, n))
    dates = {"dmy": dmy, "iso": iso, "serial": serial if xlsx else serial.cast(pl.String)}.get(
        style.dates, pl.when(pick == 0).then(dmy).when(pick == 1).then(iso).otherwise(serial.cast(pl.String))
    )
    dotted = pl.concat_str(
        *[pl.col("kode_wilayah").str.slice(a, b) for a, b in ((0, 2), (2, 2), (4, 2), (6, 4))], separator="."
    )
    amount = (
        _thousands("nilai") if style.dots else (pl.col("nilai") if xlsx else pl.col("nilai").cast(pl.String))
    )
    table = (
        rows.with_columns(dot=pl.Series(rng.random(n) < style.dotted))
        .select(
            tahun=pl.col("report_year").cast(pl.Int64) if xlsx else pl.col("report_year").cast(pl.String),
            kode_program="kode_program",
            nama_program="nama_program",
            sumber_dana="sumber_dana",
            opd="opd",
            kode_wilayah=pl.when(pl.col("dot")).then(dotted).otherwise("kode_wilayah"),
            nik="nik",
            nama="nama",
            idbdt="idbdt",
            tanggal=dates,
            nilai_rp=amount,
            satuan="satuan",
        )
        .select(style.order)
    )
    if style.extra == "no":
        table = table.select(
            pl.int_range(1, n + 1).alias("no")
            if xlsx
            else pl.int_range(1, n + 1).cast(pl.String).alias("no"),
            pl.all(),
        )
    elif style.extra == "keterangan":
        note = pl.Series(["Tahap I", "Tahap II", "Tahap III", None], dtype=pl.String).gather(
            rng.integers(0, 4, n)
        )
        table = table.with_columns(keterangan=note)
    return table
