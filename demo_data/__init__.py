"""Demo extracts for the warehouse: BDT, IKD, interventions and population, shaped as in extracts.md.

`generate(out, scale, seed, dirt_rate)` writes the drop zone under `out` and returns the manifest:

- `bdt/BDT2015_RT_<bpskab>.csv`, `bdt/BDT2015_ART_<bpskab>.csv` per kab/kota (`;`, decimal comma, header
  case, BOM and line ending varying per file; with dirt, one or two kab/kota entirely in Windows-1252);
- `ikd/IKD_2014.csv`; `population/penduduk_desa_2016.csv`, `penduduk_desa_2017.csv`;
- `interventions/<year>/<agency>_<year>.csv|xlsx` for 2016 and 2017;
- `_demo/manifest.json` (`scale`, `seed`, `dirt_rate`, `files` {relpath: data rows}, `counts` {kind: n},
  `counts_by_file_type`), `_demo/dirt.csv` (`kind, file, row, column, expected`, see `dirt.py`);
- `_demo/truth/households.parquet`: `idbdt`, `bps_desa_code`, `kemendagri_desa_code`, `bps_kab_code`,
  `decile`, `members` (ART rows listed), `members_present` (= `Jumlah_ART`), `kota`;
- `_demo/truth/deliveries.parquet`: per intervention row `file`, `row`, `kode_program`, `report_year`,
  `target_level`, `true_idbdt` (household), `true_idartbdt` (the person named on the row: the head for a
  household delivery), `decile` (all three null outside the BDT), `outside_bdt`, `deceased` (an injected
  delivery to a deceased member), `meets_need` (the beneficiary met the programme's need rule, see
  `needs.py`).

Same arguments, same bytes: every part draws from its own seeded stream, and `dirt_rate` changes only
the dirt (the clean data underneath is identical). With `dirt_rate=0` nothing is injected at all.
"""

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl

from demo_data import (
    agencies,
    bdt,
    dirt,
    geography,
    households,
    ikd,
    interventions,
    members,
    population,
    reports,
)
from demo_data.sampling import stream
from demo_data.scales import SCALES
from demo_data.writers import XLSX_CREATED, CsvStyle, cased, write_csv, write_json, write_xlsx
from pipelines.landing import dropzone

__all__ = ["SCALES", "generate"]
TRUTH_COLUMNS = [
    "file", "row", "kode_program", "report_year", "target_level", "person", "hh", "decile", "outside_bdt",
    "deceased", "meets_need",
]  # fmt: skip


def generate(out: Path, scale: str = "tiny", seed: int = 2015, dirt_rate: float = 0.01) -> dict:
    """Write the demo drop zone under `out`; return the manifest (also written to `_demo/manifest.json`)."""
    out = Path(out)
    sc = SCALES[scale]
    _remove_previous(out)
    geo = geography.load(sc, seed)
    hh = households.synthesize(geo, sc.households, seed)
    people, hh = members.synthesize(hh, geo, seed)
    world = interventions.world(sc, geo, hh, people, agencies.catalogue())
    idbdt = bdt.idbdt(hh, geo)
    ags = agencies.agencies(geo.regencies)
    deliveries = _deliveries(world, ags, idbdt, seed, dirt_rate)
    files: dict[str, int] = {}
    records = [_write_interventions(out, deliveries, ags, seed, files)]
    deliveries = deliveries.select(TRUTH_COLUMNS)  # the text columns are written: free them
    records += _write_bdt(out, world, deliveries, seed, dirt_rate, files)
    records.append(_write_ikd(out, world, seed, dirt_rate, files))
    _write_population(out, world, seed, files)
    _mark_complete(out, files)
    record_frame = dirt.records_frame(records)
    manifest = _manifest(sc.name, seed, dirt_rate, files, record_frame)
    _write_demo(out, manifest, record_frame, world, idbdt, deliveries)
    return manifest


