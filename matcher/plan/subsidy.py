"""What each (worker, class) pair of the plan is entitled to, decided by the policy engine.

The planner never restates a subsidy rule: every amount, eligibility and denial comes from
`matcher.policy.decide`. Deciding every pair of a city one by one would take minutes, so pairs share a
decision when the engine cannot tell their cases apart. A pair's signature is the programme (the class
and its dates) with the values the engine's own fact functions (`matcher.policy.facts.FACTS`) give for
the person and for their history of subsidised trainings:

- the first pair of a signature is decided in full; when the engine's trace shows that it never looked at
  the person's age, sex or years of registered unemployment, every pair of the signature shares that
  decision, otherwise the signature is refined with those facts (an evaluation that never reads a fact
  cannot depend on it);
- a decision that looked at a fact outside the signature (a fact added to the engine later) is never
  shared: each pair with it is decided on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from matcher.model.codes import GROUPS
from matcher.model.snapshot import City
from matcher.policy import Case, Decision, Pack, PriorTraining, decide, pack_for
from matcher.policy.case import Person, Training
from matcher.policy.cases import CityCases
from matcher.policy.facts import FACTS

TRAINING_FACTS = frozenset(
    {
        "kind",
        "organised_by",
        "advanced_by",
        "certificate",
        "has_certificate",
        "project_id",
        "occupation_code",
        "level",
        "start_date",
        "end_date",
        "training_year",
        "calendar_days",
        "days",
        "catalogue_subsidy",
        "monthly_wage",
        "months",
        "employer_insured",
        "occupation_name",
        "level_name",
        "apprenticeship_years",
    }
)
"""Facts of the training alone: equal for every pair of one class."""
HISTORY_FACTS = ("trainings_this_year", "same_occupation_level_before", "project_claimed_before")
PERSONAL = ("age", "sex", "male", "female", "registered_unemployed_years")
"""Facts read from the birth date, sex and registration date, added to a signature only when looked at."""
PERSON_FACTS = (
    *GROUPS,
    "hukou_type",
    "rural_hukou",
    "urban_hukou",
    "employment_status",
    "unemployed",
    "employed",
    "receives_pension",
    "registered_unemployed",
    "hukou_in_city",
    "residence_in_city",
    "job_seek_in_city",
)
SIGNED = TRAINING_FACTS | set(HISTORY_FACTS) | set(PERSONAL) | set(PERSON_FACTS)


@dataclass
class PairDecisions:
    """Per pair: the index of its decision in `decisions`; and how many times the engine ran."""

    decision: np.ndarray
    decisions: list[Decision]
    engine_calls: int

    def eligible(self) -> np.ndarray:
        ok = np.array([d.eligible for d in self.decisions], bool)
        return ok[self.decision] if len(self.decision) else np.zeros(0, bool)

    def total(self) -> np.ndarray:
        amount = np.array([d.total for d in self.decisions], float)
        return amount[self.decision] if len(self.decision) else np.zeros(0)


def _looked(decision: Decision) -> set[str]:
    out: set[str] = set()
    for entry in decision.trace:
        out.update(k for k in entry.values if k in FACTS)
    return out


class PairCases(CityCases):
    """The city's cases (`matcher.policy.cases.CityCases`) and the engine's facts of them."""

    def __init__(self, city: City, params: Mapping[str, Any]):
        super().__init__(city)
        self.params = params
        self.people: dict[int, Person] = {}
        self.classes: dict[int, Training] = {}
        self.histories: dict[int, tuple[PriorTraining, ...]] = {}

    def facts(self, wr: int, p: int, names: tuple[str, ...], with_history: bool) -> tuple[Any, ...]:
        """The engine's values of the facts `names` for the pair (an unvalidated case: only read; its
        person, class and history are built once each)."""
        if wr not in self.people:
            self.people[wr] = Person.model_construct(**self.person(wr))
        if p not in self.classes:
            self.classes[p] = Training.model_construct(**self.training(p))
        if with_history and wr not in self.histories:
            self.histories[wr] = tuple(PriorTraining.model_construct(**h) for h in self.history(wr))
        case = Case.model_construct(
            person=self.people[wr],
            training=self.classes[p],
            history=self.histories[wr] if with_history else (),
            as_of=None,
        )
        return tuple(FACTS[n].fn(case, self.params)[0] for n in names)


def decide_pairs(city: City, worker: np.ndarray, programme: np.ndarray) -> PairDecisions:
    """The decision for each (worker row, programme row) pair, each class decided by the pack in force on
    its first day (`matcher.policy.pack_for`)."""
    packs = {int(d): pack_for(date.fromordinal(int(d))) for d in np.unique(city.programmes.start[programme])}
    cases = {id(p): PairCases(city, p.params) for p in packs.values()}
    prior_counts = np.diff(city.workers.prior.offsets)
    person_of: dict[tuple[int, int], tuple[Any, ...]] = {}
    memo: dict[tuple[Any, ...], tuple[int, bool]] = {}
    fine: dict[tuple[Any, ...], int] = {}
    decisions: list[Decision] = []
    out = np.empty(len(worker), np.int64)

    def new(wr: int, p: int, pack: Pack) -> tuple[int, set[str]]:
        decisions.append(decide(cases[id(pack)].case(wr, p), pack))
        return len(decisions) - 1, _looked(decisions[-1])

    for k, (wr, p) in enumerate(zip(worker.tolist(), programme.tolist())):
        day = int(city.programmes.start[p])
        pack = packs[day]
        if (wr, day) not in person_of:
            person_of[(wr, day)] = cases[id(pack)].facts(wr, p, PERSON_FACTS + PERSONAL, False)
        facts = person_of[(wr, day)]
        history = cases[id(pack)].facts(wr, p, HISTORY_FACTS, True) if prior_counts[wr] else ()
        key = (p, facts[: len(PERSON_FACTS)], history)
        refined = (key, facts[len(PERSON_FACTS) :])
        hit = memo.get(key)
        if hit is not None and not hit[1]:
            out[k] = hit[0]
        elif refined in fine:
            out[k] = fine[refined]
        else:
            index, looked = new(wr, p, pack)
            out[k] = index
            if looked <= SIGNED:
                fine[refined] = index
                if hit is None:
                    memo[key] = (index, bool(looked & set(PERSONAL)))
    return PairDecisions(out, decisions, len(decisions))
