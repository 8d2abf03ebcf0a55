"""Vectorised helpers over numpy arrays: hashing, segments, draws, tables as dicts of columns.

A table here is a ``dict`` of equally long numpy arrays (one per column); pandas sees it only
when DuckDB renders it.
"""

from __future__ import annotations

import numpy as np


def splitmix(x: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """SplitMix64 of (x, seed, salt): deterministic, vectorised, uint64."""
    z = x.astype(np.uint64) ^ np.uint64((seed * 0x9E3779B1 + salt * 0x85EBCA77) % 2**64)
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def unit_floats(x: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """Uniform [0, 1) floats from a hash of x."""
    return (splitmix(x, seed, salt) >> np.uint64(11)).astype(np.float64) / 2.0**53


def rank_in_segment(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., n-1 for each segment of ``counts`` elements."""
    firsts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(firsts, counts)


def segment_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each segment of ``counts`` elements."""
    total = np.cumsum(values)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return total - total[first] + values[first]


def uniform_int(rng: np.random.Generator, bounds: tuple[int, int], n: int) -> np.ndarray:
    return rng.integers(bounds[0], bounds[1], n, dtype=np.int64)


def lognormal(
    rng: np.random.Generator, median: float, sigma: float, bounds: tuple[float, float], n: int
) -> np.ndarray:
    return np.clip(rng.lognormal(np.log(median), sigma, n), *bounds)


class Ids:
    """Unique integer ids for the rows of one block (they seed every rendered id)."""

    def __init__(self, block_day: int) -> None:
        self.next = block_day << 32

    def take(self, n: int) -> np.ndarray:
        ids = np.arange(self.next, self.next + n, dtype=np.int64)
        self.next += n
        return ids


def concat_rows(a: dict, b: dict) -> dict:
    """Rows of ``a`` then ``b``; a column missing on one side is 0 there."""
    keys = list(dict.fromkeys([*a, *b]))
    na, nb = a["t"].size, b["t"].size
    return {
        k: np.concatenate(
            [a.get(k, np.zeros(na, dtype=np.int64)), b.get(k, np.zeros(nb, dtype=np.int64))]
        )
        for k in keys
    }


def sorted_rows(table: dict, keys: tuple[str, ...]) -> dict:
    """Rows sorted by ``keys`` (the last key is the primary one, as in ``np.lexsort``)."""
    order = np.lexsort(tuple(table[k] for k in keys))
    return {k: v[order] for k, v in table.items()}
