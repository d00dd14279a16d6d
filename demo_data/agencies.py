"""Who reports interventions: nine provincial dinas and up to three kabupaten/kota agencies, and what each
reports, in which budget and file format, plus the generator-side size of each programme.

Programme names, sectors, needs and target levels come from the catalogue seed; this module only adds
what the catalogue does not hold: yearly volume at province scale (about one million deliveries a year in
all), plausible amounts in rupiah and the unit. A catalogue programme that no agency reports is simply not
delivered; an agency programme missing from the catalogue is skipped.
"""

import csv
from dataclasses import dataclass

import polars as pl

from pipelines import settings

APBD_PROV, APBD_KAB, APBN, OTHER = "APBD Provinsi", "APBD Kabupaten/Kota", "APBN", "Lainnya"
YEARS = (2016, 2017)
GROWTH = {2016: 1.0, 2017: 1.06}
XLSX_MAX_ROWS = 15_000  # xlsx writing is slow (~1 s per 15,000 rows): a bigger report is sent as csv


@dataclass(frozen=True)
class ProgrammeSize:
    """Generator-side size of one programme (what the catalogue does not hold)."""

    volume: int  # deliveries in 2016 at province scale, all provincial agencies together
    amounts: tuple[int, ...]  # rupiah per delivery, one drawn per row (KIP: by school level)
    satuan: str


SIZES: dict[str, ProgrammeSize] = {
    "EDU-KIP": ProgrammeSize(260_000, (450_000, 750_000, 1_000_000), "jiwa"),
    "EDU-BSM-PROV": ProgrammeSize(30_000, (750_000, 1_000_000, 1_200_000), "jiwa"),
    "HLT-PBI-DAERAH": ProgrammeSize(330_000, (276_000,), "jiwa"),  # Rp 23,000 a month for 12 months
    "HLT-PMT": ProgrammeSize(70_000, (300_000,), "paket"),
    "HLT-KB": ProgrammeSize(90_000, (50_000, 75_000, 100_000), "paket"),
    "HSG-RTLH": ProgrammeSize(7_000, (15_000_000,), "unit"),
    "WAT-SR": ProgrammeSize(18_000, (1_500_000, 2_000_000, 2_500_000), "unit"),
    "SAN-JAMBAN": ProgrammeSize(22_000, (2_000_000, 2_500_000, 3_000_000), "unit"),
    "SOC-ASPDB": ProgrammeSize(4_000, (3_600_000,), "jiwa"),  # Rp 300,000 a month
    "ECO-KUBE": ProgrammeSize(14_000, (2_000_000,), "KK"),
    "ECO-BENIH": ProgrammeSize(55_000, (500_000, 750_000, 1_000_000, 1_500_000), "paket"),
    "ECO-NELAYAN": ProgrammeSize(6_000, (5_000_000, 7_500_000), "paket"),
    "ECO-TERNAK": ProgrammeSize(8_000, (5_000_000, 8_000_000, 10_000_000), "ekor"),
    "ECO-UMKM-PR": ProgrammeSize(9_000, (2_500_000, 3_000_000), "KK"),
    "EMP-PELATIHAN": ProgrammeSize(18_000, (1_500_000, 2_000_000, 3_000_000), "orang"),
}
DEFAULT_SIZE = ProgrammeSize(10_000, (1_000_000,), "paket")


@dataclass(frozen=True)
class Report:
    """One programme in one agency's file: its budget(s) and its share of the programme's volume."""

    kode_program: str
    funding: tuple[tuple[str, float], ...]  # (canonical sumber_dana, probability)
    share: float = 1.0


@dataclass(frozen=True)
class Agency:
    """One reporting agency: what it reports and how its files look."""

    slug: str  # file name stem
    opd: str
    reports: tuple[Report, ...]
    formats: tuple[str, str]  # 2016, 2017: "csv," | "csv;" | "xlsx"
    idbdt_rate: float  # share of BDT beneficiaries whose idbdt the agency writes down
    regency: str | None = None  # Kemendagri regency code of a kab/kota agency
    blank_rows: int = 0  # empty rows above the header (xlsx)


def _r(code: str, *funding: tuple[str, float], share: float = 1.0) -> Report:
    return Report(code, funding, share)


