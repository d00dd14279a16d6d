"""The demo-data generator: shapes of extracts.md, real region codes, realistic shares, determinism, and a
dirt manifest that points at cells that really are dirty in the way it says.

Files are read back here the way a careful reader would (encoding detected, header case ignored, xlsx
header in the first non-empty row), independently of the generator's own code.
"""

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from demo_data import generate
from pipelines import settings

YES_NO = {
    **dict.fromkeys(["ada_tabung_gas", "ada_motor", "sta_kks", "sta_kis", "sta_rastra"], {"1", "2"}),
    **dict.fromkeys(["ada_lemari_es", "sta_kip", "sta_pkh"], {"3", "4"}),
    **dict.fromkeys(["ada_kks", "ada_kip", "sta_hamil", "sta_bekerja"], {"1", "2"}),
    **dict.fromkeys(["ada_pbi", "ada_pkh"], {"3", "4"}),
}
RT_YES_NO = [
    "ada_tabung_gas",
    "ada_lemari_es",
    "ada_motor",
    "sta_kks",
    "sta_kip",
    "sta_kis",
    "sta_pkh",
    "sta_rastra",
]
ART_YES_NO = ["sta_hamil", "sta_bekerja", "ada_kks", "ada_pbi", "ada_kip", "ada_pkh"]
REAL_IKD_2014 = {"Maju": 391, "Berkembang": 1049, "Kurang Berkembang": 812, "Tertinggal": 380}
CANONICAL_STATUS = {s.lower(): s for s in REAL_IKD_2014}
EXPECTED = {  # what the landing must do with each kind of dirt
    "duplicate_idbdt": "quarantine:duplicate_key",
    "lost_leading_zero": "restored",
    "decile_out_of_range": "quarantine:decile_out_of_range",
    "bad_yes_no": "quarantine:bad_code",
    "bad_number": "quarantine:bad_value",
    "duplicate_idartbdt": "quarantine:duplicate_key",
    "nik_scientific": "flag:nik_valid",
    "nik_apostrophe": "restored",
    "nik_spaced": "restored",
    "nik_short": "flag:nik_valid",
    "nik_empty": "flag:nik_valid",
    "bad_birth_date": "flag:tgllahir_valid",
    "duplicate_desa": "quarantine:duplicate_key",
    "score_out_of_range": "quarantine:out_of_range",
    "future_date": "quarantine:future_date",
    "negative_amount": "quarantine:negative_amount",
    "unknown_region": "quarantine:unknown_region",
    "unknown_funding_source": "quarantine:unknown_funding_source",
    "deceased_beneficiary": "flag:flag_deceased_beneficiary",
    "encoding_cp1252": "restored",
}


# ---------------------------------------------------------------- reading the drop zone back


def _decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding of a CSV: UTF-8 (BOM stripped) when it decodes, else Windows-1252."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def read(root: Path, file: str) -> pl.DataFrame:
    """A drop-zone file as text columns with lower-case names; empty cells are null."""
    path = root / file
    if file.endswith(".xlsx"):
        df = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_polars()
        df = df.filter(~pl.all_horizontal(pl.all().is_null()))
        header = [str(v).lower() for v in df.row(0)]
        return df.slice(1).rename(dict(zip(df.columns, header, strict=True)))
    text, _ = _decode(path.read_bytes())
    first = text.splitlines()[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    df = pl.read_csv(io.BytesIO(text.encode()), separator=sep, infer_schema=False)
    return df.rename({c: c.lower() for c in df.columns})


def manifest(root: Path) -> dict:
    return json.loads((root / "_demo" / "manifest.json").read_text())


def dirt(root: Path) -> pl.DataFrame:
    return pl.read_csv(root / "_demo" / "dirt.csv", infer_schema=False)


def dirty_rows(root: Path, file: str, kinds: set[str] | None = None) -> set[int]:
    d = dirt(root).filter((pl.col("file") == file) & pl.col("row").is_not_null())
    if kinds is not None:
        d = d.filter(pl.col("kind").is_in(list(kinds)))
    return {int(r) for r in d["row"]}


def clean_part(root: Path, file: str) -> pl.DataFrame:
    """The rows of a file that the dirt manifest does not name."""
    df = read(root, file).with_row_index("_row", offset=1)
    return df.filter(~pl.col("_row").is_in(list(dirty_rows(root, file))))


def files(root: Path, prefix: str) -> list[str]:
    return [f for f in manifest(root)["files"] if f.startswith(prefix)]


def stack(root: Path, prefix: str, clean: bool = False) -> pl.DataFrame:
    parts = [
        (clean_part(root, f) if clean else read(root, f)).with_columns(_file=pl.lit(f))
        for f in files(root, prefix)
    ]
    return pl.concat(parts, how="diagonal")


@pytest.fixture(scope="module")
def villages() -> pl.DataFrame:
    return pl.read_csv(settings.REFERENCE_DIR / "villages.csv", infer_schema=False)


@pytest.fixture(scope="module")
def regencies() -> pl.DataFrame:
    return pl.read_csv(settings.REFERENCE_DIR / "regencies.csv", infer_schema=False)


def parse_date(value: str) -> dt.date | None:
    """dd/mm/yyyy, ISO or a spreadsheet serial number; None when it is not a real date."""
    try:
        if re.fullmatch(r"\d{2}/\d{2}/\d{4}", value):
            return dt.datetime.strptime(value, "%d/%m/%Y").date()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
        if re.fullmatch(r"\d+(\.0)?", value):
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(value)))
    except ValueError:
        return None
    return None


