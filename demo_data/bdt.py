"""BDT 2015 rows as the files carry them (all text): one RT and one ART frame per kab/kota.

Codes follow extracts.md: BPS location codes (`KDKAB` 2, `KDKEC` 3, `KDDESA` 3 digits), yes/no items in the
pair fixed for their column (the 1/2 versus 3/4 trap), decimal comma in `luas_lantai`, `TglLahir` as
`dd/mm/yyyy` or `yyyy-mm-dd`, `Lapangan_usaha`/`Status_pekerjaan` 0 or empty when not working.
`IDBDT` = BPS desa code + 5-digit running number; `IDARTBDT` = `IDBDT` + 2-digit member number.
`Jumlah_ART` counts the members present (status 1 or 4), not the deceased or moved-out rows still listed.
"""

import numpy as np
import polars as pl

from demo_data import names
from demo_data.geography import Geography
from demo_data.members import CHILD_IN_LAW, GRANDCHILD

RT_COLUMNS = [
    "IDBDT", "KDPROP", "KDKAB", "KDKEC", "KDDESA", "Nama_KRT", "Alamat", "NOKK", "Jumlah_ART",
    "Jumlah_Keluarga", "sta_bangunan", "luas_lantai", "lantai", "dinding", "kondisi_dinding", "atap",
    "kondisi_atap", "jumlah_kamar", "sumber_airminum", "sumber_penerangan", "bb_masak", "fasbab",
    "ada_tabung_gas", "ada_lemari_es", "ada_motor", "sta_kks", "sta_kip", "sta_kis", "sta_pkh", "sta_rastra",
    "sta_kur", "percentile", "status_kesejahteraan",
]  # fmt: skip
ART_COLUMNS = [
    "IDARTBDT", "IDBDT", "NIK", "NoKK", "Nama", "JnsKel", "TmpLahir", "TglLahir", "Umur", "Hub_KRT",
    "Sta_kawin", "Sta_hamil", "Jenis_cacat", "Penyakit_kronis", "Partisipasi_sekolah", "Pendidikan_tertinggi",
    "Sta_Bekerja", "Lapangan_usaha", "Status_pekerjaan", "Sta_keberadaan_art", "Ada_kks", "Ada_pbi", "Ada_kip",
    "Ada_pkh",
]  # fmt: skip
# yes/no coding fixed per column (extracts.md); `sta_kur` is an extra column of the real BDT, coded 1/2
YES_NO: dict[str, tuple[str, str]] = {
    **{c: ("1", "2") for c in ("ada_tabung_gas", "ada_motor", "sta_kks", "sta_kis", "sta_rastra", "sta_kur")},
    **{c: ("3", "4") for c in ("ada_lemari_es", "sta_kip", "sta_pkh")},
    **{c: ("1", "2") for c in ("Ada_kks", "Ada_kip", "Sta_hamil", "Sta_Bekerja")},
    **{c: ("3", "4") for c in ("Ada_pbi", "Ada_pkh")},
}
RT_YES_NO = [c for c in RT_COLUMNS if c in YES_NO and c != "sta_kur"]
ART_YES_NO = [c for c in ART_COLUMNS if c in YES_NO]
RT_INTEGERS = [
    "Jumlah_ART", "Jumlah_Keluarga", "sta_bangunan", "lantai", "dinding", "kondisi_dinding", "atap",
    "kondisi_atap", "jumlah_kamar", "sumber_airminum", "sumber_penerangan", "bb_masak", "fasbab", "percentile",
]  # fmt: skip
ART_INTEGERS = {
    "Umur": "umur", "Hub_KRT": "hub_krt", "Sta_kawin": "sta_kawin", "Jenis_cacat": "jenis_cacat",
    "Penyakit_kronis": "penyakit_kronis", "Partisipasi_sekolah": "partisipasi_sekolah",
    "Pendidikan_tertinggi": "pendidikan_tertinggi", "Sta_keberadaan_art": "keberadaan",
}  # fmt: skip


def _yes_no(column: str, source: str) -> pl.Expr:
    yes, no = YES_NO[column]
    return pl.when(pl.col(source)).then(pl.lit(yes)).otherwise(pl.lit(no)).alias(column)


def _z(col: str, width: int) -> pl.Expr:
    return pl.col(col).cast(pl.String).str.zfill(width)


def idbdt(hh: pl.DataFrame, geo: Geography) -> pl.Series:
    """IDBDT of each household (BPS desa code + running number)."""
    bps = geo.desa["bps_code"].gather(hh["desa_idx"])
    return (bps + hh["seq"].cast(pl.String).str.zfill(5)).alias("IDBDT")


