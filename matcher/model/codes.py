"""Reference codes as array ids: occupations (level 4 of the 2022 classification), special-operation items,
skill levels as ranks (0 none, 1 初级工 … 5 高级技师), priority groups and education in enum order."""

from __future__ import annotations

from functools import cache

import numpy as np

from matcher import reference as ref
from matcher.domain import Education, PriorityGroup

GROUPS: tuple[str, ...] = tuple(g.value for g in PriorityGroup)
EDUCATIONS: tuple[str, ...] = tuple(e.value for e in Education)


@cache
def occupation_codes() -> tuple[str, ...]:
    """Level-4 occupation codes; an occupation's index in this tuple is its id in every array."""
    return tuple(o.code for o in ref.leaf_occupations())


@cache
def occupation_index() -> dict[str, int]:
    return {c: i for i, c in enumerate(occupation_codes())}


@cache
def occupation_prefixes() -> np.ndarray:
    """(n_occupations, 4) ids of each occupation's 大类, 中类, 小类 and itself.

    Two occupations share a group at depth k exactly when their ids in column k-1 are equal, so the tree
    distance of arrays of occupations is `4 - (a_prefix == b_prefix).sum(axis=-1)`.
    """
    node_id = {code: i for i, code in enumerate(ref.occupations())}
    out = np.empty((len(occupation_codes()), 4), dtype=np.int32)
    for i, code in enumerate(occupation_codes()):
        parts = code.split("-")
        for k in range(4):
            out[i, k] = node_id["-".join(parts[: k + 1])]
    return out


@cache
def occupation_major_groups() -> np.ndarray:
    """The 大类 (1–8) of each occupation id."""
    return np.array([int(c.split("-")[0]) for c in occupation_codes()], np.int8)


def occupation_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tree distance (0 same … 4 other 大类) of occupation ids, broadcast; -1 (none) gives 5."""
    pre = occupation_prefixes()
    a, b = np.asarray(a), np.asarray(b)
    common = (pre[np.maximum(a, 0)] == pre[np.maximum(b, 0)]).sum(axis=-1)
    return np.where((a < 0) | (b < 0), 5, 4 - common).astype(np.int8)


@cache
def special_operation_codes() -> tuple[str, ...]:
    return tuple(ref.special_operations())


@cache
def special_operation_index() -> dict[str, int]:
    return {c: i for i, c in enumerate(special_operation_codes())}


def occ_id(code: str | None, where: str) -> int:
    """The array id of an occupation code (-1 for none); ValueError names the record at fault."""
    if code is None:
        return -1
    try:
        return occupation_index()[code]
    except KeyError:
        raise ValueError(
            f"{where}: {code!r} is not a level-4 occupation of the 2022 classification"
        ) from None


def so_id(code: str | None, where: str) -> int:
    if code is None:
        return -1
    try:
        return special_operation_index()[code]
    except KeyError:
        raise ValueError(f"{where}: {code!r} is not an item of the special-operation catalogue") from None


def level_ranks(levels: np.ndarray) -> np.ndarray:
    """`reference.level_rank` of an array of levels, 0 (none) staying 0."""
    table = np.zeros(max(ref.skill_levels()) + 1, np.int64)
    for lv in ref.skill_levels().values():
        table[lv.level] = lv.rank
    return table[np.asarray(levels)]


def rank_of(level: int | None, where: str) -> int:
    try:
        return ref.level_rank(level)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