def amount(value: str) -> int:
    return int(value.replace(".", "")) if "." in value and not value.endswith(".0") else int(float(value))


def kode(value: str) -> str:
    return value.replace(".", "")


# ---------------------------------------------------------------- sizes and codes


def test_tiny_sizes(tiny_extracts: Path) -> None:
    m = manifest(tiny_extracts)
    for file, rows in m["files"].items():
        assert read(tiny_extracts, file).height == rows, file
    dup = Counter(dirt(tiny_extracts)["kind"])
    rt = sum(rows for f, rows in m["files"].items() if "_RT_" in f)
    art = sum(rows for f, rows in m["files"].items() if "_ART_" in f)
    assert rt - dup["duplicate_idbdt"] == 300
    assert 3.3 < (art - dup["duplicate_idartbdt"]) / 300 < 4.0
    assert sorted(files(tiny_extracts, "bdt/")) == [
        "bdt/BDT2015_ART_1801.csv", "bdt/BDT2015_ART_1872.csv", "bdt/BDT2015_RT_1801.csv", "bdt/BDT2015_RT_1872.csv"
    ]  # fmt: skip  # Lampung Barat (BPS 1801 = Kemendagri 18.04) and Metro
    assert m["files"]["ikd/IKD_2014.csv"] - dup["duplicate_desa"] == 136 + 22
    assert m["files"]["population/penduduk_desa_2016.csv"] == 136 + 22
    deliveries = sum(rows for f, rows in m["files"].items() if f.startswith("interventions/"))
    assert 300 <= deliveries <= 1500
    for year in (2016, 2017):
        kinds = {Path(f).suffix for f in files(tiny_extracts, f"interventions/{year}/")}
        assert kinds == {".csv", ".xlsx"}
    assert m["scale"] == "tiny" and m["seed"] == 2015 and m["dirt_rate"] == 0.01


def test_small_sizes(small_extracts: Path) -> None:
    m = manifest(small_extracts)
    dup = Counter(dirt(small_extracts)["kind"])
    rt_files = files(small_extracts, "bdt/BDT2015_RT_")
    assert len(rt_files) == 15 and len(files(small_extracts, "bdt/BDT2015_ART_")) == 15
    rt = sum(m["files"][f] for f in rt_files)
    art = sum(rows for f, rows in m["files"].items() if "_ART_" in f)
    assert rt - dup["duplicate_idbdt"] == 20_000
    assert 3.55 < (art - dup["duplicate_idartbdt"]) / 20_000 < 3.75  # 3.2 M people / 877,905 households
    assert m["files"]["ikd/IKD_2014.csv"] - dup["duplicate_desa"] == 2639  # every desa with a BPS code
    assert m["files"]["population/penduduk_desa_2017.csv"] == 2640
    deliveries = sum(rows for f, rows in m["files"].items() if f.startswith("interventions/"))
    assert 35_000 < deliveries < 60_000  # about a million a year at province scale, scaled
    for file in files(small_extracts, "interventions/"):
        assert 20 <= m["files"][file] <= (30_000 if file.endswith(".xlsx") else 20_000), file
    assert len(files(small_extracts, "interventions/2017/")) == 12  # nine provincial dinas, three kab/kota


