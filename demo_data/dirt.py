"""Injected dirt: which rows go bad, how, and what the landing is expected to do with each.

Each file type gets `dirt_rate` of its rows spread evenly over its kinds (at least one row of every kind
when the rate is positive, so even the tiny scale exercises them all); rows are drawn without replacement,
so a row carries exactly one kind and stays valid in every other respect. Duplicates are exact copies of a
clean row inserted later in the same file. Rows are only taken from BDT units no delivery refers to, so
quarantining or flagging them never changes who the interventions reached. Every injection is recorded in
`_demo/dirt.csv` with the data-row number it has in the written file (first row after the header = 1).
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

from demo_data.bdt import ART_YES_NO, RT_YES_NO, YES_NO

EXPECTED: dict[str, dict[str, str]] = {
    "rt": {
        "duplicate_idbdt": "quarantine:duplicate_key",
        "unknown_region": "quarantine:unknown_region",
        "lost_leading_zero": "restored",
        "decile_out_of_range": "quarantine:decile_out_of_range",
        "bad_yes_no": "quarantine:bad_code",
        "bad_number": "quarantine:bad_value",
    },
    "art": {
        "duplicate_idartbdt": "quarantine:duplicate_key",
        "nik_scientific": "flag:nik_valid",
        "nik_apostrophe": "restored",
        "nik_spaced": "restored",
        "nik_short": "flag:nik_valid",
        "nik_empty": "flag:nik_valid",
        "bad_yes_no": "quarantine:bad_code",
        "bad_birth_date": "flag:tgllahir_valid",
    },
    "ikd": {
        "duplicate_desa": "quarantine:duplicate_key",
        "score_out_of_range": "quarantine:out_of_range",
    },
    "interventions": {
        "future_date": "quarantine:future_date",
        "negative_amount": "quarantine:negative_amount",
        "unknown_region": "quarantine:unknown_region",
        "unknown_funding_source": "quarantine:unknown_funding_source",
        "deceased_beneficiary": "flag:flag_deceased_beneficiary",
        "nik_scientific": "flag:nik_valid",
    },
}
ENCODING = ("encoding_cp1252", "restored")
RECORD_COLUMNS = ["kind", "file", "row", "column", "expected"]
UNKNOWN_FUNDING = ["Dana Desa??", "APBDes ??", "Swadaya??", "Dana ???"]
WORD_NUMBERS = {
    "luas_lantai": ["tiga puluh", "dua puluh lima", "empat puluh"],
    "Jumlah_ART": ["tiga", "empat", "lima"],
}
FUTURE_OFFSET = "45y"  # 2016 -> 2061, 2017 -> 2062: a typed year with swapped digits


@dataclass(frozen=True)
class Injection:
    """One kind applied to some rows of one file."""

    kind: str
    rows: np.ndarray  # 0-based positions in the clean frame
    columns: np.ndarray  # contract column name per row
    values: pl.Series | None  # new cell text per row; None = an exact copy of the row, inserted later


def per_kind(rate: float, rows: int, kinds: int) -> int:
    """Rows per kind: `rate` of the file type's rows split over its kinds, at least 1 when rate > 0."""
    return 0 if rate <= 0 or rows == 0 else max(1, round(rate * rows / kinds))


def plan(
    rng: np.random.Generator, candidates: dict[str, np.ndarray], kinds: list[str], rows: int, rate: float
) -> dict[str, dict[str, np.ndarray]]:
    """Distinct rows per file and kind, drawn uniformly from the candidate rows of all files of a type."""
    files = sorted(candidates)
    out: dict[str, dict[str, np.ndarray]] = {f: {} for f in files}
    if not files:
        return out
    file_of = np.concatenate([np.full(len(candidates[f]), i) for i, f in enumerate(files)])
    row_of = np.concatenate([np.asarray(candidates[f], dtype=np.int64) for f in files])
    k = min(per_kind(rate, rows, len(kinds)) * len(kinds), len(row_of))
    pick = rng.choice(len(row_of), size=k, replace=False)
    for j, kind in enumerate(kinds):
        sel = pick[j :: len(kinds)]  # round-robin: every kind gets rows even from a short pool
        for i in np.unique(file_of[sel]):
            out[files[i]][kind] = np.sort(row_of[sel][file_of[sel] == i])
    return out


