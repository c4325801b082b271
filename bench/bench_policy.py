"""Speed of the subsidy decision (matcher.policy.decide), per case, warm.

The planner calls `decide` for thousands of (worker, programme) pairs; the aim is under 1 ms per case.
Baseline, measured in the same run: `Case.model_validate` of the same input, the least any caller pays
to hand a case to the engine. The ratio says how many validations one decision costs.

Run: .venv/bin/python bench/bench_policy.py [number of cases, default 5000]
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from matcher.policy import Case, decide, decide_json, load_pack
from matcher.policy.case import (
    ADVANCERS,
    CERTIFICATES,
    EMPLOYMENT_STATUSES,
    GROUPS,
    ORGANISERS,
    TRAINING_KINDS,
)

REGIONS = ["530302", "530381", "530302-QJETDZ", "530326001", "530323", "110101", "510107", "530102"]
OCCUPATIONS = ["6-18-02-04", "6-31-01-03", "4-10-01-06", "4-03-02-01", "4-01-06-01", "6-29-01-01"]


def random_case(rng: random.Random) -> dict[str, Any]:
    """A valid case of any kind with random groups and up to three earlier trainings."""
    kind = rng.choice(TRAINING_KINDS)
    start = date(2019, 1, 1) + timedelta(days=rng.randrange(3 * 365))
    span = rng.randint(90 if kind == "work_for_training" else 20, 400 if kind == "apprenticeship" else 120)
    end = start + timedelta(days=span - 1)
    status = rng.choice(EMPLOYMENT_STATUSES)
    training: dict[str, Any] = {
        "kind": kind,
        "project_id": f"P-{rng.randrange(1000)}",
        "occupation_code": rng.choice(OCCUPATIONS),
        "level": rng.choice([None, 1, 2, 3, 4, 5]),
        "certificate": rng.choice([None, *CERTIFICATES]),
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "days": rng.randint(1, span),
        "organised_by": rng.choice(ORGANISERS),
        "advanced_by": rng.choice(ADVANCERS),
        "catalogue_subsidy": rng.randrange(500, 5000),
        "employer_insured": rng.random() < 0.5,
    }
    if kind == "work_for_training":
        training["monthly_wage"] = rng.randrange(1500, 6000)
        training["months"] = rng.randint(1, 3)
    return {
        "person": {
            "birth_date": date(rng.randint(1958, 2003), rng.randint(1, 12), rng.randint(1, 28)).isoformat(),
            "sex": rng.choice("MF"),
            "hukou_region": rng.choice(REGIONS),
            "residence_region": rng.choice([None, *REGIONS]),
            "job_seek_region": rng.choice([None, *REGIONS]),
            "hukou_type": rng.choice(["rural", "urban"]),
            "employment_status": status,
            "registered_unemployed_since": "2018-06-01"
            if status == "unemployed" and rng.random() < 0.5
            else None,
            "receives_pension": rng.random() < 0.1,
            "groups": rng.sample(GROUPS, rng.randint(0, 3)),
        },
        "training": training,
        "history": [
            {
                "year": rng.randint(2018, 2021),
                "occupation_code": rng.choice(OCCUPATIONS),
                "level": rng.choice([None, 3, 4, 5]),
                "project_id": f"P-{rng.randrange(1000)}",
            }
            for _ in range(rng.randint(0, 3))
        ],
    }


def per_case_us(fn: Callable[[Any], Any], inputs: list[Any]) -> float:
    """Best of three passes over all inputs, in microseconds per input."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for x in inputs:
            fn(x)
        best = min(best, time.perf_counter() - t0)
    return best / len(inputs) * 1e6


def main(n: int) -> None:
    rng = random.Random(7)
    raw = [random_case(rng) for _ in range(n)]
    t0 = time.perf_counter()
    load_pack()
    decide(raw[0])
    cold_ms = (time.perf_counter() - t0) * 1e3
    cases = [Case.model_validate(x) for x in raw]
    eligible = sum(decide(c).eligible for c in cases)

    baseline = per_case_us(Case.model_validate, raw)
    on_models = per_case_us(decide, cases)
    on_dicts = per_case_us(decide, raw)
    as_json = per_case_us(decide_json, raw)

    print(
        f"{n} random cases, {eligible} eligible; first call (pack and reference tables loaded): {cold_ms:.0f} ms"
    )
    print(f"baseline  Case.model_validate           {baseline:8.1f} µs/case")
    print(
        f"decide(Case)                            {on_models:8.1f} µs/case  ratio {on_models / baseline:5.1f}x baseline"
    )
    print(
        f"decide(dict)   validation included      {on_dicts:8.1f} µs/case  ratio {on_dicts / baseline:5.1f}x baseline"
    )
    print(
        f"decide_json    dict in, JSON dict out   {as_json:8.1f} µs/case  ratio {as_json / baseline:5.1f}x baseline"
    )
    print(f"target 1000 µs/case: decide(dict) uses {on_dicts / 1000:.0%} of it")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