def test_bps_codes_are_real(small_extracts: Path, villages: pl.DataFrame) -> None:
    real = set(villages["bps_code"].drop_nulls())
    for file in files(small_extracts, "bdt/BDT2015_RT_"):
        df = clean_part(small_extracts, file)
        codes = df.select(pl.concat_str("kdprop", "kdkab", "kdkec", "kddesa"))
        assert set(codes.to_series()) <= real, file
        assert set(df["kdkab"]) == {file[-6:-4]}  # BDT2015_RT_<bpskab>.csv holds that kab only
        lost = read(small_extracts, file).with_row_index("_row", offset=1)
        lost = lost.filter(
            pl.col("_row").is_in(list(dirty_rows(small_extracts, file, {"lost_leading_zero"})))
        )
        restored = lost.select(
            pl.concat_str("kdprop", "kdkab", pl.col("kdkec").str.zfill(3), pl.col("kddesa").str.zfill(3))
        )
        assert set(restored.to_series()) <= real
    ikd = read(small_extracts, "ikd/IKD_2014.csv")
    assert set(ikd["kode_desa_bps"]) == real


def test_kemendagri_codes_are_real(small_extracts: Path, villages: pl.DataFrame) -> None:
    real = set(villages["village_code"])
    for year in (2016, 2017):
        pop = read(small_extracts, f"population/penduduk_desa_{year}.csv")
        assert set(pop["kode_desa"]) == real
    for file in files(small_extracts, "interventions/"):
        df = read(small_extracts, file).with_row_index("_row", offset=1)
        unknown = dirty_rows(small_extracts, file, {"unknown_region"})
        codes = df.select("_row", k=pl.col("kode_wilayah").str.replace_all(".", "", literal=True))
        assert all(re.fullmatch(r"\d{10}", k) for k in codes["k"])
        assert {k for r, k in codes.iter_rows() if r not in unknown} <= real, file
        assert not {k for r, k in codes.iter_rows() if r in unknown} & real


def _first_header(raw: bytes) -> str:
    text, _ = _decode(raw)
    return text.splitlines()[0]


def test_file_formats_vary_as_senders_do(tiny_extracts: Path) -> None:
    bdt = {f: (tiny_extracts / f).read_bytes() for f in files(tiny_extracts, "bdt/")}
    assert any(raw.startswith(b"\xef\xbb\xbf") for raw in bdt.values())  # a UTF-8 BOM
    assert any(b"\r\n" in raw for raw in bdt.values()) and any(b"\r\n" not in raw for raw in bdt.values())
    headers = [_first_header(raw).split(";") for raw in bdt.values()]
    assert all(len(h) >= 24 and "idbdt" in [c.lower() for c in h] for h in headers)
    assert len({h[0] for h in headers} | {h[-1] for h in headers}) > 3  # letter case varies per file
    assert sum(_decode(raw)[1] == "cp1252" for raw in bdt.values()) == 2  # one kab/kota, both tables
    for file in files(tiny_extracts, "bdt/"):
        assert _first_header(bdt[file]).count(";") > 20 and b";" in bdt[file].splitlines()[1]
    sheets = [f for f in files(tiny_extracts, "interventions/") if f.endswith(".xlsx")]
    header_rows = []
    for file in sheets:
        with zipfile.ZipFile(tiny_extracts / file) as z:
            xml = z.read("xl/worksheets/sheet1.xml").decode()
        header_rows.append(int(re.search(r'<c r="A(\d+)"[^>]*t="s"', xml).group(1)))
    assert max(header_rows) > 1  # a sheet with empty rows above its header
    orders = {tuple(read(tiny_extracts, f).columns) for f in files(tiny_extracts, "interventions/")}
    assert len(orders) > 3 and any(len(o) == 13 for o in orders)  # column order varies; an extra column
    delimiters = {
        _first_header((tiny_extracts / f).read_bytes()).count(";") > 0
        for f in files(tiny_extracts, "interventions/")
        if f.endswith(".csv")
    }
    assert delimiters == {True, False}