def _mark_complete(out: Path, files: dict[str, int]) -> None:
    """The files are written whole: markers tell the landing and the sensor not to wait for a quiet period.
    A fixed mtime keeps the markers, like the files, the same for the same seed."""
    fixed = int(XLSX_CREATED.replace(tzinfo=dt.UTC).timestamp()) * 10**9
    for relpath in files:
        os.utime(out / relpath, ns=(fixed, fixed))
        dropzone.mark_complete(out, relpath, by="demo_data")


def _remove_previous(out: Path) -> None:
    """Delete the files an earlier generation listed in its manifest (and nothing else), so a smaller
    scale written over a larger one leaves no stale kab/kota or agency files behind."""
    old = out / "_demo" / "manifest.json"
    if not old.exists():
        return
    for file in json.loads(old.read_text(encoding="utf-8")).get("files", {}):
        (out / file).unlink(missing_ok=True)
    shutil.rmtree(out / "_demo", ignore_errors=True)


def _deliveries(
    world: interventions.World, ags: list[agencies.Agency], idbdt: pl.Series, seed: int, rate: float
) -> pl.DataFrame:
    """Deliveries of both years, assigned to files, spelled, with the intervention dirt in place."""
    d = interventions.synthesize(world, ags, seed)
    d = reports.assign(d, ags, world, idbdt)
    d = reports.spell_funding(d, agencies.funding_spellings(), seed)
    return reports.inject(d, world, stream(seed, "dirt-interventions"), rate)


def _write_interventions(
    out: Path, d: pl.DataFrame, ags: list[agencies.Agency], seed: int, files: dict[str, int]
) -> pl.DataFrame:
    """One file per agency and year, each in its own style; returns the dirt records."""
    blank_rows = {a.slug: a.blank_rows for a in ags}
    for file, start, n in reports.blocks(d):
        rows = d.slice(start, n)
        xlsx = file.endswith(".xlsx")
        style = reports.style_for(file, seed, xlsx)
        table = reports.render(rows, style, xlsx, seed, file)
        table.columns = cased(table.columns, style.header)
        if xlsx:
            title = f"Penerima {rows['report_year'][0]}"
            write_xlsx(table, out / file, blank_rows=blank_rows[rows["agency"][0]], title=title)
        else:
            write_csv(table, out / file, sep=rows["fmt"][0][-1], bom=style.bom, crlf=style.crlf)
        files[file] = rows.height
    return d.filter(pl.col("dirt_kind").is_not_null()).select(
        kind="dirt_kind",
        file="file",
        row=pl.col("row").cast(pl.Int64),
        column="dirt_column",
        expected=pl.col("dirt_kind").replace_strict(dirt.EXPECTED["interventions"]),
    )


def _bdt_blocks(world: interventions.World) -> dict[str, tuple[int, int, int, int]]:
    """Household and member row ranges of each BPS kab code (both tables are sorted by kab)."""
    kab = world.geo.desa["bps_kab"].to_numpy()[world.hh["desa_idx"].to_numpy()]
    codes, first, count = np.unique(kab, return_index=True, return_counts=True)
    size = world.hh["size"].to_numpy().astype(np.int64)
    starts = np.r_[0, np.cumsum(size)]
    return {
        c: (int(f), int(f + k), int(starts[f]), int(starts[f + k]))
        for c, f, k in zip(codes.tolist(), first, count, strict=True)
    }


