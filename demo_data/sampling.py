"""Vectorised random helpers shared by the generators (no per-row Python loops).

Every component draws from its own stream (`stream(seed, name)`), so changing one part of the generator,
or the dirt rate, leaves the data of the other parts byte-identical.
"""

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream for one component, stable across runs and Python versions."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def mixed_choice(
    rng: np.random.Generator,
    codes: list[int] | np.ndarray,
    p_rich: list[float],
    p_poor: list[float],
    q: np.ndarray,
) -> np.ndarray:
    """Draw one code per row from a mixture of two distributions, weight `q` (0..1) on the poor one.

    Mixing the cumulative distributions is exact for a mixture, so each row gets its own probabilities
    without a Python loop.
    """
    codes = np.asarray(codes)
    rich = np.cumsum(np.asarray(p_rich, dtype=float) / np.sum(p_rich))
    poor = np.cumsum(np.asarray(p_poor, dtype=float) / np.sum(p_poor))
    u = rng.random(len(q))
    idx = np.zeros(len(q), dtype=np.int64)
    for j in range(len(codes) - 1):  # loop over categories, not rows
        cum = (1.0 - q) * rich[j] + q * poor[j]
        idx += u >= cum
    return codes[idx]


def choice(rng: np.random.Generator, codes: list[int], p: list[float], n: int) -> np.ndarray:
    """Draw `n` codes with fixed probabilities (normalised here so tables need not sum exactly to 1)."""
    p_arr = np.asarray(p, dtype=float)
    return rng.choice(np.asarray(codes), size=n, p=p_arr / p_arr.sum())


def weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of `k` distinct items drawn with probability proportional to `weights` (Efraimidis-Spirakis).

    O(n) with argpartition, where `Generator.choice(replace=False, p=...)` is too slow on millions.
    Returned in ascending index order so the caller's output does not depend on partition internals.
    """
    candidates = np.flatnonzero(weights > 0)
    k = min(k, len(candidates))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = rng.exponential(size=len(candidates)) / weights[candidates]
    picked = np.argpartition(keys, k - 1)[:k] if k < len(candidates) else np.arange(len(candidates))
    return np.sort(candidates[picked])


def group_rank(keys: np.ndarray) -> np.ndarray:
    """0-based running number of each element within its group of equal keys (in input order)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys)) - group_start
    return rank


def largest_remainder(weights: list[float] | np.ndarray, total: int) -> np.ndarray:
    """Integer counts proportional to `weights` that sum exactly to `total` (Hamilton's method)."""
    w = np.asarray(weights, dtype=float)
    exact = w / w.sum() * total
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        # ties broken by position (stable) so the result is deterministic
        counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts
