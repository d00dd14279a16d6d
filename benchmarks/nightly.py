"""`make bench`: the whole nightly job at province scale (and 2x, 4x), measured, with its floor.

For each scale multiplier:
1. demo extracts generated once and cached (`$TKPK_DATA_DIR/bench/raw_<base>_x<m>`; data generation is not
   part of any figure);
2. a cold run on an empty warehouse, in a fresh process, as the schedule runs it (in-process executor):
   wall time per stage (landing, dbt, checks, publish), end to end, peak resident memory, landing rows/s;
3. a second run with no new files (the common nightly case);
4. the floor: the same marts computed by one plain DuckDB script over the landed tables (dbt's compiled SQL
   run in dependency order, no Dagster, no dbt, no checks) plus the landing's bare file reading (polars);
   orchestration overhead = end to end - floor.

Results: `$TKPK_DATA_DIR/bench/results.json` and `results.md` (the table the README carries).
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import psutil

from pipelines import settings
from pipelines.resources import warehouse_resource

REPO = settings.REPO_ROOT


def raw_cache(base: str, multiplier: int, root: Path, seed: int) -> Path:
    """Demo extracts for base scale x multiplier, generated on first use."""
    from demo_data import generate
    from demo_data.scales import SCALES, Scale

    name = base if multiplier == 1 else f"{base}_x{multiplier}"
    if name not in SCALES:
        b = SCALES[base]
        SCALES[name] = Scale(name, b.households * multiplier, b.regencies)
    out = root / f"raw_{name}"
    if not (out / "_demo" / "manifest.json").exists():
        shutil.rmtree(out, ignore_errors=True)
        print(f"generating {name} demo extracts into {out} (cached for later runs) ...", flush=True)
        started = time.perf_counter()
        generate(out=out, scale=name, seed=seed)
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    return out


def fresh_data_dir(work: Path, raw: Path) -> Path:
    """An empty warehouse and publication over the cached extracts (linked, not copied)."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "marts").mkdir(parents=True)
    (work / "raw").symlink_to(raw.resolve(), target_is_directory=True)
    return work