def _write_bdt(
    out: Path, world: interventions.World, d: pl.DataFrame, seed: int, rate: float, files: dict[str, int]
) -> list[pl.DataFrame]:
    """RT and ART per kab/kota; dirt only in units no delivery refers to."""
    blocks = _bdt_blocks(world)
    used_hh = np.zeros(world.hh.height, dtype=bool)
    used_hh[d["hh"].filter(d["hh"] >= 0).to_numpy()] = True
    used_person = np.zeros(world.people.height, dtype=bool)
    used_person[d["person"].filter(d["person"] >= 0).to_numpy()] = True
    rt_file = {k: f"bdt/BDT2015_RT_{k}.csv" for k in blocks}
    art_file = {k: f"bdt/BDT2015_ART_{k}.csv" for k in blocks}
    rt_plan = dirt.plan(
        stream(seed, "dirt-rt"),
        {rt_file[k]: np.flatnonzero(~used_hh[h0:h1]) for k, (h0, h1, _, _) in blocks.items()},
        list(dirt.EXPECTED["rt"]),
        world.hh.height,
        rate,
    )
    art_plan = dirt.plan(
        stream(seed, "dirt-art"),
        {art_file[k]: np.flatnonzero(~used_person[p0:p1]) for k, (_, _, p0, p1) in blocks.items()},
        list(dirt.EXPECTED["art"]),
        world.people.height,
        rate,
    )
    cp1252 = _cp1252_kabs(sorted(blocks), seed, rate)
    offset = int(stream(seed, "bdt-style").integers(0, 6))
    records = []
    for i, (k, (h0, h1, p0, p1)) in enumerate(blocks.items()):
        hh = world.hh[h0:h1]
        people = world.people[p0:p1].with_columns(pl.col("hh_idx") - h0)
        encoding = "cp1252" if k in cp1252 else "utf-8"
        rng = stream(seed, f"dirt-bdt-{k}")
        rt = bdt.render_rt(hh, world.geo)
        style = _bdt_style(2 * i + offset, encoding)
        records.append(_dirty_csv(out, rt_file[k], rt, rt_plan[rt_file[k]], "rt", rng, style, files))
        values = stream(seed, f"values-{art_file[k]}")
        art = bdt.render_art(
            people, hh, world.geo, values.uniform(0.1, 0.5), values.uniform(0.0, 0.6), values
        )
        style = _bdt_style(2 * i + 1 + offset, encoding)
        records.append(_dirty_csv(out, art_file[k], art, art_plan[art_file[k]], "art", rng, style, files))
    return records


def _bdt_style(i: int, encoding: str) -> CsvStyle:
    """Header case, BOM and line ending cycle over the BDT files, so even two kab/kota show each variant."""
    header = ("domain", "upper", "lower")[i % 3]
    return CsvStyle(
        sep=";",
        header=header,
        bom=i % 4 in (1, 2) and encoding == "utf-8",
        crlf=i % 2 == 0,
        encoding=encoding,
    )


def _cp1252_kabs(kabs: list[str], seed: int, rate: float) -> set[str]:
    """One kab/kota (two at the larger scales) sent in Windows-1252; none without dirt."""
    if rate <= 0:
        return set()
    rng = stream(seed, "dirt-encoding")
    return set(rng.choice(kabs, size=1 if len(kabs) <= 2 else 2, replace=False).tolist())


def _dirty_csv(
    out: Path,
    file: str,
    frame: pl.DataFrame,
    chosen: dict[str, np.ndarray],
    file_type: str,
    rng: np.random.Generator,
    style: CsvStyle,
    files: dict[str, int],
) -> pl.DataFrame:
    """Inject, write in the file's own style; return its dirt records."""
    builder = {"rt": dirt.rt_injections, "art": dirt.art_injections, "ikd": dirt.ikd_injections}[file_type]
    frame, records = dirt.apply(frame, builder(frame, chosen, rng), dirt.EXPECTED[file_type], rng)
    frame.columns = cased(frame.columns, style.header)
    write_csv(frame, out / file, sep=style.sep, bom=style.bom, crlf=style.crlf, encoding=style.encoding)
    files[file] = frame.height
    if style.encoding != "utf-8":
        enc = pl.DataFrame({"kind": [dirt.ENCODING[0]], "expected": [dirt.ENCODING[1]]})
        records = pl.concat([records, enc], how="diagonal_relaxed")
    return records.with_columns(file=pl.lit(file))


