"""Pools of names, places and streets for the demo people (Lampung: Javanese, Lampung, Sundanese, Balinese).

A few names carry characters that differ between Windows-1252 and UTF-8 (the curly apostrophe ’ of word
processors, é): they make a Windows-1252 file detectably different from UTF-8. Every character here is
encodable in Windows-1252, so any file can be written in it.
"""

import numpy as np
import polars as pl

MALE = [
    "Ahmad", "Budi", "Slamet", "Sugeng", "Agus", "Suparman", "Joko", "Rudi", "Hendra", "Andi", "Iwan",
    "Dedi", "Eko", "Sutrisno", "Sukardi", "Muhammad", "Rahmat", "Yusuf", "Abdul", "Bambang", "Heri",
    "Imam", "Wayan", "Made", "Ketut", "Asep", "Ujang", "Darmawan", "Suroto", "Paijo", "Sarjono",
    "Tukiman", "Hasan", "Husin", "Ismail", "Rizki", "Fajar", "Dimas", "Bayu", "Yoga", "Arif", "Wahyu",
    "Marzuki", "Zulkarnain", "Firmansyah", "Herman", "Syahrial", "Ma’ruf", "Ja’far", "Syafi’i",
    "Andréas", "Nu'man",
]  # fmt: skip
FEMALE = [
    "Siti", "Sri", "Wati", "Suyati", "Sumiyati", "Nur", "Dewi", "Rina", "Yuni", "Ani", "Lestari",
    "Rohmah", "Aminah", "Fatimah", "Kartini", "Partini", "Sulastri", "Tumini", "Painem", "Suharti",
    "Eni", "Yanti", "Rini", "Nurhayati", "Halimah", "Maryam", "Ratna", "Indah", "Putri", "Ayu",
    "Nyoman", "Komang", "Euis", "Neng", "Wulan", "Fitri", "Rosmala", "Juariah", "Mariyam", "Ni’mah",
    "Mu’minah", "Désy", "Ma'rifah",
]  # fmt: skip
SECOND = [
    "Kurniawan", "Santoso", "Wijaya", "Saputra", "Setiawan", "Pratama", "Hidayat", "Nugroho", "Susanto",
    "Purnomo", "Hartono", "Gunawan", "Rahman", "Hakim", "Syahputra", "Effendi", "Suryadi", "Mulyadi",
    "Wibowo", "Prasetyo", "Handoko", "Rusdi", "Harahap", "Sembiring", "Simanjuntak", "Nasution", "Pane",
]  # fmt: skip
SECOND_FEMALE = [
    "Handayani", "Susanti", "Lestari", "Wulandari", "Rahayu", "Purwanti", "Ningsih", "Yulianti", "Sari",
    "Astuti", "Kusumawati", "Fitriani", "Maharani", "Anggraini", "Safitri", "Marlina", "Rohani",
]  # fmt: skip
# places of birth outside Lampung (transmigrants and their children)
ELSEWHERE = [
    "Yogyakarta", "Kebumen", "Banyumas", "Ponorogo", "Tulungagung", "Kediri", "Klaten", "Wonogiri",
    "Blitar", "Bandung", "Garut", "Ciamis", "Palembang", "Baturaja", "Padang", "Bukittinggi", "Medan",
    "Denpasar", "Tabanan", "Serang", "Jakarta",
]  # fmt: skip
CAPITAL = {  # seat of each kab/kota, by Kemendagri regency code: the usual TmpLahir
    "1801": "Kalianda", "1802": "Gunung Sugih", "1803": "Kotabumi", "1804": "Liwa", "1805": "Menggala",
    "1806": "Kota Agung", "1807": "Sukadana", "1808": "Blambangan Umpu", "1809": "Gedong Tataan",
    "1810": "Pringsewu", "1811": "Mesuji", "1812": "Panaragan", "1813": "Krui", "1871": "Bandar Lampung",
    "1872": "Metro",
}  # fmt: skip
STREETS = [
    "Jl. Sudirman", "Jl. Diponegoro", "Jl. Teuku Umar", "Jl. Pramuka", "Jl. Imam Bonjol", "Jl. Ryacudu",
    "Jl. Soekarno-Hatta", "Jl. Kartini", "Jl. Cut Nyak Dien", "Jl. Pagar Alam", "Gg. Mawar", "Gg. Melati",
]  # fmt: skip
DUSUN = ["I", "II", "III", "IV", "V", "VI", "VII", "Sukamaju", "Sidorejo", "Karang Anyar", "Tanjung"]

# names forced onto the first households of each kab so every file holds a cp1252-sensitive character
MARKED_MALE_1, MARKED_MALE_2 = "Ma’ruf Hidayat", "Andréas Saputra"
MARKED_FEMALE_1, MARKED_FEMALE_2 = "Ni’mah Lestari", "Désy Wulandari"


def _pick(rng: np.random.Generator, pool: list[str], n: int) -> pl.Series:
    return pl.Series(pool, dtype=pl.String).gather(rng.integers(0, len(pool), n))


def person_names(rng: np.random.Generator, female: np.ndarray) -> pl.Series:
    """One name per person: a first name, usually a second one, and now and then odd spacing."""
    n = len(female)
    frame = pl.DataFrame(
        {
            "female": female,
            "fm": _pick(rng, MALE, n),
            "ff": _pick(rng, FEMALE, n),
            "sm": _pick(rng, SECOND, n),
            "sf": _pick(rng, SECOND_FEMALE, n),
            "has": rng.random(n) < 0.7,
            "sep": np.where(rng.random(n) < 0.01, "  ", " "),
        }
    )
    first = pl.when(pl.col("female")).then(pl.col("ff")).otherwise(pl.col("fm"))
    second = pl.when(pl.col("female")).then(pl.col("sf")).otherwise(pl.col("sm"))
    full = pl.when(pl.col("has")).then(pl.concat_str(first, pl.col("sep"), second)).otherwise(first)
    return frame.select(full.alias("name"))["name"]
