"""solve_bipartite against networkx network simplex and HiGHS, its guarantees, edge cases and input errors."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.assign import Assignment, bipartite_lp_bound, solve_bipartite
from matcher.assign.baselines import highs_solve, networkx_solve


@st.composite
def instances(draw: st.DrawFn, integer: bool = True) -> dict:
    """Small bipartite instances with distinct (row, col) arcs, capacities 0..3 and mixed-sign weights."""
    n_rows, n_cols = draw(st.integers(0, 6)), draw(st.integers(0, 6))
    pairs = [(r, c) for r in range(n_rows) for c in range(n_cols)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    value = st.integers(-5, 20) if integer else st.floats(-10, 100, allow_nan=False, allow_infinity=False)
    return {
        "rows": np.array([r for r, _ in chosen], dtype=np.int64),
        "cols": np.array([c for _, c in chosen], dtype=np.int64),
        "weights": np.array(
            draw(st.lists(value, min_size=len(chosen), max_size=len(chosen))), dtype=np.float64
        ),
        "row_capacity": np.array(
            draw(st.lists(st.integers(0, 3), min_size=n_rows, max_size=n_rows)), dtype=np.int64
        ),
        "col_capacity": np.array(
            draw(st.lists(st.integers(0, 3), min_size=n_cols, max_size=n_cols)), dtype=np.int64
        ),
    }


def assert_feasible(inst: dict, result: Assignment) -> None:
    flow = result.flow
    assert flow.dtype == np.int64 and flow.shape == inst["rows"].shape
    assert (flow >= 0).all()
    n_rows, n_cols = len(inst["row_capacity"]), len(inst["col_capacity"])
    assert (np.bincount(inst["rows"], weights=flow, minlength=n_rows) <= inst["row_capacity"]).all()
    assert (np.bincount(inst["cols"], weights=flow, minlength=n_cols) <= inst["col_capacity"]).all()
    assert result.objective == pytest.approx(math.fsum(inst["weights"] * flow), abs=1e-9)
    assert result.status == "optimal"


@settings(max_examples=150, deadline=None)
@given(instances(), st.booleans())
def test_integer_weights_match_both_references_exactly(inst: dict, maximize: bool) -> None:
    result = solve_bipartite(**inst, maximize=maximize)
    assert_feasible(inst, result)
    assert result.max_gap == 0.0
    nx_objective, nx_flow = networkx_solve(**inst, maximize=maximize)
    highs_objective, highs_flow = highs_solve(**inst, maximize=maximize)
    assert result.objective == nx_objective == round(highs_objective)
    if maximize:
        assert (result.flow[inst["weights"] <= 0] == 0).all()
    else:
        assert result.flow.sum() == nx_flow.sum() == round(highs_flow.sum())


@settings(max_examples=150, deadline=None)
@given(instances(integer=False), st.booleans())
def test_float_weights_match_both_references_within_the_stated_gap(inst: dict, maximize: bool) -> None:
    result = solve_bipartite(**inst, maximize=maximize)
    assert_feasible(inst, result)
    rounding = 1e-12 * (1.0 + abs(result.objective))  # products weight * units rounded to float
    exact_objective = networkx_solve(**inst, maximize=maximize)[0]
    assert abs(result.objective - exact_objective) <= result.max_gap + rounding
    highs_tolerance = 1e-6 * (1.0 + np.abs(inst["weights"]).sum())
    assert (
        abs(result.objective - highs_solve(**inst, maximize=maximize)[0]) <= result.max_gap + highs_tolerance
    )


@settings(max_examples=100, deadline=None)
@given(instances(integer=False), st.booleans(), st.randoms(use_true_random=False))
def test_flow_does_not_depend_on_the_order_of_arcs(inst: dict, maximize: bool, rnd: random.Random) -> None:
    order = list(range(len(inst["rows"])))
    rnd.shuffle(order)
    perm = np.array(order, dtype=np.int64)
    shuffled = {
        **inst,
        "rows": inst["rows"][perm],
        "cols": inst["cols"][perm],
        "weights": inst["weights"][perm],
    }
    first = solve_bipartite(**inst, maximize=maximize)
    again = solve_bipartite(**inst, maximize=maximize)
    assert np.array_equal(first.flow, again.flow)
    assert np.array_equal(solve_bipartite(**shuffled, maximize=maximize).flow, first.flow[perm])


def test_scaled_weights_stay_within_the_documented_gap() -> None:
    # 2,000 rows (most closed) make the cost limit 2**61 // 2006**2 < 2**40, so a weight of 2**45 forces
    # scale = 2**-6 and the small weights 1.5 and 1.4 both round to 0: the solver cannot tell them apart.
    n_rows = 2000
    row_capacity = np.zeros(n_rows, dtype=np.int64)
    row_capacity[:2] = 1
    rows, cols, weights = [0, 1, 1], [0, 1, 2], [2.0**45, 1.5, 1.4]
    result = solve_bipartite(rows, cols, weights, row_capacity, [1, 1, 1])
    limit = min(2**53, 2**61 // (n_rows + 3 + 3) ** 2)  # n_rows + n_cols + 3
    scale = 2.0 ** math.floor(math.log2(limit / 2.0**45))
    assert scale == 2.0**-6
    assert result.max_gap == 2 / scale
    assert result.max_gap / (2 * 2.0**45) < 2 / limit
    assert abs(result.objective - (2.0**45 + 1.5)) <= result.max_gap
    assert bipartite_lp_bound(rows, cols, weights, row_capacity, [1, 1, 1]) >= 2.0**45 + 1.5


def test_fractional_weights_report_a_gap_even_at_scale_one() -> None:
    # The largest weight already fills the cost range (scale 2**0), yet 0.5 must still be rounded.
    result = solve_bipartite([0, 1], [0, 1], [2.0**52 + 2, 0.5], 1, 1)
    assert list(result.flow) == [1, 1]
    assert result.max_gap == 2.0


def test_float_weights_on_a_small_instance_are_near_exact() -> None:
    result = solve_bipartite([0, 0, 1], [0, 1, 0], [3.0, 2.0, 2.5], 1, 1)
    assert result.objective == 4.5
    assert list(result.flow) == [0, 1, 1]
    assert 0 < result.max_gap < 1e-12


def test_maximize_prefers_one_heavy_arc_to_many_light_ones() -> None:
    # Max flow would use both light arcs (2 units, weight 2); the heaviest assignment uses one arc of 10.
    result = solve_bipartite([0, 0, 1], [0, 1, 0], [10, 1, 1], 1, 1)
    assert list(result.flow) == [1, 0, 0] and result.objective == 10.0


def test_minimize_moves_as_many_units_as_possible_at_least_cost() -> None:
    result = solve_bipartite([0, 0, 1, 1], [0, 1, 0, 1], [1, 5, 2, 3], 1, 1, maximize=False)
    assert result.flow.sum() == 2
    assert result.objective == 4.0  # 1 + 3 beats 5 + 2


def test_capacities_allow_several_units_per_arc() -> None:
    result = solve_bipartite([0, 1], [0, 0], [4, 3], [5, 2], [6])
    assert list(result.flow) == [5, 1] and result.objective == 23.0


def test_zero_capacities_block_their_arcs() -> None:
    rows, cols, weights = [0, 0, 1, 1], [0, 1, 0, 1], [5, 4, 3, 2]
    assert solve_bipartite(rows, cols, weights, [0, 0], [1, 1]).flow.sum() == 0
    closed_col = solve_bipartite(rows, cols, weights, [1, 1], [0, 1])
    assert list(closed_col.flow) == [0, 1, 0, 0] and closed_col.objective == 4.0
    assert solve_bipartite(rows, cols, weights, 0, 0, maximize=False).flow.sum() == 0


@pytest.mark.parametrize("maximize", [True, False])
def test_empty_inputs(maximize: bool) -> None:
    nothing = solve_bipartite([], [], [], [], [], maximize=maximize)
    assert nothing.flow.shape == (0,) and nothing.objective == 0.0 and nothing.status == "optimal"
    no_arcs = solve_bipartite(np.array([], dtype=np.int64), [], np.array([]), [3, 1], [2], maximize=maximize)
    assert no_arcs.flow.shape == (0,) and no_arcs.objective == 0.0
    scalar = solve_bipartite([], [], [], 4, 4, maximize=maximize)
    assert scalar.flow.shape == (0,)


def test_non_positive_weights_carry_no_flow_when_maximising() -> None:
    rows, cols, weights = [0, 0, 1], [0, 1, 1], [0.0, -1.0, -3.0]
    result = solve_bipartite(rows, cols, weights, 1, 1)
    assert result.flow.sum() == 0 and result.objective == 0.0
    minimised = solve_bipartite(rows, cols, weights, 1, 1, maximize=False)
    assert minimised.flow.sum() == 2 and minimised.objective == -3.0


def test_ties_give_a_valid_optimum_and_the_same_flow_every_time() -> None:
    rows = np.repeat(np.arange(4), 3)
    cols = np.tile(np.arange(3), 4)
    weights = np.full(12, 7.0)
    results = [solve_bipartite(rows, cols, weights, 1, [1, 2, 1]) for _ in range(3)]
    assert results[0].objective == 28.0
    assert all(np.array_equal(r.flow, results[0].flow) for r in results)
    assert np.bincount(rows, weights=results[0].flow).tolist() == [1, 1, 1, 1]


def test_scalar_capacities_equal_full_arrays() -> None:
    rows, cols, weights = [0, 1, 2, 2], [1, 0, 1, 2], [3, 4, 5, 1]
    scalar = solve_bipartite(rows, cols, weights, 2, 1)
    arrays = solve_bipartite(rows, cols, weights, [2, 2, 2], [1, 1, 1])
    assert np.array_equal(scalar.flow, arrays.flow) and scalar.objective == arrays.objective == 10.0


def test_result_is_frozen_and_read_only() -> None:
    result = solve_bipartite([0], [0], [1.0], 1, 1)
    with pytest.raises(AttributeError):
        result.objective = 2.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        result.flow[0] = 5


def test_lp_bound_brackets_the_optimum() -> None:
    args = ([0, 0, 1], [0, 1, 0], [0.1, 0.2, 0.3], 1, 1)
    exact_max = highs_solve(*args)[0]
    exact_min = highs_solve(*args, maximize=False)[0]
    assert bipartite_lp_bound(*args) >= exact_max - 1e-12
    assert bipartite_lp_bound(*args, maximize=False) <= exact_min + 1e-12
    assert bipartite_lp_bound(*args) == pytest.approx(exact_max)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (([0, 1], [0], [1.0, 2.0], 1, 1), ValueError, "same length, got 2, 1 and 2"),
        (
            ([[0, 1]], [[0, 1]], [[1.0, 2.0]], 1, 1),
            ValueError,
            r"rows must be 1-D, got an array of shape \(1, 2\)",
        ),
        (([0, 1], [0, 1], [1.0, float("nan")], 1, 1), ValueError, r"weights\[1\] = nan is not finite"),
        (([0, 1], [0, 1], [float("inf"), 1.0], 1, 1), ValueError, r"weights\[0\] = inf is not finite"),
        (([0, 1], [0, 1], ["a", "b"], 1, 1), TypeError, "weights must hold real numbers"),
        (([0, 1], [0, 1], [1.0, 2.0], [1, -1], 1), ValueError, r"row_capacity\[1\] = -1 is negative"),
        (([0, 1], [0, 1], [1.0, 2.0], 1, [1, 1.5]), ValueError, r"col_capacity\[1\] = 1.5 is not an integer"),
        (([0, 1], [0, 1], [1.0, 2.0], 1, [[1, 1]]), ValueError, "col_capacity must be a scalar or 1-D"),
        (
            ([0, 3], [0, 1], [1.0, 2.0], [1, 1], 1),
            ValueError,
            r"rows\[1\] = 3 is out of range: row_capacity has 2",
        ),
        (
            ([0, 1], [0, 2], [1.0, 2.0], 1, [1, 1]),
            ValueError,
            r"cols\[1\] = 2 is out of range: col_capacity has 2",
        ),
        (([0, -1], [0, 1], [1.0, 2.0], 1, 1), ValueError, r"rows\[1\] = -1 is negative"),
        (([0.0, 1.0], [0, 1], [1.0, 2.0], 1, 1), TypeError, "rows must hold integers"),
        (([0, 1, 0], [1, 0, 1], [1.0, 2.0, 3.0], 1, 1), ValueError, r"arc 2 \(row 0, col 1\) repeats arc 0"),
        (
            ([0, 1], [0, 1], [1.0, 2.0], 2**53, 1),
            ValueError,
            "row_capacity sums to more than 2\\*\\*53 units",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(args: tuple, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        solve_bipartite(*args)