def render_rt(hh: pl.DataFrame, geo: Geography) -> pl.DataFrame:
    """Household rows of one kab/kota as text."""
    bps = geo.desa["bps_code"].gather(hh["desa_idx"])
    place = pl.Series(names.DUSUN).gather(hh["addr_place"].to_numpy() % len(names.DUSUN))
    street = pl.Series(names.STREETS).gather(hh["addr_place"].to_numpy() % len(names.STREETS))
    frame = hh.with_columns(bps=bps, place=place, street=street, IDBDT=idbdt(hh, geo))
    rural = pl.concat_str(
        pl.lit("Dusun "), "place", pl.lit(" RT "), _z("addr_rt", 3), pl.lit(" RW "), _z("addr_rw", 3)
    )
    urban = pl.concat_str(
        "street", pl.lit(" No. "), pl.col("addr_no").cast(pl.String), pl.lit(" RT "), _z("addr_rt", 3)
    )
    area = pl.col("luas_lantai")
    plain = [pl.col(c) for c in RT_INTEGERS if c not in ("Jumlah_ART", "Jumlah_Keluarga")]
    yes_no = [_yes_no(c, c) for c in RT_YES_NO + ["sta_kur"]]
    return frame.select(
        "IDBDT",
        *plain,
        *yes_no,
        KDPROP=pl.col("bps").str.slice(0, 2),
        KDKAB=pl.col("bps").str.slice(2, 2),
        KDKEC=pl.col("bps").str.slice(4, 3),
        KDDESA=pl.col("bps").str.slice(7, 3),
        Nama_KRT=pl.col("nama_krt"),
        Alamat=pl.when(pl.col("kota")).then(urban).otherwise(rural),
        NOKK=pl.col("nokk").cast(pl.String),
        Jumlah_ART=pl.col("jumlah_art"),
        Jumlah_Keluarga=pl.col("jumlah_keluarga"),
        luas_lantai=pl.when(area == area.floor())
        .then(area.cast(pl.Int64).cast(pl.String))
        .otherwise(pl.concat_str(area.floor().cast(pl.Int64).cast(pl.String), pl.lit(",5"))),
        status_kesejahteraan=pl.col("decile"),
    ).select([pl.col(c).cast(pl.String) for c in RT_COLUMNS])


def render_art(people: pl.DataFrame, hh: pl.DataFrame, geo: Geography, iso_share: float, empty_share: float,
               rng: np.random.Generator) -> pl.DataFrame:  # fmt: skip
    """Member rows of one kab/kota as text; `people.hh_idx` indexes `hh` (both sliced to the kab)."""
    local = people["hh_idx"].to_numpy()
    ids = idbdt(hh, geo).gather(local)
    extended = people["hub_krt"].is_in([CHILD_IN_LAW, GRANDCHILD]).to_numpy()
    kk = np.where(extended, hh["nokk2"].to_numpy()[local], hh["nokk"].to_numpy()[local])
    birth = pl.col("tgllahir")
    dmy = pl.concat_str(
        _dt(birth.dt.day(), 2),
        pl.lit("/"),
        _dt(birth.dt.month(), 2),
        pl.lit("/"),
        birth.dt.year().cast(pl.String),
    )
    iso = birth.dt.strftime("%Y-%m-%d")
    n = people.height
    frame = people.with_columns(
        IDBDT=ids,
        kk=pl.Series(kk),
        iso=pl.Series(rng.random(n) < iso_share),
        blank=pl.Series(rng.random(n) < empty_share),
    )
    work = {"Lapangan_usaha": "lapangan_usaha", "Status_pekerjaan": "status_pekerjaan"}
    return frame.select(
        IDARTBDT=pl.concat_str("IDBDT", _z("member_no", 2)),
        IDBDT=pl.col("IDBDT"),
        NIK=pl.col("nik").cast(pl.String),
        NoKK=pl.col("kk").cast(pl.String),
        Nama=pl.col("nama"),
        JnsKel=pl.when(pl.col("female")).then(pl.lit("2")).otherwise(pl.lit("1")),
        TmpLahir=pl.col("tmplahir"),
        TglLahir=pl.when(pl.col("iso")).then(iso).otherwise(dmy),
        **{k: pl.col(v).cast(pl.String) for k, v in ART_INTEGERS.items()},
        **{
            k: pl.when((pl.col(v) == 0) & pl.col("blank"))
            .then(pl.lit(""))
            .otherwise(pl.col(v).cast(pl.String))
            for k, v in work.items()
        },
        **{c: _yes_no(c, c.lower()) for c in ART_YES_NO},
    ).select(ART_COLUMNS)


def _dt(expr: pl.Expr, width: int) -> pl.Expr:
    return expr.cast(pl.String).str.zfill(width)