# ---------------------------------------------------------------- realistic shares


def test_deciles_poorer_in_rural_kabupaten(small_extracts: Path) -> None:
    rt = stack(small_extracts, "bdt/BDT2015_RT_", clean=True)
    shares = rt["status_kesejahteraan"].value_counts(normalize=True).sort("status_kesejahteraan")
    assert shares["status_kesejahteraan"].to_list() == ["1", "2", "3", "4"]
    p = shares["proportion"].to_list()
    assert p[0] == max(p) and p[0] > 0.27
    kota = rt["kdkab"].is_in(["71", "72"])
    d1 = rt["status_kesejahteraan"] == "1"
    assert d1.filter(kota).mean() < d1.filter(~kota).mean() - 0.05
    decile = rt["status_kesejahteraan"].cast(pl.Int64)
    percentile = rt["percentile"].cast(pl.Int64)
    assert ((percentile >= 10 * (decile - 1) + 1) & (percentile <= 10 * decile)).all()


def test_population_consistent_with_bdt(small_extracts: Path, villages: pl.DataFrame) -> None:
    art = stack(small_extracts, "bdt/BDT2015_ART_")
    rt = stack(small_extracts, "bdt/BDT2015_RT_", clean=True)
    desa = rt.select("idbdt", bps=pl.concat_str("kdprop", "kdkab", "kdkec", "kddesa"))
    people = (
        art.unique("idartbdt")
        .join(desa, on="idbdt")
        .join(villages.select("village_code", bps="bps_code"), on="bps")
        .group_by("village_code")
        .len("bdt_people")
    )
    for year in (2016, 2017):
        pop = read(small_extracts, f"population/penduduk_desa_{year}.csv").select(
            village_code="kode_desa", penduduk=pl.col("jumlah_penduduk").cast(pl.Int64)
        )
        both = pop.join(people, on="village_code", how="left").fill_null(0)
        assert (both["penduduk"] >= both["bdt_people"]).all()
        share = both["bdt_people"].sum() / both["penduduk"].sum()
        assert 0.3 < share < 0.45  # 3.2 M of about 8 M at province scale (a few households quarantined here)
        kota = both["village_code"].str.starts_with("187")
        assert both.filter(kota)["bdt_people"].sum() / both.filter(kota)["penduduk"].sum() < share


def test_need_rules_have_realistic_shares(small_extracts: Path) -> None:
    rt = stack(small_extracts, "bdt/BDT2015_RT_", clean=True)
    art = stack(small_extracts, "bdt/BDT2015_ART_", clean=True)
    per_person = rt["luas_lantai"].str.replace(",", ".").cast(pl.Float64) / rt["jumlah_art"].cast(pl.Float64)
    housing = (
        rt["lantai"].is_in(["7", "8", "9"])
        | (rt["dinding"] == "6")
        | (rt["kondisi_dinding"] == "2")
        | rt["atap"].is_in(["8", "9"])
        | (per_person < 8)
    )
    shares = {
        "housing": housing.mean(),
        "water": rt["sumber_airminum"].is_in(["7", "9", "10", "11", "12"]).mean(),
        "sanitation": rt["fasbab"].is_in(["3", "4"]).mean(),
        "disability": (art["jenis_cacat"] != "0").mean(),
        "farm_head": art.filter(pl.col("hub_krt") == "1")["lapangan_usaha"]
        .is_in(["1", "2", "3", "4", "5", "6"])
        .mean(),
        "in_school_7_12": art.filter(pl.col("umur").cast(pl.Int64).is_between(7, 12))["partisipasi_sekolah"]
        .eq("1")
        .mean(),
        "deceased": (art["sta_keberadaan_art"] == "2").mean(),
        "moved": (art["sta_keberadaan_art"] == "3").mean(),
    }
    bounds = {
        "housing": (0.25, 0.7),
        "water": (0.08, 0.35),
        "sanitation": (0.1, 0.4),
        "disability": (0.015, 0.035),
        "farm_head": (0.3, 0.75),
        "in_school_7_12": (0.85, 0.99),
        "deceased": (0.003, 0.03),
        "moved": (0.01, 0.05),
    }
    for name, (lo, hi) in bounds.items():
        assert lo < shares[name] < hi, (name, shares[name])