def run_job(data_dir: Path) -> dict:
    env = {**os.environ, "TKPK_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(data_dir / "dagster_home")}
    (data_dir / "dagster_home").mkdir(exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run_job", "--data-dir", str(data_dir)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def compiled_models(data_dir: Path) -> list[tuple[str, str, str, str]]:
    """(schema, name, materialization, SQL) of every dbt model in dependency order, compiled by dbt."""
    target = data_dir / "dbt_compile"
    env = {**os.environ, "TKPK_DATA_DIR": str(data_dir), "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR)}
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "compile", "--quiet", "--target-path", str(target)],
        cwd=settings.DBT_PROJECT_DIR,
        env=env,
        check=True,
    )
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    order, done = [], set()

    def visit(key: str) -> None:
        if key in done:
            return
        done.add(key)
        for dep in nodes[key]["depends_on"]["nodes"]:
            if dep in nodes:
                visit(dep)
        order.append(key)

    for key in sorted(nodes):
        visit(key)
    shutil.rmtree(target, ignore_errors=True)
    return [
        (n["schema"], n["name"], n["config"]["materialized"], n["compiled_code"])
        for n in (nodes[k] for k in order)
    ]


def floor(data_dir: Path, raw: Path) -> dict:
    """The work itself: bare file reading, and the marts in one plain DuckDB connection."""
    started = time.perf_counter()
    rows = 0
    for path in sorted(raw.rglob("*")):
        if path.is_file() and "_demo" not in path.parts:
            if path.suffix == ".csv":
                with path.open("rb") as fh:
                    head = fh.read(4096)
                sep = ";" if head.count(b";") > head.count(b",") else ","
                rows += pl.read_csv(path, separator=sep, infer_schema=False, encoding="utf8-lossy").height
            elif path.suffix == ".xlsx":
                rows += pl.read_excel(path, engine="calamine", infer_schema_length=0).height
    reading = time.perf_counter() - started

    models = compiled_models(data_dir)
    warehouse = warehouse_resource(resolve=True)  # the run's warehouse: TKPK_DATA_DIR is `data_dir` here
    scratch = data_dir / "floor" / warehouse.db_path().name  # dbt's SQL names the catalog after the file
    scratch.parent.mkdir(exist_ok=True)
    shutil.copyfile(warehouse.db_path(), scratch)
    started = time.perf_counter()
    with duckdb.connect(str(scratch)) as con:
        con.execute(f"set memory_limit = '{warehouse.memory_limit}'").fetchall()
        for schema in {m[0] for m in models}:  # start from the landed tables and seeds only
            con.execute(f"drop schema if exists {schema} cascade").fetchall()
        started = time.perf_counter()
        for schema, name, materialized, sql in models:
            kind = "view" if materialized == "view" else "table"
            con.execute(f"create schema if not exists {schema}").fetchall()
            con.execute(f"create {kind} {schema}.{name} as {sql}").fetchall()
    marts = time.perf_counter() - started
    shutil.rmtree(scratch.parent)
    return {"file_reading_s": round(reading, 2), "marts_sql_s": round(marts, 2), "rows_read": rows}


def bench_scale(base: str, multiplier: int, root: Path, seed: int, with_floor: bool) -> dict:
    raw = raw_cache(base, multiplier, root, seed)
    work = fresh_data_dir(root / f"run_{base}_x{multiplier}", raw)
    os.environ["TKPK_DATA_DIR"] = str(work)
    print(f"[{base} x{multiplier}] cold run ...", flush=True)
    cold = run_job(work)
    print(f"  {cold['wall_s']} s, peak {cold['peak_rss_mb']} MB, success={cold['success']}", flush=True)
    print(f"[{base} x{multiplier}] second run, no new files ...", flush=True)
    warm = run_job(work)
    print(f"  {warm['wall_s']} s, peak {warm['peak_rss_mb']} MB", flush=True)
    result = {"base": base, "multiplier": multiplier, "cold": cold, "no_new_files": warm}
    landing = cold["stages_s"].get("landing", 0)
    result["landing_rows_per_s"] = round(cold["rows_read"] / landing) if landing else None
    if with_floor:
        print(f"[{base} x{multiplier}] floor: plain DuckDB ...", flush=True)
        result["floor"] = f = floor(work, raw)
        floor_s = f["file_reading_s"] + f["marts_sql_s"]
        result["overhead_s"] = round(cold["wall_s"] - floor_s, 2)
        result["overhead_share"] = round(result["overhead_s"] / cold["wall_s"], 3)
    return result


def machine() -> str:
    mem = psutil.virtual_memory().total / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def markdown(results: list[dict]) -> str:
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        "",
        "| scale | households | end to end | landing | dbt | checks | publish | load+start | peak RSS | "
        "landing rows/s | no new files | floor (read + SQL) | overhead |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c, s = r["cold"], r["cold"]["stages_s"]
        f = r.get("floor")
        floor_text = f"{f['file_reading_s']} + {f['marts_sql_s']} s" if f else "-"
        overhead = f"{r['overhead_s']} s ({r['overhead_share']:.0%})" if f else "-"
        lines.append(
            f"| {r['base']} x{r['multiplier']} | {r.get('households', '')} | {c['wall_s']} s | "
            f"{s.get('landing', 0)} s | {s.get('dbt', 0)} s | {s.get('checks', 0)} s | {s.get('publish', 0)} s | "
            f"{c['load_s']} s | {c['peak_rss_mb']} MB | {r['landing_rows_per_s'] or '-'} | "
            f"{r['no_new_files']['wall_s']} s | {floor_text} | {overhead} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nightly", description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="province", choices=["tiny", "small", "province"])
    parser.add_argument("--scale", default="1,2,4", help="comma-separated multipliers of the base scale")
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--no-floor", action="store_true", help="skip the plain-DuckDB floor")
    parser.add_argument("--out", type=Path, default=None, help="bench folder (default $TKPK_DATA_DIR/bench)")
    args = parser.parse_args(argv)
    root = (args.out or warehouse_resource(resolve=True).data_path() / "bench").resolve()
    root.mkdir(parents=True, exist_ok=True)
    results = []
    for m in (int(x) for x in args.scale.split(",")):
        r = bench_scale(args.base, m, root, args.seed, not args.no_floor)
        manifest = json.loads(
            (root / f"raw_{args.base if m == 1 else f'{args.base}_x{m}'}/_demo/manifest.json").read_text()
        )
        r["households"] = sum(v for k, v in manifest["files"].items() if "BDT2015_RT_" in k)
        results.append(r)
    report = {"machine": machine(), "measured_at": datetime.now(UTC).isoformat(), "results": results}
    (root / "results.json").write_text(json.dumps(report, indent=2))
    (root / "results.md").write_text(markdown(results))
    print(markdown(results))
    print(f"results: {root / 'results.json'} and {root / 'results.md'}")
    return 0 if all(r["cold"]["success"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