def _write_ikd(
    out: Path, world: interventions.World, seed: int, rate: float, files: dict[str, int]
) -> pl.DataFrame:
    """IKD_2014.csv with its dirt; returns the dirt records."""
    file = "ikd/IKD_2014.csv"
    frame = ikd.render(ikd.synthesize(world.geo, world.hh, seed), seed)
    rng = stream(seed, "dirt-ikd")
    chosen = dirt.plan(rng, {file: np.arange(frame.height)}, list(dirt.EXPECTED["ikd"]), frame.height, rate)
    return _dirty_csv(out, file, frame, chosen[file], "ikd", rng, CsvStyle(), files)


def _write_population(out: Path, world: interventions.World, seed: int, files: dict[str, int]) -> None:
    """Population per desa for 2016 and 2017 (no dirt kinds are defined for it)."""
    for year, frame in population.synthesize(world.geo, world.hh, seed).items():
        file = f"population/penduduk_desa_{year}.csv"
        write_csv(frame, out / file)
        files[file] = frame.height


def _manifest(scale: str, seed: int, rate: float, files: dict[str, int], records: pl.DataFrame) -> dict:
    """What was written: data rows per file and injected problems per kind (and per file type)."""
    by_type: dict[str, dict[str, int]] = {}
    for kind, file, n in records.group_by("kind", "file").len().sort("file", "kind").iter_rows():
        file_type = _file_type(file)
        by_type.setdefault(file_type, {})
        by_type[file_type][kind] = by_type[file_type].get(kind, 0) + n
    counts = dict(sorted(records.group_by("kind").len().iter_rows()))
    return {
        "scale": scale,
        "seed": seed,
        "dirt_rate": rate,
        "files": dict(sorted(files.items())),
        "counts": counts,
        "counts_by_file_type": by_type,
    }


def _file_type(file: str) -> str:
    """rt, art, ikd or interventions: the dirt kinds of a file."""
    if file.startswith("bdt/"):
        return "rt" if "_RT_" in file else "art"
    return file.split("/")[0]


def _write_demo(
    out: Path,
    manifest: dict,
    records: pl.DataFrame,
    world: interventions.World,
    idbdt: pl.Series,
    d: pl.DataFrame,
) -> None:
    """`_demo/`: manifest, dirt records and the truth tables for later correctness tests."""
    demo = out / "_demo"
    (demo / "truth").mkdir(parents=True, exist_ok=True)
    write_json(manifest, demo / "manifest.json")
    write_csv(records.sort("file", "row", "kind", nulls_last=False), demo / "dirt.csv")
    hh, geo = world.hh, world.geo
    desa = hh["desa_idx"]
    hh.select(
        idbdt=idbdt,
        bps_desa_code=geo.desa["bps_code"].gather(desa),
        kemendagri_desa_code=geo.desa["village_code"].gather(desa),
        bps_kab_code=geo.desa["bps_kab"].gather(desa),
        decile=pl.col("decile"),
        members=pl.col("members"),
        members_present=pl.col("jumlah_art"),
        kota=pl.col("kota"),
    ).write_parquet(demo / "truth" / "households.parquet")
    person = d["person"].to_numpy()
    member_no = world.people["member_no"].cast(pl.String).str.zfill(2).gather(np.maximum(person, 0))
    d.select(
        "file",
        pl.col("row").cast(pl.Int64),
        "kode_program",
        "report_year",
        "target_level",
        true_idbdt=pl.when(pl.col("hh") >= 0).then(idbdt.gather(np.maximum(d["hh"].to_numpy(), 0))),
        true_idartbdt=pl.when(pl.col("person") >= 0).then(
            idbdt.gather(np.maximum(d["hh"].to_numpy(), 0)) + member_no
        ),
        decile=pl.when(pl.col("outside_bdt")).then(None).otherwise(pl.col("decile")),
        outside_bdt="outside_bdt",
        deceased="deceased",
        meets_need="meets_need",
    ).write_parquet(demo / "truth" / "deliveries.parquet")  # already in file, row order
