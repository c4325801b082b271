"""deferred_acceptance: stability by brute force, capacities, acceptability, and the `matching` library."""

from __future__ import annotations

import random
import warnings
from collections import Counter
from collections.abc import Hashable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching.games import HospitalResident

from matcher.assign import deferred_acceptance

Prefs = dict[Any, list[Any]]


def blocking_pairs(proposers: Prefs, receivers: Prefs, capacity: dict, matched: dict) -> list[tuple]:
    """Every mutually acceptable pair (w, h) where w prefers h to their match and h has room or prefers w."""
    held: dict[Hashable, list[Hashable]] = {h: [] for h in receivers}
    for w, h in matched.items():
        if h is not None:
            held[h].append(w)
    pairs = []
    for w, listed in proposers.items():
        for h in listed:
            if w not in receivers[h]:
                continue
            current = matched[w]
            if current is not None and listed.index(current) <= listed.index(h):
                continue
            rank = receivers[h].index
            if len(held[h]) < capacity[h] or any(rank(w) < rank(other) for other in held[h]):
                pairs.append((w, h))
    return pairs


def assert_stable_matching(proposers: Prefs, receivers: Prefs, capacity: dict, matched: dict) -> None:
    assert set(matched) == set(proposers)
    load = Counter(h for h in matched.values() if h is not None)
    assert all(load[h] <= capacity[h] for h in receivers)
    for w, h in matched.items():
        if h is not None:  # individual rationality: both ranked each other
            assert h in proposers[w] and w in receivers[h]
    assert blocking_pairs(proposers, receivers, capacity, matched) == []


def random_instance(rnd: random.Random, n_workers: int, n_posts: int) -> tuple[Prefs, Prefs, dict]:
    """Random strict preferences over random subsets, not necessarily reciprocated, capacities 0..3."""
    workers = [f"w{i}" for i in range(n_workers)]
    posts = [f"p{j}" for j in range(n_posts)]
    proposers = {w: rnd.sample(posts, rnd.randint(0, n_posts)) for w in workers}
    receivers = {p: rnd.sample(workers, rnd.randint(0, n_workers)) for p in posts}
    return proposers, receivers, {p: rnd.randint(0, 3) for p in posts}


def library_matching(proposers: Prefs, receivers: Prefs, capacity: dict) -> dict:
    """Worker-optimal matching from `matching`, given the mutually acceptable part of the preferences.

    The library wants reciprocated lists and fails on a resident with an empty list, so players left
    with nothing acceptable are kept out of its game (they are unmatched in any stable matching).
    """
    open_posts = {h for h in receivers if capacity[h] > 0}
    resident_prefs = {
        w: [h for h in hs if h in open_posts and w in receivers[h]] for w, hs in proposers.items()
    }
    resident_prefs = {w: hs for w, hs in resident_prefs.items() if hs}
    hospital_prefs = {
        h: [w for w in receivers[h] if w in resident_prefs and h in proposers[w]] for h in open_posts
    }
    hospital_prefs = {h: ws for h, ws in hospital_prefs.items() if ws}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = HospitalResident.create_from_dictionaries(
            resident_prefs, hospital_prefs, {h: capacity[h] for h in hospital_prefs}
        )
        solution = game.solve(optimal="resident")
    matched: dict = dict.fromkeys(proposers)
    for hospital, residents in solution.items():
        for resident in residents:
            matched[resident.name] = hospital.name
    return matched


def test_agrees_with_the_matching_library_on_random_instances() -> None:
    rnd = random.Random(20190112)
    for _ in range(50):
        proposers, receivers, capacity = random_instance(rnd, rnd.randint(1, 25), rnd.randint(1, 8))
        matched = deferred_acceptance(proposers, receivers, capacity)
        assert_stable_matching(proposers, receivers, capacity, matched)
        assert matched == library_matching(proposers, receivers, capacity)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 12), st.integers(0, 6), st.randoms(use_true_random=False))
def test_result_is_stable_rational_and_within_capacity(
    n_workers: int, n_posts: int, rnd: random.Random
) -> None:
    proposers, receivers, capacity = random_instance(rnd, n_workers, n_posts)
    matched = deferred_acceptance(proposers, receivers, capacity)
    assert_stable_matching(proposers, receivers, capacity, matched)
    reordered = dict(reversed(list(proposers.items())))
    assert deferred_acceptance(reordered, receivers, capacity) == matched


