"""Markdown tables for Dagster metadata: the one way this project turns rows into a table the UI renders."""

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

MAX_CELL = 60


def cell(value: Any, max_len: int = MAX_CELL) -> str:
    """One table cell: no pipe or newline can break the table, long values are cut."""
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def table(rows: Iterable[Mapping[str, Any]], empty: str = "(none)") -> str:
    """Rows as a Markdown table; the columns are the union of the rows' keys, in first-seen order."""
    rows = list(rows)
    if not rows:
        return empty
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def frame_table(frame: pl.DataFrame, empty: str = "(none)") -> str:
    return table(frame.to_dicts(), empty) if frame.width else empty
