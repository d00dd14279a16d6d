"""The suites in `expectations/`: read, thresholds filled in, checked for shape. No GX import here.

Why a loader of our own: a suite file is GX 1.x suite JSON plus three conveniences that keep it reviewable
(see expectations/README.md): `meta.gate` says which asset and which SQL the suite validates, SQL may be
written as a list of lines, and `${name}` placeholders take their values from expectations/thresholds.yml
(or from the paths below) before GX sees the suite, so a result shows the threshold actually applied.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines import settings

THRESHOLDS_FILE = "thresholds.yml"
PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")
SQL_KWARGS = ("unexpected_rows_query",)


@dataclass(frozen=True)
class Suite:
    """One suite ready for GX: `expectations` are GX expectation configurations with values filled in."""

    name: str
    asset_key: tuple[str, ...]
    description: str
    batch_query: str
    index_columns: list[str]
    expectations: list[dict[str, Any]]
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def rules(self) -> list[str]:
        return [e["meta"]["rule"] for e in self.expectations]

    def gx_dict(self) -> dict[str, Any]:
        """The suite as GX 1.x suite JSON (what `gx.ExpectationSuite` is built from)."""
        return {"name": self.name, "expectations": self.expectations, "meta": self.meta}


def expectations_dir() -> Path:
    return settings.EXPECTATIONS_DIR


def load_thresholds(directory: Path | None = None) -> dict[str, Any]:
    """Thresholds by name. Every entry is `name: {value: ..., why: ...}` so the file documents itself."""
    raw = yaml.safe_load(((directory or expectations_dir()) / THRESHOLDS_FILE).read_text())
    return {name: entry["value"] for name, entry in raw.items()}


def path_values() -> dict[str, str]:
    """Placeholders for reference files that SQL may read directly (the same files landing uses)."""
    return {"reference_dir": str(settings.REFERENCE_DIR), "seeds_dir": str(settings.SEEDS_DIR)}


def _sql(value: Any) -> Any:
    return "\n".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else value


def _literal(value: Any, in_list: bool = False) -> str:
    """SQL text for a value: numbers as numbers, a list as `a, b` (its strings quoted), a string as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return ", ".join(_literal(v, in_list=True) for v in value)
    text = str(value).replace("'", "''")
    return f"'{text}'" if in_list else text


def fill(value: Any, values: dict[str, Any], used: set[str] | None = None) -> Any:
    """Replace `${name}` placeholders. A string that is only a placeholder takes the value with its type."""
    if isinstance(value, dict):
        return {k: fill(v, values, used) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values, used) for v in value]
    if not isinstance(value, str):
        return value

    def lookup(name: str) -> Any:
        if name not in values:
            raise KeyError(f"placeholder ${{{name}}} has no value in {THRESHOLDS_FILE}")
        if used is not None:
            used.add(name)
        return values[name]

    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        return lookup(whole.group(1))
    return PLACEHOLDER.sub(lambda m: _literal(lookup(m.group(1))), value)


def parse_suite(path: Path, values: dict[str, Any], used: set[str] | None = None) -> Suite:
    doc = json.loads(path.read_text())
    gate = doc.get("meta", {}).get("gate")
    if not gate:
        raise ValueError(f"{path.name}: meta.gate (asset_key, batch_query) is missing")
    expectations = []
    for number, e in enumerate(doc["expectations"], 1):
        kwargs = {k: _sql(v) if k in SQL_KWARGS else v for k, v in e.get("kwargs", {}).items()}
        meta = dict(e.get("meta", {}))
        if "sample_query" in meta:
            meta["sample_query"] = fill(_sql(meta["sample_query"]), values, used)
        if not meta.get("rule"):
            raise ValueError(f"{path.name}: expectation {number} ({e['type']}) has no meta.rule name")
        expectations.append({"type": e["type"], "kwargs": fill(kwargs, values, used), "meta": meta})
    rules = [e["meta"]["rule"] for e in expectations]
    duplicated = sorted({r for r in rules if rules.count(r) > 1})
    if duplicated:
        raise ValueError(f"{path.name}: rule names used twice: {duplicated}")
    return Suite(
        name=doc["name"],
        asset_key=tuple(gate["asset_key"]),
        description=gate.get("description", doc.get("notes") or ""),
        batch_query=fill(_sql(gate["batch_query"]), values, used),
        index_columns=list(gate.get("index_columns", [])),
        expectations=expectations,
        path=path,
        meta={k: v for k, v in doc.get("meta", {}).items() if k != "gate"},
    )


def suite_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or expectations_dir()).glob("*.json"))


def load_suites(directory: Path | None = None, thresholds: dict[str, Any] | None = None) -> list[Suite]:
    """Every suite in the folder, thresholds filled in. Raises on an unknown placeholder or a bad file."""
    directory = directory or expectations_dir()
    values = {**(thresholds if thresholds is not None else load_thresholds(directory)), **path_values()}
    return [parse_suite(p, values) for p in suite_files(directory)]


@dataclass(frozen=True)
class SuiteHeader:
    """What declaring a check needs: read from the JSON alone, without thresholds or GX."""

    name: str
    asset_key: tuple[str, ...]
    description: str
    reads: tuple[tuple[str, ...], ...]
    path: Path


def suite_headers(directory: Path | None = None) -> list[SuiteHeader]:
    """One header per suite file. `reads`: other assets the suite's SQL reads (run after them)."""
    headers = []
    for path in suite_files(directory):
        doc = json.loads(path.read_text())
        gate = doc["meta"]["gate"]
        headers.append(
            SuiteHeader(
                name=doc["name"],
                asset_key=tuple(gate["asset_key"]),
                description=gate.get("description", ""),
                reads=tuple(tuple(k) for k in gate.get("reads", [])),
                path=path,
            )
        )
    return headers


def dump(doc: Any, indent: int = 0) -> str:
    """JSON as the suite files are written: objects one key a line, lists of scalars and kwargs inline."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(doc, dict):
        if not doc:
            return "{}"
        flat = all(not isinstance(v, dict | list) or _scalar_list(v) for v in doc.values())
        if flat and len(json.dumps(doc, ensure_ascii=False)) <= 100:
            return json.dumps(doc, ensure_ascii=False)
        items = [f"{inner}{json.dumps(k)}: {dump(v, indent + 1)}" for k, v in doc.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(doc, list):
        if _scalar_list(doc) and (len(json.dumps(doc, ensure_ascii=False)) <= 100 or not doc):
            return json.dumps(doc, ensure_ascii=False)
        return "[\n" + ",\n".join(f"{inner}{dump(v, indent + 1)}" for v in doc) + f"\n{pad}]"
    return json.dumps(doc, ensure_ascii=False)


def _scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def load_suite(name: str, directory: Path | None = None) -> Suite:
    """One suite by name, with the thresholds as they are in the file now (read at run time)."""
    directory = directory or expectations_dir()
    values = {**load_thresholds(directory), **path_values()}
    for path in suite_files(directory):
        if json.loads(path.read_text())["name"] == name:
            return parse_suite(path, values)
    raise KeyError(f"no suite named {name!r} in {directory}")