def test_worker_optimal_over_receiver_choice() -> None:
    # Two stable matchings exist: workers' favourites (a-x, b-y) and posts' favourites (a-y, b-x).
    proposers = {"a": ["x", "y"], "b": ["y", "x"]}
    receivers = {"x": ["b", "a"], "y": ["a", "b"]}
    assert deferred_acceptance(proposers, receivers, 1) == {"a": "x", "b": "y"}
    assert deferred_acceptance(receivers, proposers, 1) == {"x": "b", "y": "a"}


def test_capacity_keeps_the_best_proposers() -> None:
    proposers = {"a": ["x"], "b": ["x"], "c": ["x", "y"]}
    receivers = {"x": ["c", "a", "b"], "y": ["c"]}
    assert deferred_acceptance(proposers, receivers, {"x": 2, "y": 1}) == {"a": "x", "b": None, "c": "x"}


def test_unacceptable_pairs_never_match() -> None:
    proposers = {"a": ["x", "y"], "b": ["x"]}
    receivers = {"x": ["b"], "y": []}  # x does not list a; y lists nobody
    assert deferred_acceptance(proposers, receivers, 5) == {"a": None, "b": "x"}


def test_a_side_without_preferences_leaves_everyone_unmatched() -> None:
    assert deferred_acceptance({"a": [], "b": []}, {"x": ["a", "b"]}, 2) == {"a": None, "b": None}
    assert deferred_acceptance({"a": ["x"]}, {"x": []}, 2) == {"a": None}


def test_zero_capacity_closes_a_receiver() -> None:
    proposers = {"a": ["x", "y"], "b": ["x", "y"]}
    receivers = {"x": ["a", "b"], "y": ["b", "a"]}
    assert deferred_acceptance(proposers, receivers, {"x": 0, "y": 1}) == {"a": None, "b": "y"}


def test_empty_inputs() -> None:
    assert deferred_acceptance({}, {}, {}) == {}
    assert deferred_acceptance([], [], 3) == {}
    assert deferred_acceptance({"a": []}, {}, {}) == {"a": None}


def test_positional_preferences_and_capacities() -> None:
    # Workers 0..2 and posts 0..1 identified by position.
    matched = deferred_acceptance([[0, 1], [0], [1, 0]], [[2, 0, 1], [0, 2]], [1, 1])
    assert matched == {0: 0, 1: None, 2: 1}


@pytest.mark.parametrize(
    ("proposers", "receivers", "capacity", "message"),
    [
        ({"a": ["x", "x"]}, {"x": ["a"]}, 1, r"proposer_prefs\['a'\] lists 'x' twice"),
        ({"a": ["x"]}, {"x": ["a", "a"]}, 1, r"receiver_prefs\['x'\] lists 'a' twice"),
        (
            {"a": ["z"]},
            {"x": ["a"]},
            1,
            r"proposer_prefs\['a'\] lists 'z', which is not a key of receiver_prefs",
        ),
        (
            {"a": ["x"]},
            {"x": ["q"]},
            1,
            r"receiver_prefs\['x'\] lists 'q', which is not a key of proposer_prefs",
        ),
        (
            {"a": ["x"]},
            {"x": ["a"]},
            {"x": -1},
            r"receiver_capacity\['x'\] = -1 must be a non-negative integer",
        ),
        (
            {"a": ["x"]},
            {"x": ["a"]},
            {"x": 1.5},
            r"receiver_capacity\['x'\] = 1.5 must be a non-negative integer",
        ),
        ({"a": ["x"]}, {"x": ["a"], "y": []}, {"x": 1}, "receiver_capacity has no entry for receiver 'y'"),
        ({"a": ["x"]}, {"x": ["a"]}, {"x": 1, "z": 1}, r"receiver_capacity\['z'\] names no receiver"),
    ],
)
def test_bad_preferences_are_refused(
    proposers: Prefs, receivers: Prefs, capacity: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        deferred_acceptance(proposers, receivers, capacity)  # type: ignore[call-overload]


def test_preferences_must_be_lists() -> None:
    with pytest.raises(TypeError, match=r"proposer_prefs\['a'\] must be a list of ids"):
        deferred_acceptance({"a": "xy"}, {"x": []}, 1)
    with pytest.raises(TypeError, match="receiver_prefs must be a mapping"):
        deferred_acceptance({}, "x", 1)  # type: ignore[call-overload]
