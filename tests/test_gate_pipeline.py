"""The gate in the whole nightly job (landing -> dbt -> gate -> publish) on demo extracts.

A clean delivery passes every suite and publishes. Then, from that published state, deliveries made bad in
one way each are landed: the right check fails naming the right rule, nothing downstream of the failed check
is materialised, and the published marts and lists stay byte-for-byte as they were.
"""

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines import settings

pytestmark = pytest.mark.slow

DBT = str(Path(sys.executable).parent / "dbt")
GATE_PREFIX = "gx_"


# --- running the job ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dbt_manifest() -> Path:
    """target/manifest.json, made with `dbt parse` when missing or older than a dbt source file."""
    manifest = settings.DBT_PROJECT_DIR / "target" / "manifest.json"
    sources = [settings.DBT_PROJECT_DIR / "dbt_project.yml", settings.DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += [p for p in (settings.DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    if not manifest.exists() or manifest.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        env = {**os.environ, "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR)}
        subprocess.run(
            [DBT, "parse", "--quiet"], cwd=settings.DBT_PROJECT_DIR, env=env, check=True, timeout=600
        )
        manifest.touch()
    return manifest


def run_nightly() -> dg.ExecuteInProcessResult:
    """The nightly job exactly as `make run` runs it, against TKPK_DATA_DIR of the environment."""
    from pipelines.definitions import defs

    with dg.DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def("nightly_refresh").execute_in_process(
            instance=instance, raise_on_error=False
        )


def gate_evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.asset_check_key.name: e
        for e in result.get_asset_check_evaluations()
        if e.asset_check_key.name.startswith(GATE_PREFIX)
    }


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def snapshot(data: Path, tops: tuple[str, ...] = ("marts", "restricted")) -> dict[str, str]:
    """Every published file's bytes (sha256) and every symlink's target, under marts/ and restricted/."""
    state: dict[str, str] = {}
    for top in tops:
        for path in sorted((data / top).rglob("*")) if (data / top).exists() else []:
            rel = str(path.relative_to(data))
            if path.is_symlink():
                state[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


# --- editing a delivery ---------------------------------------------------------------------------------------


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]], str, str]:
    """Header, rows (keys lower-cased), delimiter and encoding of a delivered CSV."""
    data = path.read_bytes()
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "cp1252", data.decode("cp1252")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = list(reader.fieldnames or [])
    return header, [{k.lower(): v for k, v in row.items()} for row in reader], delimiter, encoding


def read_rows(path: Path) -> list[dict[str, str]]:
    return _read_csv(path)[1]


def edit_csv(path: Path, change: Callable[[list[dict[str, str]]], None]) -> None:
    """Change rows of a delivered CSV in place, keeping its delimiter, header spelling and encoding."""
    header, rows, delimiter, encoding = _read_csv(path)
    change(rows)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[row.get(name.lower(), "") for name in header] for row in rows])
    path.write_bytes(out.getvalue().encode(encoding))


def every_nth(
    n: int, field: str, value: Callable[[dict[str, str]], str]
) -> Callable[[list[dict[str, str]]], None]:
    def change(rows: list[dict[str, str]]) -> None:
        for i, row in enumerate(rows):
            if i % n == 0:
                row[field] = value(row)

    return change


def bdt_file(raw: Path, kind: str) -> Path:
    """The biggest BDT file of a kind (RT or ART)."""
    return max((raw / "bdt").glob(f"BDT2015_{kind}_*.csv"), key=lambda p: p.stat().st_size)


def intervention_csvs(raw: Path) -> list[Path]:
    return sorted((raw / "interventions").rglob("*.csv"))


def delivery_without_valid_niks(raw: Path) -> None:
    for path in (raw / "bdt").glob("BDT2015_ART_*.csv"):
        edit_csv(path, every_nth(3, "nik", lambda _: ""))


def delivery_with_impossible_ages(raw: Path) -> None:
    edit_csv(bdt_file(raw, "ART"), every_nth(50, "umur", lambda _: "120"))


def delivery_with_wrong_household_sizes(raw: Path) -> None:
    edit_csv(bdt_file(raw, "RT"), every_nth(4, "jumlah_art", lambda row: str(int(row["jumlah_art"]) + 3)))


def delivery_of_members_without_households(raw: Path) -> None:
    """The RT file of the biggest kab/kota arrives empty (header only): its members have no household."""
    edit_csv(bdt_file(raw, "RT"), lambda rows: rows.clear())


def delivery_with_classes_against_scores(raw: Path) -> None:
    def promote_lowest(rows: list[dict[str, str]]) -> None:
        min(rows, key=lambda r: float(r["ikd"]))["status"] = "Maju"

    for path in (raw / "ikd").glob("*.csv"):
        edit_csv(path, promote_lowest)


def delivery_from_another_period(raw: Path) -> None:
    edit_csv(intervention_csvs(raw)[0], every_nth(2, "tahun", lambda _: "2012"))


def delivery_with_unmatchable_beneficiaries(raw: Path) -> None:
    """Agencies' IDs are broken: no IDBDT and NIKs that match no one (the xlsx reports are retired)."""
    from pipelines import cli

    reports = [p.relative_to(raw).as_posix() for p in (raw / "interventions").rglob("*.xlsx")]
    assert cli.main(["retire", *reports, "--by", "test"]) == 0  # removing a delivery is an explicit act

    def scramble(rows: list[dict[str, str]]) -> None:
        for i, row in enumerate(rows):
            row["idbdt"] = ""
            row["nik"] = f"18{i:014d}"

    for path in intervention_csvs(raw):
        edit_csv(path, scramble)


