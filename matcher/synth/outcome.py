"""The generative process behind every referral's outcome (data/SAMPLE_CITY.md, "generative process").

P(hired) and P(retained 6 months | hired) are logistic in features a matching model can rebuild from
the store (dated certificates, trainings and past jobs, intentions, places, wages, age, education,
priority groups) plus a latent worker effect and a latent line effect that are never stored. The
coefficients live in `[outcome]` of data/sample_city.toml and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from matcher.domain import PriorityGroup
from matcher.synth.params import params


@dataclass(frozen=True)
class Coefficients:
    hire_intercept: float
    occupation_closeness: float
    exact_experience: float
    level_gap: float
    level_surplus: float
    missing_certificate: float
    distance: float
    outbound_willing: float
    wage: float
    wage_clip: tuple[float, float]
    young: float
    old: float
    young_from: float
    old_from: float
    education: float
    professional_without_college: float
    trained_same_occupation: float
    trained_same_minor_group: float
    worker_effect_sd: float
    line_effect_sd: float
    retain_intercept: float
    retain_wage: float
    retain_distance: float
    retain_closeness: float
    retain_experience: float
    retain_old: float
    groups: dict[PriorityGroup, float]

    @classmethod
    def from_params(cls) -> Coefficients:
        table = dict(params()["outcome"])
        groups = {PriorityGroup(k): float(v) for k, v in table.pop("groups", {}).items()}
        names = {f.name for f in fields(cls)} - {"groups"}
        missing = names - set(table)
        if missing:
            raise ValueError(f"[outcome] of sample_city.toml lacks {', '.join(sorted(missing))}")
        lo, hi = table.pop("wage_clip")
        values = {k: float(table[k]) for k in names - {"wage_clip"}}
        return cls(groups=groups, wage_clip=(float(lo), float(hi)), **values)


@dataclass(frozen=True)
class Features:
    """One element per referral, each as the worker and the line stood on the referral date."""

    distance_steps: np.ndarray  # 0 same occupation … 4 other major group, to the nearest known occupation
    exact_experience: np.ndarray  # a past job or certificate in the line's occupation
    level_gap: np.ndarray  # ranks the held level falls short of the required one (0 when none required)
    level_surplus: np.ndarray  # ranks above the required one
    missing_certificate: np.ndarray  # a required special-operation certificate is not held
    km: np.ndarray
    outbound: np.ndarray  # the line is outside the province (the worker is willing to go)
    wage_ratio: np.ndarray  # mid wage of the line over the worker's minimum wage
    age: np.ndarray
    education_rank: np.ndarray  # 0 none … 7 postgraduate
    professional_gap: np.ndarray  # major-group-2 line, worker below junior college
    trained_same: np.ndarray  # completed a training in the line's occupation before the referral
    trained_minor: np.ndarray  # … in the same minor group only
    group_effect: np.ndarray  # sum of the worker's priority-group coefficients
    worker_effect: np.ndarray
    line_effect: np.ndarray


JUNIOR_MIDDLE_RANK = 2


def logits(f: Features, c: Coefficients) -> tuple[np.ndarray, np.ndarray]:
    """The hiring logit and the retention logit of each referral."""
    closeness = 2.0 - f.distance_steps
    wage = np.clip(np.log(f.wage_ratio), *c.wage_clip)
    dist = np.log1p(f.km / 10.0)
    old_years = np.maximum(0.0, f.age - c.old_from)
    hire = (
        c.hire_intercept
        + c.occupation_closeness * closeness
        + c.exact_experience * f.exact_experience
        + c.level_gap * f.level_gap
        + c.level_surplus * np.minimum(f.level_surplus, 2)
        + c.missing_certificate * f.missing_certificate
        + c.distance * dist
        + c.outbound_willing * f.outbound
        + c.wage * wage
        + c.young * np.maximum(0.0, c.young_from - f.age)
        + c.old * old_years
        + c.education * (f.education_rank - JUNIOR_MIDDLE_RANK)
        + c.professional_without_college * f.professional_gap
        + c.trained_same_occupation * f.trained_same
        + c.trained_same_minor_group * (f.trained_minor & ~f.trained_same)
        + f.group_effect
        + f.worker_effect
        + f.line_effect
    )
    retain = (
        c.retain_intercept
        + c.retain_wage * wage
        + c.retain_distance * dist
        + c.retain_closeness * closeness
        + c.retain_experience * f.exact_experience
        + c.retain_old * old_years
    )
    return hire, retain


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
