"""IKD 2014 (Indeks Kemajuan Desa): one row per desa present with a BPS code.

Class counts are the real 2014 counts (Maju 391, Berkembang 1,049, Kurang Berkembang 812, Tertinggal 380)
scaled to the number of desa present by largest remainder. Classes follow a development ranking that is the
opposite of the desa's latent poverty (and of its share of decile-I households), lifted for kota and
kelurahan, so poorer villages tend to be Tertinggal. Scores sit inside the class bands chosen here
(the real IKD cut-offs were not found):

    Tertinggal [35, 50) < Kurang Berkembang [50, 60) < Berkembang [60, 75) < Maju [75, 90]

`ikd` is the mean of `aspek_1`..`aspek_5` (rounded to 2 decimals) and stays at least 0.5 from a band edge,
so rounding never moves a desa into another class. `status` letter case varies by row.
"""

import numpy as np
import polars as pl

from demo_data.geography import Geography
from demo_data.sampling import largest_remainder, stream

REAL_2014 = {"Maju": 391, "Berkembang": 1049, "Kurang Berkembang": 812, "Tertinggal": 380}
BANDS = {
    "Tertinggal": (35.0, 50.0),
    "Kurang Berkembang": (50.0, 60.0),
    "Berkembang": (60.0, 75.0),
    "Maju": (75.0, 90.0),
}
ASPECTS = 5


def class_counts(n_desa: int) -> dict[str, int]:
    """The real 2014 class counts scaled to `n_desa`."""
    counts = largest_remainder(list(REAL_2014.values()), n_desa)
    return dict(zip(REAL_2014, counts.tolist(), strict=True))


def synthesize(geo: Geography, hh: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Typed IKD rows, sorted by BPS desa code."""
    rng = stream(seed, "ikd")
    desa = geo.desa.with_row_index("desa_idx").filter(pl.col("has_bps")).sort("bps_code")
    share1 = (
        hh.group_by("desa_idx")
        .agg(share1=(pl.col("decile") == 1).mean())
        .with_columns(pl.col("desa_idx").cast(pl.UInt32))
    )
    desa = desa.join(share1, on="desa_idx", how="left", maintain_order="left").with_columns(
        pl.col("share1").fill_null(0.3)
    )
    n = desa.height
    dev = (
        -desa["z"].to_numpy()
        - 2.0 * desa["share1"].to_numpy()
        + 1.2 * desa["is_kota"].to_numpy()
        + 0.4 * (desa["type"] == "kelurahan").to_numpy()
        + rng.normal(0, 0.5, n)
    )
    rank = np.argsort(np.argsort(dev, kind="stable"), kind="stable")  # 0 = least developed
    status, target = _classes(rank, n)
    aspects = _aspects(rng, target)
    ikd = np.round(aspects.mean(axis=1), 2)
    return desa.select(kode_desa_bps="bps_code", nama_desa="bps_name").with_columns(
        **{f"aspek_{i + 1}": pl.Series(aspects[:, i]) for i in range(ASPECTS)},
        ikd=pl.Series(ikd),
        status=pl.Series(status),
    )


def _classes(rank: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Class and target score of each desa from its development rank."""
    counts = class_counts(n)
    status = np.empty(n, dtype=object)
    target = np.empty(n)
    start = 0
    for cls in ("Tertinggal", "Kurang Berkembang", "Berkembang", "Maju"):  # loop over classes
        lo, hi = BANDS[cls]
        inside = (rank >= start) & (rank < start + counts[cls])
        t = (rank[inside] - start + 0.5) / max(counts[cls], 1)
        status[inside] = cls
        target[inside] = lo + 0.5 + (hi - lo - 1.0) * t
        start += counts[cls]
    return status.astype(str), target


def _aspects(rng: np.random.Generator, target: np.ndarray) -> np.ndarray:
    """Five aspect scores whose mean is the target, all within 0-100."""
    spread = rng.normal(0, 9, (len(target), ASPECTS))
    spread -= spread.mean(axis=1, keepdims=True)
    room = np.minimum(target, 100 - target) - 0.5
    scale = np.minimum(1.0, room / np.maximum(np.abs(spread).max(axis=1), 1e-9))
    return np.round(target[:, None] + spread * scale[:, None], 2)


def render(ikd: pl.DataFrame, seed: int) -> pl.DataFrame:
    """The file's text; the status is written in varying letter case."""
    rng = stream(seed, "ikd-render")
    u = pl.Series(rng.random(ikd.height))
    status = pl.col("status")
    return ikd.with_columns(
        pl.col(f"aspek_{i + 1}").cast(pl.String) for i in range(ASPECTS)
    ).with_columns(
        ikd=pl.col("ikd").cast(pl.String),
        status=pl.when(u < 0.1).then(status.str.to_uppercase()).when(u < 0.2).then(status.str.to_lowercase())
        .otherwise(status),
    )  # fmt: skip
