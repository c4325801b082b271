"""`matcher audit`: every worker's advice, every open line's candidates and a city plan, checked against the
law, the catalogue and the store's one day, with the fairness table of who the advice reaches.

The checks are written apart from the code that makes the advice (scalar `labour.assess` on each pair, the
class's own dates and seats, what it certifies), so that a rule the engine forgets shows up as a count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from matcher import labour
from matcher.domain import TrainingMode
from matcher.fairness import FairnessReport, city_fairness
from matcher.model.codes import occupation_codes
from matcher.model.dates import NEVER
from matcher.model.pathways import CURRENT_STAFF_MODES, ENTERPRISE_CENTRE, STAFF_MODES, Pathways
from matcher.model.recommend import Recommender, ready
from matcher.model.snapshot import City

BATCH = 1024


class Findings:
    """Counts of each kind of violation, with one example of each."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def add(self, kind: str, example: str, n: int = 1) -> None:
        if n:
            self.counts[kind] += n
            self.examples.setdefault(kind, example)


def _law(f: Findings, city: City, worker: int, day: int, hazards: int, occ: int, what: str) -> bool:
    w = city.workers
    verdict = labour.assess(
        str(w.sex[worker]),
        date.fromordinal(int(w.birth[worker])),
        date.fromordinal(int(day)),
        labour.Hazard(int(hazards)),
        occupation_codes()[occ],
    )
    for bar in verdict.bars:
        f.add(f"law:{bar.rule}", f"worker {int(w.id[worker])}, {what}: {bar.text}")
    return verdict.allowed


def check_pathways(
    f: Findings, city: City, paths: Pathways, missing: np.ndarray, level_gap: np.ndarray
) -> None:
    """Each pathway: lawful, leads to the job, open to the worker, a real class with seats."""
    pr, ln, as_of = city.programmes, city.lines, city.as_of
    for i in range(len(paths)):
        wr, lr, p = int(paths.worker[i]), int(paths.line[i]), int(paths.programme[i])
        tag = f"worker {int(city.workers.id[wr])}, line {int(ln.id[lr])}, class {pr.code[p]}"
        _law(f, city, wr, int(pr.start[p]), int(pr.hazards[p]), int(pr.occ[p]), f"class {pr.code[p]}")
        _law(f, city, wr, int(pr.end[p]) + 1, int(ln.hazards[lr]), int(ln.occ[lr]), f"line {int(ln.id[lr])}")
        awards = pr.so[p] >= 0 and city.required_dense[lr, pr.so[p]]
        same = pr.occ[p] == ln.occ[lr] and pr.rank[p] >= ln.rank[lr]
        pair = int(paths.pair[i])
        if (
            (missing[pair] > 0 and not awards)
            or (missing[pair] == 0 and not same)
            or (level_gap[pair] > 0 and not same)
        ):
            f.add("pathway_not_leading_to_job", tag)
        staff_only = (
            pr.mode[p] in (*STAFF_MODES, TrainingMode.order_based)
            or pr.institution_kind[p] == ENTERPRISE_CENTRE
        )
        if staff_only and (pr.enterprise_id[p] != ln.enterprise_id[lr] or pr.mode[p] in CURRENT_STAFF_MODES):
            f.add("staff_only_class_to_outsider", tag)
        if pr.start[p] <= as_of:
            f.add("class_already_begun", tag)
        if pr.seats[p] - pr.enrolled[p] <= 0:
            f.add("class_full", tag)
        if pr.end[p] >= ln.end[lr]:
            f.add("class_ends_after_line", tag)


def check_direct(f: Findings, city: City, worker: np.ndarray, line: np.ndarray, X: np.ndarray) -> None:
    """Each pair offered as a job now: lawful on the day work would start, level and certificates held."""
    ln = city.lines
    ok = ready(X)
    for wr, lr in zip(worker[ok].tolist(), line[ok].tolist()):
        start = max(int(ln.start[lr]), city.as_of)
        _law(f, city, wr, start, int(ln.hazards[lr]), int(ln.occ[lr]), f"line {int(ln.id[lr])}")


