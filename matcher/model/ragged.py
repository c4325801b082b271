"""Records grouped by owner, laid out like a CSR matrix, so per-pair questions need no Python loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Ragged:
    """Records grouped by owner: owner i's records are rows `offsets[i]:offsets[i+1]` of every column."""

    offsets: np.ndarray
    columns: dict[str, np.ndarray]

    @classmethod
    def build(
        cls,
        n_owners: int,
        owners: Sequence[int] | np.ndarray,
        columns: Mapping[str, Sequence[Any] | np.ndarray],
        dtypes: Mapping[str, Any],
    ) -> Ragged:
        own = np.asarray(owners, dtype=np.int64)
        order = np.argsort(own, kind="stable")
        offsets = np.zeros(n_owners + 1, dtype=np.int64)
        np.cumsum(np.bincount(own, minlength=n_owners), out=offsets[1:])
        cols = {k: np.asarray(v, dtype=dtypes.get(k))[order] for k, v in columns.items()}
        return cls(offsets, cols)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def owner(self) -> np.ndarray:
        """The owner of each record."""
        return np.repeat(np.arange(len(self.offsets) - 1), self.counts())

    def take(self, owners: np.ndarray) -> Ragged:
        """The records of `owners`, in that order, as a table of their own."""
        owners = np.asarray(owners, dtype=np.int64)
        _, records = self.expand(owners)
        offsets = np.zeros(len(owners) + 1, dtype=np.int64)
        np.cumsum(self.offsets[owners + 1] - self.offsets[owners], out=offsets[1:])
        return Ragged(offsets, {k: v[records] for k, v in self.columns.items()})

    @staticmethod
    def concat(a: Ragged, b: Ragged) -> Ragged:
        """The owners of `a`, then those of `b`."""
        offsets = np.concatenate([a.offsets, b.offsets[1:] + a.offsets[-1]])
        return Ragged(offsets, {k: np.concatenate([v, b.columns[k]]) for k, v in a.columns.items()})

    def expand(self, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each query i with owner `owners[i]`, every record of that owner: (query index, record index).

        This is how per-pair questions ("does the worker hold item X at the referral date?") are answered
        without a Python loop: expand, test every (pair, record) row at once, then reduce per pair.
        """
        owners = np.asarray(owners, dtype=np.int64)
        starts, counts = self.offsets[owners], self.offsets[owners + 1] - self.offsets[owners]
        query = np.repeat(np.arange(len(owners)), counts)
        first = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        return query, first + np.arange(counts.sum())


def rank_within(groups: np.ndarray, key: np.ndarray | None = None) -> np.ndarray:
    """Each element's rank (0, 1, 2, …) among the elements of its group: by `key` ascending, else by
    position (how many earlier elements share its group)."""
    order = np.argsort(groups, kind="stable") if key is None else np.lexsort((key, groups))
    g = groups[order]
    rank = np.empty(len(groups), np.int64)
    rank[order] = np.arange(len(g)) - np.searchsorted(g, g)
    return rank


def group_reduce(ufunc: np.ufunc, groups: np.ndarray, values: np.ndarray, size: int, fill: float) -> np.ndarray:
    """(size, *values.shape[1:]): the rows of `values` reduced by `ufunc` within each of `size` groups, `fill`
    where a group has none. One `reduceat` over groups laid out in runs (arcs by worker, `Ragged.expand`'s
    queries); others are sorted first."""
    out = np.full((size, *values.shape[1:]), fill, np.result_type(values.dtype, type(fill)))
    if len(groups):
        if (groups[1:] < groups[:-1]).any():
            order = np.argsort(groups, kind="stable")
            groups, values = groups[order], values[order]
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        out[groups[starts]] = ufunc.reduceat(values, starts, axis=0)
    return out


def group_max(groups: np.ndarray, values: np.ndarray, size: int, floor: float = 0.0) -> np.ndarray:
    """The largest of `values` in each of `size` groups, at least `floor` (which a group with no element gets)."""
    return np.maximum(group_reduce(np.maximum, groups, values, size, floor), floor)
