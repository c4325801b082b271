"""Boundary checks for the assignment solvers: each error names the argument and the position at fault."""

from __future__ import annotations

import numpy as np

MAX_TOTAL_UNITS = 2**53
"""Upper limit on the sum of a side's capacities, so that unit counts stay exact in float64 and int64."""


def _one_d(name: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {array.shape}")
    return array


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def index_array(name: str, value: object) -> np.ndarray:
    """A 1-D int64 array of non-negative indices (an empty sequence of any dtype is accepted)."""
    array = _one_d(name, value)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.dtype.kind == "u" and array.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name}[{_first(array > np.iinfo(np.int64).max)}] is too large for an index")
    array = array.astype(np.int64, copy=False)
    if (array < 0).any():
        at = _first(array < 0)
        raise ValueError(f"{name}[{at}] = {array[at]} is negative")
    return array


def weight_array(name: str, value: object) -> np.ndarray:
    """A 1-D float64 array of finite numbers."""
    array = _one_d(name, value)
    if array.size == 0:
        return np.zeros(0, dtype=np.float64)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        at = _first(~np.isfinite(array))
        raise ValueError(f"{name}[{at}] = {array[at]} is not finite (NaN or infinite weights are refused)")
    return array


def capacity_array(name: str, value: object, size: int | None) -> np.ndarray:
    """Capacities as a 1-D int64 array of non-negative integers; a scalar is repeated `size` times.

    `size` is the number of entities the scalar applies to; with an array it is ignored.
    """
    array = np.asarray(value)
    if array.ndim == 0:
        if size is None:
            raise ValueError(f"{name} is a scalar, so its length cannot be inferred")
        array = np.full(size, array)
    elif array.ndim != 1:
        raise ValueError(f"{name} must be a scalar or 1-D, got an array of shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            at = _first(bad)
            raise ValueError(f"{name}[{at}] = {array[at]} is not an integer")
    if (array < 0).any():
        at = _first(array < 0)
        raise ValueError(f"{name}[{at}] = {array[at]} is negative; capacities must be >= 0")
    if float(array.astype(np.float64).sum()) > MAX_TOTAL_UNITS:
        raise ValueError(f"{name} sums to more than 2**53 units")
    return array.astype(np.int64)