def _largest_remainder(n: int) -> dict[str, int]:
    exact = {k: v * n / sum(REAL_IKD_2014.values()) for k, v in REAL_IKD_2014.items()}
    counts = {k: int(x) for k, x in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[: n - sum(counts.values())]:
        counts[k] += 1
    return counts


def test_ikd_classes_match_scaled_real_counts(tiny_extracts: Path, small_extracts: Path) -> None:
    assert _largest_remainder(2632) == REAL_IKD_2014
    for root, n_desa in ((tiny_extracts, 158), (small_extracts, 2639)):
        ikd = read(root, "ikd/IKD_2014.csv").with_row_index("_row", offset=1)
        ikd = ikd.filter(
            ~pl.col("_row").is_in(list(dirty_rows(root, "ikd/IKD_2014.csv", {"duplicate_desa"})))
        )
        assert ikd.height == n_desa and ikd["kode_desa_bps"].is_unique().all()
        status = ikd["status"].str.to_lowercase().replace_strict(CANONICAL_STATUS)
        assert dict(Counter(status)) == _largest_remainder(n_desa)
        assert len(set(ikd["status"])) > 4  # letter case varies
        scored = ikd.with_columns(status=status).filter(
            ~pl.col("_row").is_in(list(dirty_rows(root, "ikd/IKD_2014.csv", {"score_out_of_range"})))
        )
        score = scored["ikd"].cast(pl.Float64)
        bands = {
            "Tertinggal": (0, 50),
            "Kurang Berkembang": (50, 60),
            "Berkembang": (60, 75),
            "Maju": (75, 100.01),
        }
        for cls, (lo, hi) in bands.items():
            assert score.filter(scored["status"] == cls).is_between(lo, hi, closed="left").all(), cls
        aspects = scored.select(
            pl.mean_horizontal(pl.col(f"aspek_{i}").cast(pl.Float64) for i in range(1, 6))
        )
        assert ((aspects.to_series() - score).abs() < 0.01).all()


def test_poorer_villages_tend_to_be_tertinggal(small_extracts: Path) -> None:
    rt = stack(small_extracts, "bdt/BDT2015_RT_", clean=True)
    share1 = rt.group_by(code=pl.concat_str("kdprop", "kdkab", "kdkec", "kddesa")).agg(
        d1=(pl.col("status_kesejahteraan") == "1").mean()
    )
    ikd = clean_part(small_extracts, "ikd/IKD_2014.csv").select(
        code="kode_desa_bps", status=pl.col("status").str.to_lowercase()
    )
    by_class = ikd.join(share1, on="code").group_by("status").agg(pl.col("d1").mean())
    mean = dict(by_class.iter_rows())
    assert mean["tertinggal"] > mean["kurang berkembang"] > mean["maju"] + 0.05


def test_interventions_target_realistically(small_extracts: Path) -> None:
    truth = pl.read_parquet(small_extracts / "_demo" / "truth" / "deliveries.parquet")
    households = pl.read_parquet(small_extracts / "_demo" / "truth" / "households.parquet")
    for year in (2016, 2017):
        t = truth.filter(pl.col("report_year") == year)
        assert 0.05 <= t["outside_bdt"].mean() <= 0.11
        inside = t.filter(~pl.col("outside_bdt") & ~pl.col("deceased"))
        assert inside["decile"].is_in([1, 2]).mean() > 0.7
        assert 0.8 < inside["meets_need"].mean() < 0.97  # some go to non-needy BDT members
        rtlh = inside.filter(pl.col("kode_program") == "HSG-RTLH")["true_idbdt"].n_unique()
        assert (
            rtlh < 0.05 * households.filter(pl.col("decile") == 1).height
        )  # many eligible households unserved
    assert (
        truth.filter(pl.col("deceased")).height
        == Counter(dirt(small_extracts)["kind"])["deceased_beneficiary"]
    )


def test_deliveries_name_the_true_beneficiary(tiny_clean_extracts: Path) -> None:
    art = stack(tiny_clean_extracts, "bdt/BDT2015_ART_").select(
        "idartbdt", "nik", "nama", "sta_keberadaan_art"
    )
    truth = pl.read_parquet(tiny_clean_extracts / "_demo" / "truth" / "deliveries.parquet")
    rows = stack(tiny_clean_extracts, "interventions/").with_columns(
        row=pl.int_range(1, pl.len() + 1).over("_file")
    )
    joined = rows.join(truth, left_on=["_file", "row"], right_on=["file", "row"], how="left")
    assert joined["report_year"].null_count() == 0 and joined.height == truth.height
    inside = joined.filter(~pl.col("outside_bdt")).join(art, left_on="true_idartbdt", right_on="idartbdt")
    assert inside.height == joined.filter(~pl.col("outside_bdt")).height
    assert (inside["nik"] == inside["nik_right"]).all() and (inside["nama"] == inside["nama_right"]).all()
    assert set(inside["sta_keberadaan_art"]) <= {"1", "4"}  # never the deceased or moved out when clean
    outside = joined.filter(pl.col("outside_bdt"))
    assert outside.height > 0 and not set(outside["nik"]) & set(art["nik"])
    household_level = inside.filter(pl.col("target_level") == "household")
    assert (household_level["true_idartbdt"].str.slice(0, 15) == household_level["true_idbdt"]).all()


# ---------------------------------------------------------------- clean data obeys the contract


def test_yes_no_columns_use_their_documented_pair(tiny_clean_extracts: Path, small_extracts: Path) -> None:
    for root, clean in ((tiny_clean_extracts, False), (small_extracts, True)):
        rt = stack(root, "bdt/BDT2015_RT_", clean=clean)
        art = stack(root, "bdt/BDT2015_ART_", clean=clean)
        for df, columns in ((rt, RT_YES_NO), (art, ART_YES_NO)):
            for column in columns:
                assert set(df[column]) == YES_NO[column], column  # both values used, nothing else


def test_clean_extracts_have_no_dirt(tiny_clean_extracts: Path, villages: pl.DataFrame) -> None:
    root = tiny_clean_extracts
    m = manifest(root)
    assert dirt(root).height == 0 and m["counts"] == {} and m["dirt_rate"] == 0.0
    for file in m["files"]:
        if file.endswith(".csv"):
            assert _decode((root / file).read_bytes())[1] == "utf-8", file
    rt = stack(root, "bdt/BDT2015_RT_")
    art = stack(root, "bdt/BDT2015_ART_")
    assert (
        rt["idbdt"].is_unique().all() and art["idartbdt"].is_unique().all() and art["nik"].is_unique().all()
    )
    assert set(rt["status_kesejahteraan"]) <= {"1", "2", "3", "4"}
    assert all(re.fullmatch(r"\d{16}", v) for v in art["nik"]) and all(
        re.fullmatch(r"\d{16}", v) for v in art["nokk"]
    )
    assert all(parse_date(v) for v in art["tgllahir"])
    assert (rt["luas_lantai"].str.replace(",", ".").cast(pl.Float64) > 0).all()
    ikd = read(root, "ikd/IKD_2014.csv")
    assert ikd["kode_desa_bps"].is_unique().all() and ikd["ikd"].cast(pl.Float64).is_between(0, 100).all()
    spellings = set(pl.read_csv(settings.SEEDS_DIR / "funding_source_map.csv")["spelling"])
    real = set(villages["village_code"])
    for file in files(root, "interventions/"):
        df = read(root, file)
        assert {s.lower() for s in df["sumber_dana"]} <= spellings, file
        assert {kode(k) for k in df["kode_wilayah"]} <= real, file
        assert all(re.fullmatch(r"\d{16}", v) for v in df["nik"]), file
        dates = [parse_date(v) for v in df["tanggal"]]
        assert all(d is not None and d.year == int(y) for d, y in zip(dates, df["tahun"], strict=True)), file
        assert all(amount(v) > 0 for v in df["nilai_rp"]), file


def test_nik_encodes_birth_date_sex_and_kecamatan(tiny_clean_extracts: Path, villages: pl.DataFrame) -> None:
    districts = pl.read_csv(settings.REFERENCE_DIR / "districts.csv", infer_schema=False)
    art = stack(tiny_clean_extracts, "bdt/BDT2015_ART_")
    assert set(art["nik"].str.slice(0, 6)) <= set(districts["district_code"])
    for nik, sex, born, umur in art.select("nik", "jnskel", "tgllahir", "umur").iter_rows():
        day = int(nik[6:8]) - (40 if sex == "2" else 0)
        d = parse_date(born)
        assert d is not None and (day, int(nik[8:10]), int(nik[10:12])) == (d.day, d.month, d.year % 100)
        assert (dt.date(2015, 7, 1) - d).days // 365.25 in (int(umur), int(umur) - 1)
    rt = stack(tiny_clean_extracts, "bdt/BDT2015_RT_").select(
        "idbdt", bps=pl.concat_str("kdprop", "kdkab", "kdkec", "kddesa")
    )
    home = (
        art.join(rt, on="idbdt")
        .join(villages.select(bps="bps_code", kec="district_code"), on="bps")
        .select(same=pl.col("nik").str.slice(0, 6) == pl.col("kec"))
    )
    assert 0.85 < home["same"].mean() < 1.0  # mostly the desa's kecamatan, sometimes another


# ---------------------------------------------------------------- dirt


def _is_dirty(kind: str, value: str | None, column: str, file: str, context: dict) -> bool:
    """Whether a cell really is dirty in the way its dirt record says."""
    if kind in ("nik_scientific",):
        return bool(value and re.fullmatch(r"\d\.\d{1,5}E\+15", value))
    checks = {
        "nik_apostrophe": lambda v: bool(v and re.fullmatch(r"'\d{16}", v)),
        "nik_spaced": lambda v: bool(v and re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", v)),
        "nik_short": lambda v: bool(v and re.fullmatch(r"\d{15}", v)),
        "nik_empty": lambda v: v is None or v.strip() == "",
        "bad_birth_date": lambda v: v is not None and parse_date(v) is None,
        "decile_out_of_range": lambda v: v in {"0", "5"},
        "bad_yes_no": lambda v: v in {"1", "2", "3", "4"} and v not in YES_NO[column.lower()],
        "bad_number": lambda v: v is not None and not re.fullmatch(r"\d+(,\d+)?", v),
        "lost_leading_zero": lambda v: v is not None and len(v) < 3 and not v.startswith("0"),
        "score_out_of_range": lambda v: not 0 <= float(v) <= 100,
        "future_date": lambda v: (d := parse_date(v)) is not None and d.year > 2030,
        "negative_amount": lambda v: v.startswith("-") and amount(v[1:]) > 0,
        "unknown_funding_source": lambda v: v.lower() not in context["spellings"],
        "deceased_beneficiary": lambda v: v in context["deceased_niks"],
    }
    if kind == "unknown_region":
        real = context["kemendagri"] if file.startswith("interventions/") else context["bps_desa"]
        return (
            value is not None
            and context["region"] not in real
            and (file.startswith("interv") or value[0] == "9")
        )
    return checks[kind](value)


def _check_dirt(root: Path, villages: pl.DataFrame) -> Counter:
    records = dirt(root)
    art = stack(root, "bdt/BDT2015_ART_")
    context = {
        "spellings": set(pl.read_csv(settings.SEEDS_DIR / "funding_source_map.csv")["spelling"]),
        "deceased_niks": set(art.filter(pl.col("sta_keberadaan_art") == "2")["nik"].drop_nulls()),
        "kemendagri": set(villages["village_code"]),
        "bps_desa": set(villages["bps_code"].drop_nulls()),
    }
    seen: Counter = Counter()
    for file in records["file"].unique().sort():
        mine = records.filter(pl.col("file") == file)
        if "encoding_cp1252" in set(mine["kind"]):
            raw = (root / file).read_bytes()
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            assert re.search("[’é]", raw.decode("cp1252")), file
            seen["encoding_cp1252"] += 1
        df = read(root, file)
        for kind, _, row, column, expected in mine.filter(pl.col("row").is_not_null()).iter_rows():
            assert expected == EXPECTED[kind], (kind, expected)
            record = df.row(int(row) - 1, named=True)
            value = record[column.lower()]
            if kind.startswith("duplicate_"):
                key = column.lower()
                earlier = df.slice(0, int(row) - 1).filter(pl.col(key) == value)
                assert earlier.height == 1 and earlier.row(0) == df.row(int(row) - 1), (file, row)
            else:
                if kind == "unknown_region":
                    context["region"] = kode(value) if file.startswith("interv") else "".join(
                        record[c] for c in ("kdprop", "kdkab", "kdkec", "kddesa")
                    )  # fmt: skip
                assert _is_dirty(kind, value, column, file, context), (kind, file, row, column, value)
            seen[kind] += 1
    return seen


def test_dirt_manifest_points_at_dirty_cells(tiny_extracts: Path, villages: pl.DataFrame) -> None:
    seen = _check_dirt(tiny_extracts, villages)
    kinds = {
        "duplicate_idbdt", "unknown_region", "lost_leading_zero", "decile_out_of_range", "bad_yes_no", "bad_number",
        "duplicate_idartbdt", "nik_scientific", "nik_apostrophe", "nik_spaced", "nik_short", "nik_empty",
        "bad_birth_date", "duplicate_desa", "score_out_of_range", "future_date", "negative_amount",
        "unknown_funding_source", "deceased_beneficiary", "encoding_cp1252",
    }  # fmt: skip
    assert set(seen) == kinds  # every kind at least once, even at the tiny scale
    assert dict(seen) == manifest(tiny_extracts)["counts"]
    records = dirt(tiny_extracts)
    expected = dict(records.select("kind", "expected").unique().iter_rows())
    assert expected["lost_leading_zero"] == "restored" and expected["nik_short"] == "flag:nik_valid"
    assert (
        records.filter(pl.col("row").is_not_null()).select("file", "row").is_unique().all()
    )  # one kind per row


def test_dirt_rate_scales_dirt(small_extracts: Path, villages: pl.DataFrame) -> None:
    seen = _check_dirt(small_extracts, villages)
    m = manifest(small_extracts)
    rt_rows = sum(rows for f, rows in m["files"].items() if "_RT_" in f)
    rt_dirt = sum(m["counts_by_file_type"]["rt"].values())
    assert 0.007 * rt_rows < rt_dirt < 0.013 * rt_rows
    assert seen["encoding_cp1252"] == 4  # two kab/kota, RT and ART each


def test_same_seed_same_bytes_other_seed_other_data(tiny_extracts: Path, tmp_path: Path) -> None:
    def digests(root: Path) -> dict[str, str]:
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    again = tmp_path / "again"
    generate(again, scale="tiny", seed=2015, dirt_rate=0.01)
    assert digests(again) == digests(tiny_extracts)
    other = tmp_path / "other"
    generate(other, scale="tiny", seed=7, dirt_rate=0.01)
    theirs = digests(other)
    mine = digests(tiny_extracts)
    for file in ("bdt/BDT2015_ART_1872.csv", "ikd/IKD_2014.csv", "population/penduduk_desa_2016.csv"):
        assert theirs[file] != mine[file]


def test_regenerating_removes_only_what_the_previous_run_wrote(tiny_extracts: Path, tmp_path: Path) -> None:
    out = tmp_path / "raw"
    shutil.copytree(tiny_extracts, out)
    m = manifest(out)
    m["files"]["bdt/BDT2015_RT_1899.csv"] = 1  # as if an earlier, larger run had written it
    (out / "bdt/BDT2015_RT_1899.csv").write_text("IDBDT\n1\n")
    (out / "_demo/manifest.json").write_text(json.dumps(m))
    (out / "bdt/catatan.txt").write_text("the data team's own notes")
    generate(out, scale="tiny", seed=2015, dirt_rate=0.0)
    assert not (out / "bdt/BDT2015_RT_1899.csv").exists()
    assert (out / "bdt/catatan.txt").exists()
    assert dirt(out).height == 0 and set(manifest(out)["files"]) == set(manifest(tiny_extracts)["files"])