def check_records(f: Findings, city: City) -> None:
    """Nothing in a record is dated after the store's day."""
    w, day = city.workers, city.as_of
    since = w.unemployed_since
    f.add(
        "registered_after_today", "registered_unemployed_since", int(((since != NEVER) & (since > day)).sum())
    )
    f.add("certificate_after_today", "certificates.issued_on", int((w.certs["issued"] > day).sum()))
    f.add("work_spell_after_today", "work_history.start", int((w.spells["start"] > day).sum()))
    f.add("referral_after_today", "placements.referred_on", int((city.placements.referred > day).sum()))


@dataclass(frozen=True)
class Audit:
    """What the audit found: `summary` JSON-ready (with the fairness table as a dict), `fairness` the table."""

    summary: dict[str, Any]
    fairness: FairnessReport

    def to_text(self) -> str:
        s = self.summary
        lines = [f"审核日期 {s['as_of']}：违规 {s['violation_total']} 处"]
        lines += [f"  {kind}: {n}（例：{s['examples'][kind]}）" for kind, n in s["violations"].items()]
        return "\n".join([*lines, "", self.fairness.to_text()])


def audit(
    url: str | None = None, k: int = 10, progress: bool = False, models_dir: str | Path | None = None
) -> Audit:
    """Audit the whole store at `url` with the model saved in `models_dir` (see the module docstring)."""
    from matcher.plan import PlanOptions, plan_city

    rec = Recommender.load(url, models_dir)
    city = rec.city
    f = Findings()
    check_records(f, city)
    n = len(city.workers)
    recommended = np.zeros(n, bool)
    pairs = 0
    spans = range(0, n, BATCH)
    for start in tqdm(spans, desc="核查劳动者的推荐", unit="批", disable=not progress):
        rows = np.arange(start, min(start + BATCH, n))
        advice = rec.advice(rows, k)
        X = advice.X
        check_direct(f, city, advice.worker, advice.line, X)
        missing = X[:, list(rec.model.features).index("missing_certificates")]
        level_gap = X[:, list(rec.model.features).index("level_gap")]
        check_pathways(f, city, advice.paths, missing, level_gap)
        recommended[advice.worker[ready(X)]] = True
        recommended[advice.paths.worker] = True
        pairs += len(advice.worker)
    lines = np.flatnonzero(city.lines.open & (city.lines.end >= city.as_of))
    shown = 0
    for lr in tqdm(lines.tolist(), desc="核查岗位的候选人", unit="个岗位", disable=not progress):
        answer = rec.candidates(int(city.lines.id[lr]), k)
        for c in answer.candidates:
            wr = int(city.worker_rows([c.worker_id])[0])
            shown += 1
            day = max(int(city.lines.start[lr]), city.as_of)
            if c.flags.needs_training:
                if c.programme is None:
                    f.add("candidate_needs_unnamed_training", f"line {int(city.lines.id[lr])}")
            else:
                _law(f, city, wr, day, int(city.lines.hazards[lr]), int(city.lines.occ[lr]), "candidate")
                if c.flags.certificates != "held":
                    f.add("candidate_lacks_certificate", f"line {int(city.lines.id[lr])}")
    plan = plan_city(PlanOptions.model_validate({}), url=url, models_dir=models_dir)
    placed = np.zeros(n, bool)
    trained = np.zeros(n, bool)
    subsidised = np.zeros(n, bool)
    rows_of = city.worker_rows
    for person in plan["workers"]:
        wr = int(rows_of([person["worker_id"]])[0])
        if person["assignment"] == "training":
            trained[wr] = True
            subsidised[wr] = person["cost"]["subsidy"] > 0
        else:
            placed[wr] = True
            lr = int(city.line_rows([person["line"]["line_id"]])[0])
            day = max(int(city.lines.start[lr]), city.as_of)
            _law(f, city, wr, day, int(city.lines.hazards[lr]), int(city.lines.occ[lr]), "plan")
    fairness = city_fairness(
        city,
        np.arange(n),
        {"recommended": recommended, "placed": placed, "trained": trained, "subsidised": subsidised},
    )
    summary = {
        "as_of": date.fromordinal(city.as_of).isoformat(),
        "checked": {
            "workers": n,
            "worker_line_pairs": pairs,
            "open_lines": len(lines),
            "candidates_shown": shown,
            "plan_assignments": len(plan["workers"]),
        },
        "violations": dict(sorted(f.counts.items())),
        "violation_total": int(sum(f.counts.values())),
        "examples": f.examples,
        "fairness": fairness.to_dict(),
        "plan": plan["totals"],
    }
    return Audit(summary, fairness)
