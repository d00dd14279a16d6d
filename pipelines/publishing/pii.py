"""The last line of defence against personal data in the BI publication.

The marts are aggregates and should never carry NIK, KK numbers, names or addresses (UU 27/2022; dashboards
need counts, not names). dbt owns that, but a mistake there (a join that drags `nama_krt` along, a debug
column) would otherwise reach every BI tool the same night. So publishing refuses a table whose column names
look personal or whose text values contain a NIK/KK-like 16-digit number; the run fails and the previous
publication stays in place.
"""

import re

import duckdb

# Which column names are personal: pipelines/personal_data.py, one list for the whole project.
from pipelines.personal_data import not_for_bi

# A run of exactly 16 digits standing alone (not inside a longer number, a code or a hex id such as a sha256
# or a run id): what a NIK or a KK number looks like, also behind a leading apostrophe or `NIK: `.
NIK_LIKE_SQL = r"(^|[^0-9A-Za-z])[0-9]{16}([^0-9A-Za-z]|$)"
NIK_LIKE = re.compile(NIK_LIKE_SQL)


def find_personal_data(con: duckdb.DuckDBPyConnection, schema: str, tables: list[str]) -> list[str]:
    """Problems found in `schema.<table>` for each table: personal-looking columns, NIK-like values."""
    problems: list[str] = []
    for table in tables:
        cols = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        for name, dtype in cols:
            if not_for_bi(name):
                problems.append(f"{table}.{name}: column name looks like personal data")
            if dtype == "VARCHAR":
                n = con.execute(
                    f'select count(*) from {schema}."{table}" where regexp_matches("{name}", ?)',
                    [NIK_LIKE_SQL],
                ).fetchone()[0]
                if n:
                    problems.append(f"{table}.{name}: {n} value(s) look like a NIK or KK number")
    return problems