PROVINCIAL = (
    Agency("disdikbud_prov_penerima", "Dinas Pendidikan dan Kebudayaan Provinsi Lampung",
           (_r("EDU-KIP", (APBN, 1.0)), _r("EDU-BSM-PROV", (APBD_PROV, 1.0))), ("csv,", "csv;"), 0.15),
    Agency("dinkes_prov", "Dinas Kesehatan Provinsi Lampung",
           (_r("HLT-PBI-DAERAH", (APBD_PROV, 1.0)), _r("HLT-PMT", (APBN, 0.6), (APBD_PROV, 0.4)),
            _r("HLT-KB", (APBN, 1.0))), ("csv;", "csv,"), 0.1),
    Agency("perkim_prov_rtlh_air_jamban", "Dinas Perumahan Rakyat dan Kawasan Permukiman Provinsi Lampung",
           (_r("HSG-RTLH", (APBD_PROV, 1.0)), _r("WAT-SR", (APBN, 0.7), (APBD_PROV, 0.3)),
            _r("SAN-JAMBAN", (APBD_PROV, 1.0))), ("csv,", "csv,"), 0.6),
    Agency("dinsos_prov", "Dinas Sosial Provinsi Lampung",
           (_r("SOC-ASPDB", (APBN, 1.0)), _r("ECO-KUBE", (APBD_PROV, 1.0))), ("xlsx", "xlsx"), 0.7),
    Agency("diskop_umkm_prov", "Dinas Koperasi dan UKM Provinsi Lampung",
           (_r("ECO-UMKM-PR", (APBD_PROV, 0.7), (OTHER, 0.3)),), ("xlsx", "xlsx"), 0.0, blank_rows=2),
    Agency("dtph_prov_benih", "Dinas Tanaman Pangan dan Hortikultura Provinsi Lampung",
           (_r("ECO-BENIH", (APBD_PROV, 0.5), (APBN, 0.5)),), ("csv;", "csv;"), 0.2),
    Agency("dkp_prov_nelayan", "Dinas Kelautan dan Perikanan Provinsi Lampung",
           (_r("ECO-NELAYAN", (APBD_PROV, 1.0)),), ("xlsx", "csv,"), 0.3, blank_rows=1),
    Agency("disnakkeswan_prov", "Dinas Peternakan dan Kesehatan Hewan Provinsi Lampung",
           (_r("ECO-TERNAK", (APBD_PROV, 0.8), (APBN, 0.2)),), ("csv,", "xlsx"), 0.3),
    Agency("disnakertrans_prov_pelatihan", "Dinas Tenaga Kerja dan Transmigrasi Provinsi Lampung",
           (_r("EMP-PELATIHAN", (APBD_PROV, 1.0)),), ("csv,", "csv;"), 0.0),
)  # fmt: skip

# kab/kota agencies: (agency kind, reports, formats, idbdt_rate); share is relative to the kab's part
KAB_TEMPLATES = (
    ("Bappeda", (_r("HSG-RTLH", (APBD_KAB, 1.0), share=0.8), _r("ECO-BENIH", (APBD_KAB, 1.0), share=0.4)),
     ("xlsx", "xlsx"), 0.5),
    ("Dinas Sosial", (_r("HLT-PBI-DAERAH", (APBD_KAB, 1.0), share=0.5), _r("SOC-ASPDB", (APBD_KAB, 1.0), share=0.5)),
     ("csv;", "csv,"), 0.4),
    ("Bappeda", (_r("SAN-JAMBAN", (APBD_KAB, 1.0), share=0.8), _r("WAT-SR", (APBD_KAB, 1.0), share=0.6),
                 _r("HSG-RTLH", (OTHER, 1.0), share=0.3)), ("csv,", "xlsx"), 0.5),
)  # fmt: skip
KAB_PREFERENCE = ("1804", "1871", "1806", "1872")  # Lampung Barat, Bandar Lampung, Tanggamus, Metro


def agencies(regencies: pl.DataFrame) -> list[Agency]:
    """The provincial agencies plus one kab/kota agency for each of up to three present kab/kota."""
    present = regencies["regency_code"].to_list()
    ordered = [c for c in KAB_PREFERENCE if c in present] + [c for c in present if c not in KAB_PREFERENCE]
    out = list(PROVINCIAL)
    for (kind, reports, formats, rate), code in zip(KAB_TEMPLATES, ordered, strict=False):
        row = regencies.row(present.index(code), named=True)
        level = "Kota" if row["type"] == "kota" else "Kabupaten"
        slug = (
            f"{kind.lower().replace(' ', '')}_{level.lower()}_{row['short_name'].lower().replace(' ', '_')}"
        )
        out.append(Agency(slug, f"{kind} {level} {row['short_name']}", reports, formats, rate, code))
    return out


def catalogue() -> pl.DataFrame:
    """The programme catalogue seed (one source of truth with the landing and dbt)."""
    return pl.read_csv(settings.SEEDS_DIR / "programme_catalogue.csv", infer_schema=False)


def funding_spellings() -> dict[str, list[str]]:
    """Spellings of each canonical sumber_dana, from the funding_source_map seed, in seed order."""
    out: dict[str, list[str]] = {}
    with open(settings.SEEDS_DIR / "funding_source_map.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["sumber_dana"], []).append(row["spelling"])
    return out
