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

from matcher.model.snapshot import GROUPS, NEVER, City, occupation_codes
from matcher.policy import Case, Decision, Pack, PriorTraining, decide, load_pack
from matcher.policy.case import Person, Training
from matcher.policy.cases import organiser
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


class PairCases:
    """Builds the policy cases of a city's (worker, programme) pairs, and their facts."""

    def __init__(self, city: City, class_start: np.ndarray, class_end: np.ndarray, params: Mapping[str, Any]):
        self.city, self.start, self.end, self.params = city, class_start, class_end, params
        self.occ = occupation_codes()
        self.groups = city.workers.groups.tocsr()

    def person(self, wr: int) -> dict[str, Any]:
        w = self.city.workers
        since = int(w.unemployed_since[wr])
        return {
            "birth_date": date.fromordinal(int(w.birth[wr])),
            "sex": str(w.sex[wr]),
            "hukou_region": str(w.hukou_region[wr]),
            "residence_region": str(w.residence[wr]),
            "hukou_type": "rural" if w.hukou_rural[wr] else "urban",
            "employment_status": str(w.status[wr]),
            "registered_unemployed_since": None if since == NEVER else date.fromordinal(since),
            "receives_pension": bool(w.pension[wr]),
            "groups": tuple(
                GROUPS[g] for g in self.groups.indices[self.groups.indptr[wr] : self.groups.indptr[wr + 1]]
            ),
        }

    def training(self, p: int) -> dict[str, Any]:
        pr = self.city.programmes
        organised, advanced = organiser(str(pr.mode[p]), bool(pr.tendered[p]))
        return {
            "kind": str(pr.mode[p]),
            "project_id": str(pr.code[p]),
            "occupation_code": self.occ[pr.occ[p]],
            "level": 6 - int(pr.rank[p]) if pr.rank[p] else None,
            "certificate": str(pr.certificate[p]),
            "start_date": date.fromordinal(int(self.start[p])),
            "end_date": date.fromordinal(int(self.end[p])),
            "days": int(pr.days[p]),
            "organised_by": organised,
            "advanced_by": advanced,
            "catalogue_subsidy": int(pr.subsidy[p]),
        }

    def history(self, wr: int) -> tuple[dict[str, Any], ...]:
        prior = self.city.workers.prior
        sl = slice(prior.offsets[wr], prior.offsets[wr + 1])
        return tuple(
            {
                "year": int(y),
                "occupation_code": self.occ[o],
                "level": 6 - int(r) if r else None,
                "project_id": str(pid),
            }
            for y, o, r, pid in zip(
                prior["year"][sl], prior["occ"][sl], prior["rank"][sl], prior["project"][sl]
            )
        )

    def case(self, wr: int, p: int) -> Case:
        """The validated case of a pair, as the engine decides it."""
        return Case.model_validate(
            {"person": self.person(wr), "training": self.training(p), "history": self.history(wr)}
        )

    def facts(self, wr: int, p: int, names: tuple[str, ...], with_history: bool) -> tuple[Any, ...]:
        """The engine's values of the facts `names` for the pair (an unvalidated case: only read)."""
        case = Case.model_construct(
            person=Person.model_construct(**self.person(wr)),
            training=Training.model_construct(**self.training(p)),
            history=tuple(PriorTraining.model_construct(**h) for h in self.history(wr))
            if with_history
            else (),
            as_of=None,
        )
        return tuple(FACTS[n].fn(case, self.params)[0] for n in names)


def decide_pairs(
    city: City,
    worker: np.ndarray,
    programme: np.ndarray,
    class_start: np.ndarray,
    class_end: np.ndarray,
    pack: Pack | None = None,
) -> PairDecisions:
    """The decision for each (worker row, programme row) pair, the programme's class running
    `class_start[p]`..`class_end[p]` (ordinals, indexed by programme row)."""
    pack = pack or load_pack()
    cases = PairCases(city, class_start, class_end, pack.params)
    prior_counts = np.diff(city.workers.prior.offsets)
    person_of: dict[tuple[int, int], tuple[Any, ...]] = {}
    memo: dict[tuple[Any, ...], tuple[int, bool]] = {}
    fine: dict[tuple[Any, ...], int] = {}
    decisions: list[Decision] = []
    out = np.empty(len(worker), np.int64)

    def new(wr: int, p: int) -> tuple[int, set[str]]:
        decisions.append(decide(cases.case(wr, p), pack))
        return len(decisions) - 1, _looked(decisions[-1])

    for k, (wr, p) in enumerate(zip(worker.tolist(), programme.tolist())):
        day = int(class_start[p])
        if (wr, day) not in person_of:
            person_of[(wr, day)] = cases.facts(wr, p, PERSON_FACTS + PERSONAL, False)
        facts = person_of[(wr, day)]
        history = cases.facts(wr, p, HISTORY_FACTS, True) if prior_counts[wr] else ()
        key = (p, facts[: len(PERSON_FACTS)], history)
        refined = (key, facts[len(PERSON_FACTS) :])
        hit = memo.get(key)
        if hit is not None and not hit[1]:
            out[k] = hit[0]
        elif refined in fine:
            out[k] = fine[refined]
        else:
            index, looked = new(wr, p)
            out[k] = index
            if looked <= SIGNED:
                fine[refined] = index
                if hit is None:
                    memo[key] = (index, bool(looked & set(PERSONAL)))
    return PairDecisions(out, decisions, len(decisions))
