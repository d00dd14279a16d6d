"""The audit scan of a whole publication for personal data, used by the PII tests (and runnable by hand).

Publishing itself refuses personal-looking columns and NIK-like values (`pipelines.publishing.pii`); this scan
goes further, after the fact: every file of every release, and the actual names and addresses of the source.
"""

import csv
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.personal_data import not_for_bi
from pipelines.publishing.pii import NIK_LIKE, NIK_LIKE_SQL


def region_names() -> set[str]:
    """Names of every kab/kota, kecamatan and desa in Lampung (both systems' spellings).

    Desa are often named like people (a desa "Bambang", a man Bambang): a region name in a mart is not a leak.
    """
    names: set[str] = set()
    for file in ("regencies.csv", "districts.csv", "villages.csv"):
        with open(settings.REFERENCE_DIR / file, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for col in ("name", "short_name", "bps_name", "name_kepmendagri_2025"):
                    if row.get(col):
                        names.add(_norm(row[col]))
    return names


def _norm(text: str) -> str:
    return " ".join(str(text).split()).lower()


def _needle_table(con: duckdb.DuckDBPyConnection, needles: list[str], allowed: set[str]) -> None:
    cleaned = sorted({_norm(n) for n in needles if n and n.strip()} - allowed)
    con.execute("create or replace temp table _needles (s varchar, multiword boolean)")
    if cleaned:
        con.executemany("insert into _needles values (?, ?)", [(n, " " in n) for n in cleaned])


def _scan_relation(con: duckdb.DuckDBPyConnection, label: str, relation: str) -> list[str]:
    problems: list[str] = []
    cols = con.execute(f"describe select * from {relation}").fetchall()
    for name, dtype, *_ in cols:
        if not_for_bi(name):
            problems.append(f"{label}: column {name!r} looks like personal data")
        if dtype != "VARCHAR":
            continue
        col = '"' + name.replace('"', '""') + '"'
        n = con.execute(
            f"select count(*) from {relation} where regexp_matches({col}, ?)", [NIK_LIKE_SQL]
        ).fetchone()[0]
        if n:
            problems.append(f"{label}.{name}: {n} NIK/KK-like value(s)")
        hits = con.execute(
            f"with v as (select distinct lower(trim(regexp_replace({col}, '\\s+', ' ', 'g'))) as s "
            f"from {relation} where {col} is not null) "
            "select v.s, n.s from v join _needles n on v.s = n.s or (n.multiword and contains(v.s, n.s)) "
            "limit 5"
        ).fetchall()
        if hits:
            problems.append(
                f"{label}.{name}: values containing personal data from the source, e.g. {hits[:3]}"
            )
    return problems


def scan_publication(marts_dir, needles: list[str], allowed: set[str] | None = None) -> list[str]:
    """Scan every published file under `marts_dir` (all releases, every Parquet file and every table of
    every serving DuckDB file) for personal-looking column names, NIK/KK-like values, and any of `needles`
    (names and addresses from the source): a value equal to a needle, or containing a multi-word one.
    Needles that are also `allowed` (by default: Lampung's region names) are not looked for.
    Returns the problems found (empty: clean). An audit tool, and what the PII tests assert on.
    """
    marts_dir = Path(marts_dir)
    allowed = region_names() if allowed is None else {_norm(a) for a in allowed}
    con = duckdb.connect()
    problems: list[str] = []
    try:
        _needle_table(con, needles, allowed)
        files = sorted(p for p in marts_dir.rglob("*") if p.is_file() and not p.is_symlink())
        for i, path in enumerate(files):
            rel = path.relative_to(marts_dir).as_posix()
            if path.suffix == ".parquet":
                lit = "'" + str(path).replace("'", "''") + "'"
                problems += _scan_relation(con, rel, f"read_parquet({lit})")
            elif path.suffix == ".duckdb":
                lit = "'" + str(path).replace("'", "''") + "'"
                con.execute(f"attach {lit} as scan{i} (read_only)")
                tables = con.execute(
                    "select schema_name, table_name from duckdb_tables() where database_name = ?",
                    [f"scan{i}"],
                ).fetchall()
                for schema, table in tables:
                    problems += _scan_relation(
                        con, f"{rel}:{schema}.{table}", f'scan{i}."{schema}"."{table}"'
                    )
                con.execute(f"detach scan{i}")
            elif path.suffix in (".json", ".md"):
                text = path.read_text(encoding="utf-8", errors="replace")
                if NIK_LIKE.search(text):
                    problems.append(f"{rel}: NIK/KK-like number in the text")
    finally:
        con.close()
    return problems