def delivery_with_population_below_bdt(raw: Path) -> None:
    """Dukcapil counts of the desa with the most BDT people arrive as 1 person: the BDT share exceeds 1."""
    people: dict[str, int] = {}
    for path in (raw / "bdt").glob("BDT2015_RT_*.csv"):
        for row in read_rows(path):
            key = row["kdprop"] + row["kdkab"].zfill(2) + row["kdkec"].zfill(3) + row["kddesa"].zfill(3)
            people[key] = people.get(key, 0) + int(row["jumlah_art"] or 0)
    crosswalk = pl.read_csv(settings.REFERENCE_DIR / "bps_mfd_2018" / "villages.csv", infer_schema=False)
    kemendagri = dict(zip(crosswalk["bps_code"], crosswalk["kemendagri_code"], strict=True))
    biggest = {kemendagri.get(k) for k in sorted(people, key=lambda k: people[k], reverse=True)[:3]}

    def shrink(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if row["kode_desa"].replace(".", "") in biggest:
                row["jumlah_penduduk"], row["jumlah_kk"] = "1", "1"

    for path in (raw / "population").glob("*.csv"):
        edit_csv(path, shrink)


# --- the tests ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(
    tmp_path_factory: pytest.TempPathFactory, tiny_clean_extracts: Path, dbt_manifest: Path
) -> tuple[Path, dg.ExecuteInProcessResult]:
    """A data folder after one clean nightly run: landed, built, gated and published."""
    data = tmp_path_factory.mktemp("gate_pipeline") / "data"
    shutil.copytree(tiny_clean_extracts, data / "raw")
    (data / "marts").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TKPK_DATA_DIR", str(data))
        mp.delenv("TKPK_WAREHOUSE_PATH", raising=False)
        result = run_nightly()
    return data, result


def test_clean_delivery_passes_every_suite_and_publishes(
    published: tuple[Path, dg.ExecuteInProcessResult],
) -> None:
    data, result = published
    gate = gate_evaluations(result)
    failed = {k: e.metadata["failed_expectations"].value for k, e in gate.items() if not e.passed}
    assert failed == {}
    assert len(gate) == 11
    assert result.success
    assert {"publish/bi_marts", "publish/restricted_lists"} <= materialized(result)
    assert (data / "marts" / "marts.duckdb").exists()
    assert list((data / "restricted").rglob("target_households.parquet"))


EVERYTHING_AFTER_LANDING = ("reference/", "staging/", "intermediate/", "marts/", "restricted/", "publish/")
BAD_DELIVERIES = [
    # (how the delivery is bad, the check that must fail, the rule it must name)
    (delivery_without_valid_niks, "gx_bdt_individuals", "valid_nik_share"),
    (delivery_with_impossible_ages, "gx_bdt_individuals", "age_plausible"),
    (delivery_with_wrong_household_sizes, "gx_bdt_individuals", "household_size_matches_members"),
    (delivery_of_members_without_households, "gx_bdt_individuals", "idbdt_in_households"),
    (delivery_with_classes_against_scores, "gx_ikd", "status_consistent_with_score"),
    (delivery_from_another_period, "gx_interventions", "year_in_range"),
    (delivery_with_unmatchable_beneficiaries, "gx_interventions", "matched_share"),
]


def rerun_with(
    published: tuple[Path, dg.ExecuteInProcessResult], data_dir: Path, spoil: Callable[[Path], None]
):
    """Start from the clean published state, land the bad delivery, run the nightly job again."""
    clean, _ = published
    shutil.rmtree(data_dir)
    shutil.copytree(clean, data_dir, symlinks=True)
    before = snapshot(data_dir)
    assert before, "the clean run published nothing"
    spoil(data_dir / "raw")
    return before, run_nightly()


def assert_stopped_by(result: dg.ExecuteInProcessResult, check: str, rule: str) -> None:
    assert not result.success
    evaluation = gate_evaluations(result)[check]
    assert not evaluation.passed
    assert rule in evaluation.metadata["failed_expectations"].value.split(", ")
    assert evaluation.metadata[rule].value["outcome"] == "failed"
    assert rule in (evaluation.description or "")


@pytest.mark.parametrize(
    ("spoil", "check", "rule"), BAD_DELIVERIES, ids=[b[0].__name__ for b in BAD_DELIVERIES]
)
def test_bad_landed_data_stop_the_models_and_publishing(
    published: tuple[Path, dg.ExecuteInProcessResult],
    data_dir: Path,
    spoil: Callable[[Path], None],
    check: str,
    rule: str,
) -> None:
    before, result = rerun_with(published, data_dir, spoil)
    assert_stopped_by(result, check, rule)
    done = materialized(result)
    assert not [key for key in done if key.startswith(EVERYTHING_AFTER_LANDING)]
    assert snapshot(data_dir) == before


def test_bad_mart_stops_publishing_and_keeps_the_published_marts(
    published: tuple[Path, dg.ExecuteInProcessResult], data_dir: Path
) -> None:
    """Raw data that pass their suites but make a mart wrong: population below the BDT people of a desa."""
    before, result = rerun_with(published, data_dir, delivery_with_population_below_bdt)
    assert_stopped_by(result, "gx_poverty_by_region", "rates_in_0_1")
    landed = {
        k: e.passed
        for k, e in gate_evaluations(result).items()
        if e.asset_check_key.asset_key.path[0] == "raw"
    }
    assert landed and all(landed.values()), landed  # every landed table passed its suite
    done = materialized(result)
    assert "marts/poverty_by_region" in done  # dbt built it; the gate judged it
    assert "publish/bi_marts" not in done
    assert snapshot(data_dir, ("marts",)) == {k: v for k, v in before.items() if k.startswith("marts")}