def apply(df: pl.DataFrame, injections: list[Injection], expected: dict[str, str], rng: np.random.Generator
          ) -> tuple[pl.DataFrame, pl.DataFrame]:  # fmt: skip
    """The dirty frame (text) and its records (kind, row as written, column, expected)."""
    n = df.height
    copies = [inj for inj in injections if inj.values is None]
    for inj in injections:
        if inj.values is None:
            continue
        for column in np.unique(inj.columns):
            mask = inj.columns == column
            df = df.with_columns(
                df[column].clone().scatter(inj.rows[mask], inj.values.filter(pl.Series(mask)))
            )
    # each copy goes right after a random row at or after its source; sorting positions gives the final order
    sources = np.concatenate([inj.rows for inj in copies]) if copies else np.zeros(0, dtype=np.int64)
    after = sources + np.floor(rng.random(len(sources)) * (n - sources)).astype(np.int64)
    keys = np.r_[np.arange(n, dtype=np.float64), after + 0.5]
    final = np.empty(len(keys), dtype=np.int64)
    final[np.argsort(keys, kind="stable")] = np.arange(len(keys))
    out = _interleave(df, sources, after)
    marked = [(inj, inj.rows if inj.values is not None else None) for inj in injections]
    copy_rows = iter(final[n:])
    parts = []
    for inj, rows in marked:
        rows_written = final[rows] if rows is not None else np.array([next(copy_rows) for _ in inj.rows])
        parts.append(pl.DataFrame({"kind": inj.kind, "row": rows_written + 1, "column": inj.columns}))
    records = pl.concat([pl.DataFrame(schema={"kind": pl.String, "row": pl.Int64, "column": pl.String}), *parts],
                        how="vertical_relaxed")  # fmt: skip
    return out, records.with_columns(expected=pl.col("kind").replace_strict(expected, return_dtype=pl.String))


def _interleave(df: pl.DataFrame, sources: np.ndarray, after: np.ndarray) -> pl.DataFrame:
    """`df` with a copy of row `sources[i]` inserted after row `after[i]` (zero-copy slices between)."""
    if len(sources) == 0:
        return df
    order = np.argsort(after + np.arange(len(after)) / (len(after) + 1.0), kind="stable")
    pieces, start = [], 0
    for src, pos in zip(sources[order], after[order], strict=True):  # loop over the few copies
        pieces += [df.slice(start, pos + 1 - start), df.slice(int(src), 1)]
        start = pos + 1
    pieces.append(df.slice(start, df.height - start))
    return pl.concat(pieces, rechunk=False)


def pick(rng: np.random.Generator, options: list[str], n: int) -> pl.Series:
    return pl.Series(options, dtype=pl.String).gather(rng.integers(0, len(options), n))


def _bad_yes_no(
    rng: np.random.Generator, rows: np.ndarray, columns: list[str]
) -> tuple[np.ndarray, pl.Series]:
    """A value from the other pair: 1 or 2 in a 3/4 column, 3 or 4 in a 1/2 column."""
    cols = np.asarray(columns)[rng.integers(0, len(columns), len(rows))]
    other = np.where([YES_NO[c][0] == "1" for c in cols], "3", "1")
    bump = rng.integers(0, 2, len(rows))
    return cols, pl.Series((other.astype(np.int64) + bump).astype(str))


