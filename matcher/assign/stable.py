"""Stable matching with receiver capacities (proposer-proposing deferred acceptance, Gale–Shapley)."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar, overload

P = TypeVar("P", bound=Hashable)
R = TypeVar("R", bound=Hashable)


def _as_dict(name: str, prefs: object) -> dict[Hashable, list[Hashable]]:
    if isinstance(prefs, Mapping):
        items = list(prefs.items())
    elif isinstance(prefs, Sequence) and not isinstance(prefs, str | bytes):
        items = list(enumerate(prefs))
    else:
        raise TypeError(
            f"{name} must be a mapping id -> list of ids or a list of lists, got {type(prefs).__name__}"
        )
    out: dict[Hashable, list[Hashable]] = {}
    for key, listed in items:
        if not isinstance(listed, Sequence) or isinstance(listed, str | bytes):
            raise TypeError(f"{name}[{key!r}] must be a list of ids, best first, got {type(listed).__name__}")
        seen: set[Hashable] = set()
        for other in listed:
            if other in seen:
                raise ValueError(f"{name}[{key!r}] lists {other!r} twice; preferences must be strict")
            seen.add(other)
        out[key] = list(listed)
    return out


def _check_known(
    name: str, prefs: dict[Hashable, list[Hashable]], others: Mapping[Hashable, object], other: str
) -> None:
    for key, listed in prefs.items():
        for item in listed:
            if item not in others:
                raise ValueError(f"{name}[{key!r}] lists {item!r}, which is not a key of {other}")


def _capacities(value: object, receivers: dict[Hashable, list[Hashable]]) -> dict[Hashable, int]:
    if isinstance(value, Mapping):
        caps = dict(value)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        caps = dict(enumerate(value))
    else:
        caps = dict.fromkeys(receivers, value)
    for key, cap in caps.items():
        if key not in receivers:
            raise ValueError(f"receiver_capacity[{key!r}] names no receiver of receiver_prefs")
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise ValueError(f"receiver_capacity[{key!r}] = {cap!r} must be a non-negative integer")
    missing = [key for key in receivers if key not in caps]
    if missing:
        raise ValueError(f"receiver_capacity has no entry for receiver {missing[0]!r}")
    return caps


@overload
def deferred_acceptance(
    proposer_prefs: Mapping[P, Sequence[R]],
    receiver_prefs: Mapping[R, Sequence[P]],
    receiver_capacity: Mapping[R, int] | int,
) -> dict[P, R | None]: ...


@overload
def deferred_acceptance(
    proposer_prefs: Sequence[Sequence[int]],
    receiver_prefs: Sequence[Sequence[int]],
    receiver_capacity: Sequence[int] | int,
) -> dict[int, int | None]: ...


def deferred_acceptance(proposer_prefs: Any, receiver_prefs: Any, receiver_capacity: Any) -> dict[Any, Any]:
    """The proposer-optimal stable matching: a dict proposer -> receiver, or None when unmatched.

    Preferences are strict lists, best first, given as a mapping id -> list of ids, or as a list of lists
    whose ids are positions (proposer i is `proposer_prefs[i]`). Every id listed must be a key of the other
    side. A pair is acceptable only when each lists the other: proposers skip receivers that do not list
    them, so nobody is matched to someone they did not rank. `receiver_capacity` gives each receiver's
    number of places as a mapping, a list by position, or one int for all; 0 closes a receiver.

    Each free proposer proposes down their list; a receiver holds its best proposers up to capacity and
    rejects the rest. The result is stable (no proposer and receiver would both rather be together), and
    every proposer gets the best receiver they have in any stable matching. It does not depend on the
    order in which proposers are processed.
    """
    proposers = _as_dict("proposer_prefs", proposer_prefs)
    receivers = _as_dict("receiver_prefs", receiver_prefs)
    _check_known("proposer_prefs", proposers, receivers, "receiver_prefs")
    _check_known("receiver_prefs", receivers, proposers, "proposer_prefs")
    capacity = _capacities(receiver_capacity, receivers)

    rank = {h: {w: i for i, w in enumerate(listed)} for h, listed in receivers.items()}
    held: dict[Hashable, list[tuple[int, Hashable]]] = {h: [] for h in receivers}  # max-heap on rank
    matched: dict[Hashable, Hashable | None] = dict.fromkeys(proposers)
    next_choice = dict.fromkeys(proposers, 0)
    free = deque(proposers)
    while free:
        w = free.popleft()
        listed = proposers[w]
        while next_choice[w] < len(listed):
            h = listed[next_choice[w]]
            next_choice[w] += 1
            if w not in rank[h] or capacity[h] == 0:
                continue
            heapq.heappush(held[h], (-rank[h][w], w))
            matched[w] = h
            if len(held[h]) <= capacity[h]:
                break
            _, rejected = heapq.heappop(held[h])
            matched[rejected] = None
            if rejected != w:
                free.append(rejected)
                break
    return matched
