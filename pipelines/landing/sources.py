"""What each extract must hold and how its rows are typed and judged (shapes: shared/docs/extracts.md).

A source is data about a table: where its files are, which columns it requires, how each column is typed,
which rules send a row to quarantine (first failing rule wins) and which key must be unique.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from pipelines.landing import normalise as n
from pipelines.landing import reference
from pipelines.landing.reading import MALFORMED, DeliveredFile, UnreadableFileError
from pipelines.landing.rules import (
    TYPED,
    Rule,
    bad_value,
    coded,
    required,
    typed,
    unparsed,
    yes_no_rule,
)

# Yes/no coding per column, fixed by the extract contract: the trap is that it alternates.
YES_NO_HOUSEHOLD = {
    "ada_tabung_gas": (1, 2),
    "ada_motor": (1, 2),
    "sta_kks": (1, 2),
    "sta_kis": (1, 2),
    "sta_rastra": (1, 2),
    "ada_lemari_es": (3, 4),
    "sta_kip": (3, 4),
    "sta_pkh": (3, 4),
}
YES_NO_PERSON = {
    "ada_kks": (1, 2),
    "ada_kip": (1, 2),
    "sta_hamil": (1, 2),
    "sta_bekerja": (1, 2),
    "ada_pbi": (3, 4),
    "ada_pkh": (3, 4),
}
HOUSEHOLD_CODES = {
    "lantai": range(1, 11),
    "dinding": range(1, 8),
    "kondisi_dinding": range(1, 3),
    "atap": range(1, 11),
    "kondisi_atap": range(1, 3),
    "sumber_airminum": range(1, 13),
    "fasbab": range(1, 5),
}
HOUSEHOLD_INTS = [
    "jumlah_art",
    "jumlah_keluarga",
    "sta_bangunan",
    "jumlah_kamar",
    "sumber_penerangan",
    "bb_masak",
    "percentile",
    "status_kesejahteraan",
    *HOUSEHOLD_CODES,
]
PERSON_CODES = {
    "jnskel": [1, 2],
    "hub_krt": range(1, 9),
    "sta_kawin": range(1, 5),
    "jenis_cacat": range(0, 13),
    "partisipasi_sekolah": range(0, 3),
    "lapangan_usaha": range(0, 22),
    "sta_keberadaan_art": range(1, 5),
}
PERSON_INTS = ["umur", "penyakit_kronis", "pendidikan_tertinggi", "status_pekerjaan", *PERSON_CODES]
IKD_CLASSES = {
    "maju": "Maju",
    "berkembang": "Berkembang",
    "kurang berkembang": "Kurang Berkembang",
    "tertinggal": "Tertinggal",
}


@dataclass(frozen=True)
class Source:
    table: str
    description: str
    folder: str
    file_pattern: str  # regular expression on the path relative to the drop zone
    required: list[str]
    prepare: Callable[[pl.LazyFrame, DeliveredFile], pl.LazyFrame]
    rules: list[Rule]
    output: list[str]
    example: str = ""  # a file name of this source, used to shape the empty table
    key: list[str] = field(default_factory=list)
    hashed: dict[str, tuple[str, str]] = field(default_factory=dict)  # hash column -> (value, valid flag)
    # A whole-file rule on the rows as delivered (and what is landed already, `Landed`): raises
    # UnreadableFileError to refuse the file.
    check_file: Callable[[pl.DataFrame, DeliveredFile, "Landed"], None] | None = None

    def matches(self, relpath: str) -> re.Match | None:
        return re.fullmatch(self.file_pattern, relpath, flags=re.IGNORECASE)


def _text(names: list[str]) -> list[pl.Expr]:
    return [pl.col(c).alias(TYPED + c) for c in names]


def _ints(names: list[str]) -> list[pl.Expr]:
    return [n.parse_int(c).alias(TYPED + c) for c in names]


def _yes_no(coding: dict[str, tuple[int, int]]) -> list[pl.Expr]:
    return [n.yes_no(c, yes, no).alias(TYPED + c) for c, (yes, no) in coding.items()]


def with_id_number(frame: pl.LazyFrame, col: str, valid=n.nik_valid) -> pl.LazyFrame:
    """`<col>` (16 digits or null), `<col>_valid` and `<col>_raw` as delivered; staged so each step runs once."""
    candidate = "_candidate_" + col
    frame = frame.with_columns(n.sixteen_digits(col).alias(candidate))
    frame = frame.with_columns(valid(candidate).alias(TYPED + col + "_valid"))
    return frame.with_columns(
        pl.when(typed(col + "_valid")).then(pl.col(candidate)).alias(TYPED + col),
        pl.col(col).alias(TYPED + col + "_raw"),
    )


def _malformed() -> Rule:
    return Rule(
        pl.col(MALFORMED),
        "malformed_row",
        pl.lit("the row has a different number of fields than the header"),
    )


def _lookup(frame: pl.LazyFrame, lookup: pl.DataFrame, on: str, flag: str) -> pl.LazyFrame:
    """Left-join a reference and mark whether the code was found, keeping row order."""
    found = lookup.lazy().with_columns(pl.lit(True).alias(flag))
    return frame.join(found, left_on=TYPED + on, right_on=on, how="left", maintain_order="left").with_columns(
        pl.col(flag).fill_null(False)
    )


# --- BDT households ---------------------------------------------------------------------------------------

HOUSEHOLD_REQUIRED = [
    "idbdt", "kdprop", "kdkab", "kdkec", "kddesa", "nama_krt", "alamat", "nokk", "jumlah_art",
    "jumlah_keluarga", "sta_bangunan", "luas_lantai", "lantai", "dinding", "kondisi_dinding", "atap",
    "kondisi_atap", "jumlah_kamar", "sumber_airminum", "sumber_penerangan", "bb_masak", "fasbab",
    "ada_tabung_gas", "ada_lemari_es", "ada_motor", "sta_kks", "sta_kip", "sta_kis", "sta_pkh", "sta_rastra",
    "percentile", "status_kesejahteraan",
]  # fmt: skip


def _prepare_households(frame: pl.LazyFrame, _: DeliveredFile) -> pl.LazyFrame:
    frame = frame.with_columns(
        *_text(["idbdt", "nama_krt", "alamat"]),
        n.digits_code("kdprop", 2).alias(TYPED + "kdprop"),
        n.digits_code("kdkab", 2).alias(TYPED + "kdkab"),
        n.digits_code("kdkec", 3).alias(TYPED + "kdkec"),
        n.digits_code("kddesa", 3).alias(TYPED + "kddesa"),
        *_ints(HOUSEHOLD_INTS),
        n.parse_decimal("luas_lantai").alias(TYPED + "luas_lantai"),
        *_yes_no(YES_NO_HOUSEHOLD),
    ).with_columns(
        pl.concat_str(typed("kdprop"), typed("kdkab"), typed("kdkec"), typed("kddesa")).alias(
            TYPED + "bps_desa_code"
        )
    )
    frame = with_id_number(frame, "nokk", n.kk_valid)
    frame = _lookup(frame, reference.bps_villages(), "bps_desa_code", "_region_found")
    return frame.rename({"kemendagri_desa_code": TYPED + "kemendagri_desa_code"})


@dataclass(frozen=True)
class Landed:
    """What whole-file rules may compare a delivery with: the BDT households landed so far (idbdt, kab)."""

    households: pl.DataFrame | None = None


def _refuse_other_kabupaten(f: DeliveredFile, named: str, kabs: pl.Series, evidence: str) -> None:
    found = kabs.drop_nulls().value_counts(sort=True, name="len")
    others = found.filter(pl.col(kabs.name) != named)
    if others.height:
        shown = ", ".join(f"{k} ({c:,} rows)" for k, c in others.iter_rows())
        raise UnreadableFileError(
            f.relpath,
            f"the file name says kabupaten {named} but its rows belong to kabupaten {shown} ({evidence}): "
            "the file is refused, nothing of it landed. Name it after the kabupaten of its rows",
        )


def _rows_of_the_named_kabupaten(frame: pl.DataFrame, f: DeliveredFile, _: Landed) -> None:
    """A BDT file replaces its kabupaten's rows: a file named for one kabupaten holding another's rows
    (copied or renamed by mistake) would delete the named one and land the other twice. Refused."""
    kab = pl.concat_str(n.digits_code("kdprop", 2), n.digits_code("kdkab", 2)).alias("kab")
    named = BDT_HOUSEHOLDS.matches(f.relpath)["kab"]
    _refuse_other_kabupaten(f, named, frame.select(kab).to_series(), "KDPROP+KDKAB")


def _members_of_the_named_kabupaten(frame: pl.DataFrame, f: DeliveredFile, landed: Landed) -> None:
    """Members carry no region code: their households, where already landed, say which kabupaten they
    belong to. Members of households not landed (yet) are not judged here."""
    if landed.households is None or frame.height == 0:
        return
    named = BDT_INDIVIDUALS.matches(f.relpath)["kab"]
    theirs = frame.select(pl.col("idbdt").str.strip_chars()).join(landed.households, on="idbdt", how="inner")
    _refuse_other_kabupaten(f, named, theirs["kab"], "by their households' IDBDT in raw.bdt_households")


HOUSEHOLD_RULES = [
    _malformed(),
    required("idbdt", "missing_key"),
    *[bad_value(c) for c in [*HOUSEHOLD_INTS, "luas_lantai"]],
    required("status_kesejahteraan"),
    *[yes_no_rule(c, yes, no) for c, (yes, no) in YES_NO_HOUSEHOLD.items()],
    *[coded(c, allowed) for c, allowed in HOUSEHOLD_CODES.items()],
    Rule(
        ~pl.col("_region_found"),
        "unknown_region",
        pl.format(
            "BPS desa code {} (KDPROP {}, KDKAB {}, KDKEC {}, KDDESA {}) is not a Lampung desa",
            typed("bps_desa_code"),
            pl.col("kdprop"),
            pl.col("kdkab"),
            pl.col("kdkec"),
            pl.col("kddesa"),
        ),
    ),
    coded("status_kesejahteraan", range(1, 5), "decile_out_of_range"),
    coded("percentile", range(1, 41), "out_of_range"),
]

BDT_HOUSEHOLDS = Source(
    table="bdt_households",
    example="bdt/BDT2015_RT_1806.csv",
    description="BDT 2015 households (RT), one row per household, BPS region codes with the Kemendagri "
    "crosswalk. Cleartext names and addresses: raw schema only.",
    folder="bdt",
    file_pattern=r"bdt/BDT2015_RT_(?P<kab>18\d\d)\.csv",
    required=HOUSEHOLD_REQUIRED,
    prepare=_prepare_households,
    rules=HOUSEHOLD_RULES,
    output=[
        "idbdt",
        "kdprop",
        "kdkab",
        "kdkec",
        "kddesa",
        "bps_desa_code",
        "kemendagri_desa_code",
        "nama_krt",
        "alamat",
        "nokk",
        "nokk_raw",
        "nokk_valid",
        *HOUSEHOLD_INTS,
        "luas_lantai",
        *YES_NO_HOUSEHOLD,
    ],  # fmt: skip
    key=["idbdt"],
    hashed={"nokk_hash": ("nokk", "nokk_valid")},
    check_file=_rows_of_the_named_kabupaten,
)

# --- BDT individuals --------------------------------------------------------------------------------------

PERSON_REQUIRED = [
    "idartbdt", "idbdt", "nik", "nokk", "nama", "jnskel", "tmplahir", "tgllahir", "umur", "hub_krt",
    "sta_kawin", "sta_hamil", "jenis_cacat", "penyakit_kronis", "partisipasi_sekolah", "pendidikan_tertinggi",
    "sta_bekerja", "lapangan_usaha", "status_pekerjaan", "sta_keberadaan_art", "ada_kks", "ada_pbi",
    "ada_kip", "ada_pkh",
]  # fmt: skip


def _prepare_individuals(frame: pl.LazyFrame, _: DeliveredFile) -> pl.LazyFrame:
    birth = n.parse_date("tgllahir")
    plausible = birth.is_between(date(1900, 1, 1), date(2015, 12, 31))
    frame = with_id_number(with_id_number(frame, "nik"), "nokk", n.kk_valid)
    return frame.with_columns(
        *_text(["idartbdt", "idbdt", "nama", "tmplahir"]),
        pl.when(plausible).then(birth).alias(TYPED + "tgllahir"),
        plausible.fill_null(False).alias(TYPED + "tgllahir_valid"),
        *_ints(PERSON_INTS),
        *_yes_no(YES_NO_PERSON),
    )


BDT_INDIVIDUALS = Source(
    table="bdt_individuals",
    example="bdt/BDT2015_ART_1806.csv",
    description="BDT 2015 individuals (ART), one row per person; NIK and KK repaired where certain, flagged "
    "invalid where not, with keyed hashes for joins. Cleartext identity: raw schema only.",
    folder="bdt",
    file_pattern=r"bdt/BDT2015_ART_(?P<kab>18\d\d)\.csv",
    required=PERSON_REQUIRED,
    prepare=_prepare_individuals,
    rules=[
        _malformed(),
        required("idartbdt", "missing_key"),
        required("idbdt", "missing_key"),
        *[bad_value(c) for c in PERSON_INTS],
        *[yes_no_rule(c, yes, no) for c, (yes, no) in YES_NO_PERSON.items()],
        *[coded(c, allowed) for c, allowed in PERSON_CODES.items()],
        coded("umur", range(0, 131), "out_of_range"),
    ],
    output=[
        "idartbdt",
        "idbdt",
        "nik",
        "nik_raw",
        "nik_valid",
        "nokk",
        "nokk_raw",
        "nokk_valid",
        "nama",
        "tmplahir",
        "tgllahir",
        "tgllahir_valid",
        *PERSON_INTS,
        *YES_NO_PERSON,
    ],  # fmt: skip
    key=["idartbdt"],
    hashed={"nik_hash": ("nik", "nik_valid"), "nokk_hash": ("nokk", "nokk_valid")},
    check_file=_members_of_the_named_kabupaten,
)

# --- IKD --------------------------------------------------------------------------------------------------

IKD_SCORES = ["aspek_1", "aspek_2", "aspek_3", "aspek_4", "aspek_5", "ikd"]


def _prepare_ikd(frame: pl.LazyFrame, f: DeliveredFile) -> pl.LazyFrame:
    year = int(BDT_IKD.matches(f.relpath)["year"])
    status_key = pl.col("status").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    frame = frame.with_columns(
        pl.lit(year, pl.Int64).alias(TYPED + "ikd_year"),
        n.digits_code("kode_desa_bps", 10).alias(TYPED + "kode_desa_bps"),
        *_text(["nama_desa"]),
        *[n.parse_decimal(c).alias(TYPED + c) for c in IKD_SCORES],
        status_key.replace_strict(IKD_CLASSES, default=None, return_dtype=pl.String).alias(TYPED + "status"),
    )
    villages = reference.bps_villages().rename({"bps_desa_code": "kode_desa_bps"})
    frame = _lookup(frame, villages, "kode_desa_bps", "_region_found")
    return frame.rename({"kemendagri_desa_code": TYPED + "kemendagri_desa_code"})


BDT_IKD = Source(
    table="ikd",
    example="ikd/IKD_2014.csv",
    description="Indeks Kemajuan Desa: one row per desa and scoring round, class names made canonical.",
    folder="ikd",
    file_pattern=r"ikd/IKD_(?P<year>\d{4})\.csv",
    required=["kode_desa_bps", "nama_desa", *IKD_SCORES, "status"],
    prepare=_prepare_ikd,
    rules=[
        _malformed(),
        required("kode_desa_bps", "missing_key"),
        *[bad_value(c) for c in IKD_SCORES],
        Rule(
            typed("status").is_null(),
            "unknown_status",
            pl.format(
                "status '{}' is not one of Maju, Berkembang, Kurang Berkembang, Tertinggal", pl.col("status")
            ),
        ),
        Rule(
            ~pl.col("_region_found"),
            "unknown_region",
            pl.format("kode_desa_bps {} is not a Lampung desa (BPS MFD 2018)", pl.col("kode_desa_bps")),
        ),
        *[
            Rule(
                ~typed(c).is_between(0, 100),
                "out_of_range",
                pl.format(f"{c} = {{}} is outside 0-100", typed(c)),
            )
            for c in IKD_SCORES
        ],
    ],
    output=["ikd_year", "kode_desa_bps", "kemendagri_desa_code", "nama_desa", *IKD_SCORES, "status"],
    key=["ikd_year", "kode_desa_bps"],
)

# --- Interventions ----------------------------------------------------------------------------------------

INTERVENTION_REQUIRED = [
    "tahun", "kode_program", "nama_program", "sumber_dana", "opd", "kode_wilayah", "nik", "nama", "idbdt",
    "tanggal", "nilai_rp", "satuan",
]  # fmt: skip


def _prepare_interventions(frame: pl.LazyFrame, f: DeliveredFile) -> pl.LazyFrame:
    where = INTERVENTIONS.matches(f.relpath)
    year = where["year"]
    funding_key = pl.col("sumber_dana").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    frame = frame.with_columns(
        n.parse_int("tahun").alias(TYPED + "tahun"),
        pl.lit(int(year) if year else None, pl.Int64).alias(TYPED + "report_year"),
        pl.lit(where["folder"], pl.String).alias("_folder"),
        *_text(["kode_program", "nama_program", "opd", "nama", "idbdt", "satuan"]),
        pl.col("sumber_dana").alias(TYPED + "sumber_dana_raw"),
        funding_key.alias("_funding_key"),
        n.dotted_code("kode_wilayah", 10).alias(TYPED + "kode_wilayah"),
        n.parse_date("tanggal", allow_serial=True).alias(TYPED + "tanggal"),
        n.parse_rupiah("nilai_rp").alias(TYPED + "nilai_rp"),
    )
    frame = with_id_number(frame, "nik")
    funding = reference.funding_spellings().rename({"sumber_dana": TYPED + "sumber_dana"})
    frame = frame.join(funding.lazy(), on="_funding_key", how="left", maintain_order="left")
    frame = frame.join(
        reference.programme_codes().lazy(), left_on=TYPED + "kode_program", right_on="kode_program", how="left",
        maintain_order="left",
    )  # fmt: skip
    frame = _lookup(frame, reference.kemendagri_village_codes().rename({"kemendagri_desa_code": "kode_wilayah"}),
                    "kode_wilayah", "_region_found")  # fmt: skip
    return frame.with_columns(pl.lit(False).alias(TYPED + "flag_deceased_beneficiary"))


INTERVENTIONS = Source(
    table="interventions",
    example="interventions/2016/example.csv",
    description="Intervention deliveries reported by agencies (OPD, kab/kota), one row per delivery; "
    "funding source made canonical, beneficiary NIK hashed, deliveries to deceased BDT members flagged.",
    folder="interventions",
    # A folder that is not a year (`abc/`) is read too: its rows go to quarantine, so the ledger shows them.
    file_pattern=r"interventions/(?:(?P<year>\d{4})|(?P<folder>[^/]+))/[^/]+\.(csv|xlsx)",
    required=INTERVENTION_REQUIRED,
    prepare=_prepare_interventions,
    rules=[
        _malformed(),
        Rule(
            typed("report_year").is_null(),
            "unknown_report_year",
            pl.format(
                "the file is in folder interventions/{}/, which is not a report year (interventions/<year>/)",
                pl.col("_folder"),
            ),
        ),
        required("tahun"),
        bad_value("tahun"),
        Rule(
            pl.col("_known_programme").is_null(),
            "unknown_programme",
            pl.format("kode_program '{}' is not in the programme catalogue", pl.col("kode_program")),
        ),
        Rule(
            typed("sumber_dana").is_null(),
            "unknown_funding_source",
            pl.format("sumber_dana '{}' is not a known funding source spelling", pl.col("sumber_dana")),
        ),
        Rule(
            ~pl.col("_region_found"),
            "unknown_region",
            pl.format("kode_wilayah '{}' is not a Lampung Kemendagri desa code", pl.col("kode_wilayah")),
        ),
        required("tanggal", "bad_date"),
        Rule(unparsed("tanggal"), "bad_date", pl.format("tanggal '{}' is not a date", pl.col("tanggal"))),
        Rule(
            typed("tanggal") > pl.lit(date.today()),
            "future_date",
            pl.format("tanggal {} is in the future", typed("tanggal")),
        ),
        required("nilai_rp"),
        bad_value("nilai_rp", "an amount of rupiah"),
        Rule(
            typed("nilai_rp") < 0, "negative_amount", pl.format("nilai_rp {} is negative", typed("nilai_rp"))
        ),
    ],
    output=[
        "tahun",
        "report_year",
        "kode_program",
        "nama_program",
        "sumber_dana_raw",
        "sumber_dana",
        "opd",
        "kode_wilayah",
        "nik",
        "nik_raw",
        "nik_valid",
        "nama",
        "idbdt",
        "tanggal",
        "nilai_rp",
        "satuan",
        "flag_deceased_beneficiary",
    ],  # fmt: skip
    hashed={"nik_hash": ("nik", "nik_valid")},
)

# --- Population -------------------------------------------------------------------------------------------


def _prepare_population(frame: pl.LazyFrame, f: DeliveredFile) -> pl.LazyFrame:
    year = int(POPULATION.matches(f.relpath)["year"])
    frame = frame.with_columns(
        pl.lit(year, pl.Int64).alias(TYPED + "population_year"),
        n.dotted_code("kode_desa", 10).alias(TYPED + "kode_desa"),
        *_text(["nama_desa"]),
        *_ints(["jumlah_penduduk", "jumlah_kk"]),
    )
    return _lookup(
        frame, reference.kemendagri_village_codes().rename({"kemendagri_desa_code": "kode_desa"}), "kode_desa",
        "_region_found",
    )  # fmt: skip


POPULATION = Source(
    table="population",
    example="population/penduduk_desa_2016.csv",
    description="Dukcapil population and family counts per desa and year: the denominators of rates.",
    folder="population",
    file_pattern=r"population/penduduk_desa_(?P<year>\d{4})\.csv",
    required=["kode_desa", "nama_desa", "jumlah_penduduk", "jumlah_kk"],
    prepare=_prepare_population,
    rules=[
        _malformed(),
        required("kode_desa", "missing_key"),
        required("jumlah_penduduk"),
        bad_value("jumlah_penduduk"),
        bad_value("jumlah_kk"),
        Rule(
            ~pl.col("_region_found"),
            "unknown_region",
            pl.format("kode_desa '{}' is not a Lampung Kemendagri desa code", pl.col("kode_desa")),
        ),
        Rule(
            (typed("jumlah_penduduk") < 0) | (typed("jumlah_kk") < 0),
            "out_of_range",
            pl.lit("a count is negative"),
        ),
    ],
    output=["population_year", "kode_desa", "nama_desa", "jumlah_penduduk", "jumlah_kk"],
    key=["population_year", "kode_desa"],
)

SOURCES = [BDT_HOUSEHOLDS, BDT_INDIVIDUALS, BDT_IKD, INTERVENTIONS, POPULATION]