def rt_injections(
    df: pl.DataFrame, chosen: dict[str, np.ndarray], rng: np.random.Generator
) -> list[Injection]:
    """Injections for one RT file; values derive from the row's own cells where the kind needs them."""
    out = []
    for kind, rows in chosen.items():
        n = len(rows)
        if kind == "duplicate_idbdt":
            out.append(Injection(kind, rows, np.full(n, "IDBDT"), None))
        elif kind == "unknown_region":
            out.append(
                Injection(kind, rows, np.full(n, "KDDESA"), pick(rng, [f"9{i:02d}" for i in range(100)], n))
            )
        elif kind == "lost_leading_zero":
            kec = df["KDKEC"].gather(rows)
            use_kec = (kec.str.starts_with("0") & pl.Series(rng.random(n) < 0.5)).to_numpy()
            cols = np.where(use_kec, "KDKEC", "KDDESA")
            current = pl.Series(np.where(use_kec, kec.to_numpy(), df["KDDESA"].gather(rows).to_numpy()))
            out.append(Injection(kind, rows, cols, current.str.strip_chars_start("0")))
        elif kind == "decile_out_of_range":
            out.append(Injection(kind, rows, np.full(n, "status_kesejahteraan"), pick(rng, ["0", "5"], n)))
        elif kind == "bad_yes_no":
            cols, values = _bad_yes_no(rng, rows, RT_YES_NO)
            out.append(Injection(kind, rows, cols, values))
        elif kind == "bad_number":
            cols = np.where(rng.random(n) < 0.5, "luas_lantai", "Jumlah_ART")
            words = np.where(cols == "luas_lantai", pick(rng, WORD_NUMBERS["luas_lantai"], n).to_numpy(),
                             pick(rng, WORD_NUMBERS["Jumlah_ART"], n).to_numpy())  # fmt: skip
            out.append(Injection(kind, rows, cols, pl.Series(words)))
    return out


def scientific(nik: pl.Series) -> pl.Series:
    """How a spreadsheet shows a 16-digit number: 1.80101E+15."""
    return pl.Series(np.char.mod("%.6G", nik.cast(pl.Float64).to_numpy()), dtype=pl.String)


def art_injections(
    df: pl.DataFrame, chosen: dict[str, np.ndarray], rng: np.random.Generator
) -> list[Injection]:
    """Injections for one ART file; NIK kinds mangle the member's real NIK the way spreadsheets do."""
    out = []
    for kind, rows in chosen.items():
        n = len(rows)
        nik = df["NIK"].gather(rows)
        nik_col = np.full(n, "NIK")
        if kind == "duplicate_idartbdt":
            out.append(Injection(kind, rows, np.full(n, "IDARTBDT"), None))
        elif kind == "nik_scientific":
            out.append(Injection(kind, rows, nik_col, scientific(nik)))
        elif kind == "nik_apostrophe":
            out.append(Injection(kind, rows, nik_col, "'" + nik))
        elif kind == "nik_spaced":
            parts = [nik.str.slice(i, 4) for i in range(0, 16, 4)]
            out.append(
                Injection(kind, rows, nik_col, parts[0] + " " + parts[1] + " " + parts[2] + " " + parts[3])
            )
        elif kind == "nik_short":
            out.append(Injection(kind, rows, nik_col, nik.str.slice(0, 15)))
        elif kind == "nik_empty":
            out.append(Injection(kind, rows, nik_col, pl.Series([None] * n, dtype=pl.String)))
        elif kind == "bad_yes_no":
            cols, values = _bad_yes_no(rng, rows, ART_YES_NO)
            out.append(Injection(kind, rows, cols, values))
        elif kind == "bad_birth_date":
            date = df["TglLahir"].gather(rows)
            iso = date.str.contains("-")
            year = pl.Series(
                np.where(iso.to_numpy(), date.str.slice(0, 4).to_numpy(), date.str.slice(6, 4).to_numpy())
            )
            bad = pl.Series(
                np.where(iso.to_numpy(), (year + "-02-30").to_numpy(), ("31/02/" + year).to_numpy())
            )
            out.append(Injection(kind, rows, np.full(n, "TglLahir"), bad))
    return out


def ikd_injections(
    df: pl.DataFrame, chosen: dict[str, np.ndarray], rng: np.random.Generator
) -> list[Injection]:
    """Injections for the IKD file."""
    out = []
    for kind, rows in chosen.items():
        n = len(rows)
        if kind == "duplicate_desa":
            out.append(Injection(kind, rows, np.full(n, "kode_desa_bps"), None))
        elif kind == "score_out_of_range":
            out.append(Injection(kind, rows, np.full(n, "ikd"), pick(rng, ["120.00", "-5.00"], n)))
    return out


def records_frame(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """All records, in file order, with the contract's columns."""
    empty = pl.DataFrame(schema={c: (pl.Int64 if c == "row" else pl.String) for c in RECORD_COLUMNS})
    return pl.concat([empty, *[p.select(RECORD_COLUMNS) for p in parts]], how="vertical_relaxed")
