"""Three closed years of the public employment service, and the enrolments already made on today.

Each closed year some workers enrol in a class of a catalogue course open to the public and, on
completing it, gain its certificate; about a third look for work and are referred to that year's demand
lines by a search process (intended occupations, own county, the whole city, partner cities, chance;
trainees to lines of their training's occupation). Every referral's outcome is drawn from
`matcher.synth.outcome`. Some hires then attend a class their employer runs for its staff. Before today
a few workers have enrolled in the open year's upcoming classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.domain import Education, PriorityGroup
from matcher.model.codes import level_ranks
from matcher.model.ragged import rank_within
from matcher.synth import law, places
from matcher.synth.employers import Employers
from matcher.synth.outcome import Coefficients, Features, logits, sigmoid
from matcher.synth.params import jobs, occupation_distances, params, parse_day, special_items
from matcher.synth.people import (
    EDUCATIONS,
    GROUP_BIT,
    NOT_IN_LABOUR_FORCE,
    STUDENT,
    UNEMPLOYED,
    Core,
    Profiles,
    neighbours,
)
from matcher.synth.sampling import Pools, day_of, stream, top_k
from matcher.synth.training import Classes, Programmes, runs_in

N_OPTIONS = 6
OCC_AREA, OCC_CITY, AREA, CITY, ENTERPRISE = range(5)


@dataclass
class History:
    """Enrolments and referrals of one chunk; worker and enrolment positions are chunk-local."""

    enr_worker: np.ndarray
    enr_programme: np.ndarray  # the course
    enr_class: np.ndarray
    enr_year: np.ndarray
    enr_start: np.ndarray
    enr_end: np.ndarray
    enr_completed: np.ndarray
    ref_worker: np.ndarray
    ref_line: np.ndarray
    ref_enrolment: np.ndarray  # -1: not a trainee referral
    ref_date: np.ndarray
    hired: np.ndarray
    retained: np.ndarray  # -1: not hired
    p_true: np.ndarray


class LinePools:
    """The demand lines of each history year, grouped for the search channels, per legal class: a class's
    pools hold only the lines the law opens to everyone in it (`matcher.synth.law`)."""

    def __init__(self, employers: Employers):
        ln = employers.lines
        table = jobs()
        items = special_items()
        self.hazards = law.hazards(
            [table[j].code for j in ln.job.tolist()],
            [f"{t} {d}" for t, d in zip(ln.title, ln.description)],
            [[items[k] for k in row if k >= 0] for row in ln.items.tolist()],
        )
        self.codes = np.array([table[j].code for j in ln.job.tolist()])
        self.n_occ = len(occupation_distances())
        self.pools: dict[int, list[dict[int, Pools]]] = {}
        city = ln.area != places.OUTBOUND
        allowed = law.open_to(self.hazards)
        for y in params()["history_years"]:
            self.pools[int(y)] = []
            for cls in range(law.N_CLASSES):
                this = (ln.year == y) & allowed[cls]
                none = np.full(len(ln), -1)
                hc = ln.headcount
                self.pools[int(y)].append(
                    {
                        OCC_AREA: Pools(
                            np.where(this, ln.occupation * places.N_AREAS + ln.area, none),
                            ln.end,
                            self.n_occ * places.N_AREAS,
                            hc,
                        ),
                        OCC_CITY: Pools(np.where(this & city, ln.occupation, none), ln.end, self.n_occ, hc),
                        AREA: Pools(np.where(this, ln.area, none), ln.end, places.N_AREAS, hc),
                        CITY: Pools(np.where(this & city, 0, none), ln.end, 1, hc),
                        ENTERPRISE: Pools(np.where(this, ln.enterprise, none), ln.end, len(employers), hc),
                    }
                )


class _Options:
    """Per referral, up to N_OPTIONS (pool, key) choices tried in order until one has a line."""

    def __init__(self, n: int):
        self.pool = np.full((n, N_OPTIONS), -1, dtype=np.int64)
        self.key = np.full((n, N_OPTIONS), -1, dtype=np.int64)
        self.filled = np.zeros(n, dtype=np.int64)

    def add(self, sel: np.ndarray, pool: int, key: np.ndarray, allowed: np.ndarray | bool = True) -> None:
        """Append an option for the referrals in `sel` (boolean mask) where `allowed` holds."""
        ok = sel & allowed & (key >= 0) & (self.filled < N_OPTIONS)
        rows = np.flatnonzero(ok)
        cols = self.filled[rows]
        self.pool[rows, cols] = pool
        self.key[rows, cols] = key[rows] if np.ndim(key) else key
        self.filled[rows] += 1

    def resolve(
        self, rng: np.random.Generator, pools: list[dict[int, Pools]], after: np.ndarray, cls: np.ndarray
    ) -> np.ndarray:
        """The first option of each request whose pool (of the request's legal class) has an item."""
        line = np.full(len(self.pool), -1, dtype=np.int64)
        for d in range(N_OPTIONS):
            for c, by_id in enumerate(pools):
                for pid, pool in by_id.items():
                    sel = np.flatnonzero((line < 0) & (self.pool[:, d] == pid) & (cls == c))
                    if len(sel):
                        line[sel] = pool.draw(rng, self.key[sel, d], after[sel])
        return line


def simulate(
    prof: Profiles,
    c: Core,
    employers: Employers,
    programmes: Programmes,
    classes: Classes,
    pools: LinePools,
    seed: int,
    chunk: int,
) -> History:
    """Enrolments, referrals and outcomes of the chunk's workers over the history years, and their
    enrolments in upcoming classes; the classes they fill are added to `classes`."""
    p = params()
    hp = p["history"]
    rng = stream(seed, 10, chunk, 1)
    coef = Coefficients.from_params()
    n = prof.hi - prof.lo
    birth = c.birth[prof.lo : prof.hi]
    male = c.male[prof.lo : prof.hi]
    unit = c.unit[prof.lo : prof.hi]
    retire = law.retirement_day(male, birth)
    course_hazards = law.hazards(
        [jobs()[j].code for j in programmes.job.tolist()],
        programmes.name,
        [[special_items()[k]] if k >= 0 else [] for k in programmes.item.tolist()],
    )
    course_open = law.open_to(course_hazards)
    course_codes = np.array([jobs()[j].code for j in programmes.job.tolist()])
    us = places.units()
    area = np.array([u.area for u in us])[unit]
    years = [int(y) for y in p["history_years"]]
    tr = {
        k: np.full((n, len(years)), -1, dtype=np.int64) for k in ("occ", "level", "item", "end", "programme")
    }
    public = ~programmes.staff
    staff_of = _staff_courses(programmes)
    enrol: dict[str, list[np.ndarray]] = {
        k: [] for k in ("worker", "programme", "class", "year", "start", "end", "completed")
    }
    refs: dict[str, list[np.ndarray]] = {
        k: [] for k in ("worker", "line", "enrolment", "date", "hired", "retained", "p")
    }
    n_enrol = 0
    priority = np.zeros(n, dtype=bool)
    for g in hp["enrol_priority_groups"]:
        priority |= prof.has(PriorityGroup(g))

    for yi, year in enumerate(years):
        mid = day_of(year, "07-01")
        # of the legal working age all year, and not past the retirement age before it ends
        of_age = ((day_of(year, "01-01") - birth) / 365.25 >= 16) & (retire > day_of(year, "12-31"))
        cls = law.legal_class(male, birth, day_of(year, "01-01"))
        # enrolments
        ew = hp["enrol_weight"]
        w = np.where(of_age & ~prof.pension, 1.0, 0.0)
        w *= np.where(prof.status == UNEMPLOYED, ew["unemployed"], 1.0) * np.where(
            priority, ew["priority"], 1.0
        )
        w *= np.where(prof.status == STUDENT, ew["student"], 1.0) * np.where(
            prof.status == NOT_IN_LABOUR_FORCE, ew["not_in_labour_force"], 1.0
        )
        w *= np.where((mid - birth) / 365.25 > 55, ew["over_55"], 1.0)
        who = top_k(rng, w, round(hp["enrol_share"] * n))
        pools_y = _programme_pools(programmes, public & runs_in(programmes, year), course_open)
        prog = _choose_programmes(rng, prof, who, area[who], pools_y, hp, cls[who])
        keep = (prog >= 0) & ~_repeats(tr, programmes, who, prog)
        who, prog = who[keep], prog[keep]
        k_cls = classes.fill(rng, programmes, prog, year)
        start, end = np.array(classes.start)[k_cls], np.array(classes.end)[k_cls]
        done = _completed(rng, hp, programmes, prog)
        _record(tr, yi, who[done], prog[done], end[done], programmes)
        enr_ids = n_enrol + np.arange(len(who))
        n_enrol += len(who)
        for k, v in zip(enrol, (who, prog, k_cls, np.full(len(who), year), start, end, done)):
            enrol[k].append(v)

        # job seekers and their referrals
        sw = hp["seeker_weight"]
        status_w = np.array(
            [sw[s] for s in ("employed", "unemployed", "student", "self_employed", "not_in_labour_force")]
        )
        w = np.where(of_age, status_w[prof.status], 0.0) * np.where(
            (mid - birth) / 365.25 > 60, sw["over_60"], 1.0
        )
        w[who] = 0.0
        k = max(round(hp["seeker_share"] * n) - len(who), 0)
        seekers = np.concatenate([who, top_k(rng, w, k)])
        trainee_enr = np.concatenate([enr_ids, np.full(len(seekers) - len(who), -1)])
        base, nb, pb = hp["referrals"]
        m = base + rng.binomial(nb, pb, len(seekers))
        drawn = m + hp["spare_draws"]
        r_worker = np.repeat(seekers, drawn)
        r_slot = np.arange(drawn.sum()) - np.repeat(np.cumsum(drawn) - drawn, drawn)
        r_enr = np.where(r_slot < hp["trained_referrals"], np.repeat(trainee_enr, drawn), -1)
        line, after = _search(
            rng, prof, r_worker, r_enr, enr_ids, prog, end, area, programmes, employers, pools, year, hp, cls
        )
        _, first = np.unique(
            np.where(line >= 0, r_worker * len(employers.lines) + line, -1 - np.arange(len(line))),
            return_index=True,
        )
        first.sort()
        first = first[line[first] >= 0]
        wanted = np.zeros(n, dtype=np.int64)
        wanted[seekers] = m
        first = first[rank_within(r_worker[first]) < wanted[r_worker[first]]]
        r_worker, r_enr, line, after = r_worker[first], r_enr[first], line[first], after[first]
        ln = employers.lines
        lo_d = np.maximum(ln.start[line], after + 1)
        date = lo_d + (rng.random(len(line)) * (ln.end[line] - lo_d + 1)).astype(np.int64)
        f = _features(prof, employers, r_worker, line, date, tr, birth, unit, coef)
        h, r = logits(f, coef)
        p_hire, p_retain = sigmoid(h), sigmoid(r)
        hired = rng.random(len(line)) < p_hire
        retained = np.where(hired, (rng.random(len(line)) < p_retain).astype(np.int64), -1)
        for k, v in zip(refs, (r_worker, line, r_enr, date, hired, retained, p_hire * p_retain)):
            refs[k].append(v)

        # hires trained by their employer, in a class for its staff
        ent = employers.lines.enterprise[line]
        course = _staff_course(rng, staff_of, ent, employers.lines.occupation[line], programmes, year)
        pick = np.flatnonzero(hired & (course >= 0) & (rng.random(len(line)) < hp["staff_training"]))
        pick = pick[~np.isin(r_worker[pick], who)]
        pick = pick[np.unique(r_worker[pick], return_index=True)[1]]
        pick = pick[~_repeats(tr, programmes, r_worker[pick], course[pick])]
        pick = pick[course_open[cls[r_worker[pick]], course[pick]]]
        k_cls = classes.staff(rng, programmes, course[pick], date[pick], year, tuple(hp["staff_delay_days"]))
        pick, k_cls = pick[k_cls >= 0], k_cls[k_cls >= 0]
        s_who, s_prog = r_worker[pick], course[pick]
        s_end = np.array(classes.end, dtype=np.int64)[k_cls]
        s_done = _completed(rng, hp, programmes, s_prog)
        _record(tr, yi, s_who[s_done], s_prog[s_done], s_end[s_done], programmes)
        n_enrol += len(pick)
        s_start = np.array(classes.start, dtype=np.int64)[k_cls]
        for k, v in zip(enrol, (s_who, s_prog, k_cls, np.full(len(pick), year), s_start, s_end, s_done)):
            enrol[k].append(v)

    # enrolments made before today in the open year's upcoming classes
    current = int(p["current_year"])
    today = parse_day(p["survey_date"])
    w = np.where(
        ((today - birth) / 365.25 >= 16) & ~prof.pension & (retire > day_of(current, "12-31")), 1.0, 0.0
    )
    w *= np.where(prof.status == UNEMPLOYED, hp["enrol_weight"]["unemployed"], 1.0)
    w *= np.where(priority, hp["enrol_weight"]["priority"], 1.0)
    who = top_k(rng, w, round(hp["upcoming_enrol_share"] * n))
    upcoming = np.zeros(len(programmes), dtype=bool)
    for q, y in classes.open_class:
        upcoming[q] |= y == current
    pools_now = _programme_pools(programmes, public & upcoming, course_open)
    prog = _choose_programmes(
        rng, prof, who, area[who], pools_now, hp, law.legal_class(male, birth, today)[who]
    )
    keep = (prog >= 0) & ~_repeats(tr, programmes, who, prog)
    who, prog = who[keep], prog[keep]
    cls = np.array([classes.open_class.get((q, current), -1) for q in prog.tolist()], dtype=np.int64)
    room = np.zeros(len(who), dtype=bool)
    for i, k in enumerate(cls.tolist()):
        if k >= 0 and classes.filled[k] < int(hp["upcoming_fill"] * classes.seats[k]):
            classes.filled[k] += 1
            room[i] = True
    who, prog, cls = who[room], prog[room], cls[room]
    start, end = np.array(classes.start, dtype=np.int64)[cls], np.array(classes.end, dtype=np.int64)[cls]
    for k, v in zip(
        enrol, (who, prog, cls, np.full(len(who), current), start, end, np.zeros(len(who), bool))
    ):
        enrol[k].append(v)

    e = {k: np.concatenate(v) if v else np.empty(0, dtype=np.int64) for k, v in enrol.items()}
    rf = {k: np.concatenate(v) for k, v in refs.items()}
    for when in (e["start"], e["end"]):
        if law.barred(
            male[e["worker"]],
            birth[e["worker"]],
            when,
            course_hazards[e["programme"]],
            course_codes[e["programme"]],
        ).any():
            raise AssertionError("an enrolment the labour law bars was drawn")
    if law.barred(
        male[rf["worker"]],
        birth[rf["worker"]],
        rf["date"],
        pools.hazards[rf["line"]],
        pools.codes[rf["line"]],
    ).any():
        raise AssertionError("a referral the labour law bars was drawn")
    order = np.lexsort((rf["worker"], rf["date"]))
    return History(
        enr_worker=e["worker"],
        enr_programme=e["programme"],
        enr_class=e["class"],
        enr_year=e["year"],
        enr_start=e["start"],
        enr_end=e["end"],
        enr_completed=e["completed"].astype(bool),
        ref_worker=rf["worker"][order],
        ref_line=rf["line"][order],
        ref_enrolment=rf["enrolment"][order],
        ref_date=rf["date"][order],
        hired=rf["hired"][order],
        retained=rf["retained"][order],
        p_true=rf["p"][order],
    )


def _programme_pools(
    programmes: Programmes, offered: np.ndarray, lawful: np.ndarray
) -> list[dict[int, Pools]]:
    """The courses on offer, grouped for the search channels, per legal class (`lawful`: N_CLASSES × courses)."""
    n_occ = len(occupation_distances())
    zero = np.zeros(len(programmes), dtype=np.int64)
    none = np.full(len(programmes), -1)
    out = []
    for cls in range(law.N_CLASSES):
        ok = offered & lawful[cls]
        out.append(
            {
                OCC_AREA: Pools(
                    np.where(ok, programmes.occupation * places.N_AREAS + programmes.area, none),
                    zero,
                    n_occ * places.N_AREAS,
                ),
                OCC_CITY: Pools(np.where(ok, programmes.occupation, none), zero, n_occ),
                AREA: Pools(np.where(ok, programmes.area, none), zero, places.N_AREAS),
                CITY: Pools(np.where(ok, 0, none), zero, 1),
            }
        )
    return out


def _repeats(
    tr: dict[str, np.ndarray], programmes: Programmes, who: np.ndarray, prog: np.ndarray
) -> np.ndarray:
    """Whether each worker already completed a training in the course's occupation and level (article 十六)."""
    return (
        (tr["occ"][who] == programmes.occupation[prog][:, None])
        & (tr["level"][who] == programmes.level[prog][:, None])
    ).any(axis=1)


def _completed(rng: np.random.Generator, hp: dict, programmes: Programmes, prog: np.ndarray) -> np.ndarray:
    comp_p = np.array(
        [hp["completion"].get(programmes.mode[q], hp["completion"]["default"]) for q in prog.tolist()]
    )
    return rng.random(len(prog)) < comp_p


def _record(
    tr: dict[str, np.ndarray],
    yi: int,
    who: np.ndarray,
    prog: np.ndarray,
    end: np.ndarray,
    programmes: Programmes,
) -> None:
    """A completed training on the workers' records for year `yi` (what later referrals see)."""
    tr["occ"][who, yi] = programmes.occupation[prog]
    tr["level"][who, yi] = programmes.level[prog]
    tr["item"][who, yi] = programmes.item[prog]
    tr["end"][who, yi] = end
    tr["programme"][who, yi] = prog


def _staff_courses(programmes: Programmes) -> dict[int, np.ndarray]:
    """Each enterprise's courses for its own staff."""
    out: dict[int, list[int]] = {}
    for q in np.flatnonzero(programmes.staff & (programmes.enterprise >= 0)).tolist():
        out.setdefault(int(programmes.enterprise[q]), []).append(q)
    return {e: np.array(v) for e, v in out.items()}


def _staff_course(
    rng: np.random.Generator,
    staff_of: dict[int, np.ndarray],
    ent: np.ndarray,
    occupation: np.ndarray,
    programmes: Programmes,
    year: int,
) -> np.ndarray:
    """For each referral, a staff course of its enterprise that runs in `year`, in the line's occupation
    when there is one (-1: none)."""
    out = np.full(len(ent), -1, dtype=np.int64)
    running = runs_in(programmes, year)
    for e, courses in staff_of.items():
        courses = courses[running[courses]]
        sel = np.flatnonzero(ent == e)
        if not len(courses) or not len(sel):
            continue
        same = programmes.occupation[courses][None, :] == occupation[sel][:, None]
        anyone = courses[(rng.random(len(sel)) * len(courses)).astype(np.int64)]
        first_same = np.where(same.any(axis=1), courses[np.argmax(same, axis=1)], anyone)
        out[sel] = first_same
    return out


def _intention(rng: np.random.Generator, intents: np.ndarray) -> np.ndarray:
    """One of each row's intended occupations, at random (the first when the pick is empty)."""
    pick = intents[np.arange(len(intents)), rng.integers(0, intents.shape[1], len(intents))]
    return np.where(pick >= 0, pick, intents[:, 0])


def _choose_programmes(
    rng: np.random.Generator,
    prof: Profiles,
    who: np.ndarray,
    area: np.ndarray,
    pools: list[dict[int, Pools]],
    hp: dict,
    cls: np.ndarray,
) -> np.ndarray:
    """A course near home, in one of the worker's intended occupations when the catalogue has one."""
    occ = _intention(rng, prof.intent_occ[who])
    intended = rng.random(len(who)) < hp["enrol_intended"]
    opts = _Options(len(who))
    opts.add(intended, OCC_AREA, occ * places.N_AREAS + area)
    opts.add(intended, OCC_CITY, occ)
    everyone = np.ones(len(who), dtype=bool)
    opts.add(everyone, AREA, area)
    opts.add(everyone, CITY, np.zeros(len(who), dtype=np.int64))
    return opts.resolve(rng, pools, np.full(len(who), -1), cls)


def _search(
    rng: np.random.Generator,
    prof: Profiles,
    r_worker: np.ndarray,
    r_enr: np.ndarray,
    enr_ids: np.ndarray,
    prog: np.ndarray,
    class_end: np.ndarray,
    area: np.ndarray,
    programmes: Programmes,
    employers: Employers,
    pools: LinePools,
    year: int,
    hp: dict,
    cls: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The line each referral goes to (-1: none found) and the day after which it may be made."""
    n = len(r_worker)
    w_area = area[r_worker]
    city = prof.whole_city[r_worker]
    out = prof.outside[r_worker]
    na, outbound = places.N_AREAS, places.OUTBOUND
    trainee = r_enr >= 0
    e_pos = np.where(trainee, r_enr - (enr_ids[0] if len(enr_ids) else 0), 0)
    q = np.where(trainee, prog[e_pos] if len(prog) else 0, 0)
    after = np.where(trainee, class_end[e_pos] if len(class_end) else 0, day_of(year, "01-01") - 1)

    ch = hp["channels"]
    names = ("intended", "own_area", "random", "outbound")
    channel = rng.choice(len(names), size=n, p=np.array([ch[k] for k in names]) / sum(ch.values()))
    opts = _Options(n)

    # trainees: the ordering enterprise, then the training's occupation or one next to it
    offsets, items = neighbours()
    t_occ = programmes.occupation[q]
    n_near = offsets[t_occ + 1] - offsets[t_occ]
    near = items[
        np.minimum(offsets[t_occ] + (rng.random(n) * n_near).astype(np.int64), max(len(items) - 1, 0))
    ]
    occ2 = np.where((n_near > 0) & (rng.random(n) >= hp["trained_same_occupation"]), near, t_occ)
    ent = programmes.enterprise[q]
    ent_area = places.location_area()[employers.location[np.maximum(ent, 0)]]
    ent_ok = (ent >= 0) & np.where(ent_area == outbound, out, (ent_area == w_area) | city)
    is_order = np.array([m == "order_based" for m in programmes.mode])[q]
    opts.add(trainee & is_order & ent_ok & (rng.random(n) < hp["order_enterprise"]), ENTERPRISE, ent)
    opts.add(trainee, OCC_AREA, occ2 * na + w_area)
    opts.add(trainee, OCC_CITY, occ2, city)
    opts.add(trainee, OCC_AREA, occ2 * na + outbound, out)
    opts.add(trainee, OCC_AREA, t_occ * na + w_area)
    opts.add(trainee, OCC_CITY, t_occ, city)

    # everyone else: by channel
    rest = ~trainee
    intended = rest & (channel == 0)
    occ = _intention(rng, prof.intent_occ[r_worker])
    scopes = hp["intended_scope"]
    scope = rng.choice(
        3, size=n, p=np.array([scopes[k] for k in ("own", "city", "outbound")]) / sum(scopes.values())
    )
    opts.add(intended & (scope == 1), OCC_CITY, occ, city)
    opts.add(intended & (scope == 2), OCC_AREA, occ * na + outbound, out)
    opts.add(intended, OCC_AREA, occ * na + w_area)
    opts.add(intended, OCC_CITY, occ, city)
    opts.add(intended, OCC_AREA, occ * na + outbound, out)
    opts.add(intended, AREA, w_area)

    zeros = np.zeros(n, dtype=np.int64)
    own = rest & (channel == 1)
    opts.add(own, AREA, w_area)
    opts.add(own, CITY, zeros, city)

    rand = rest & (channel == 2)
    far = rng.random(n) < hp["random_outbound"]
    opts.add(rand & far, AREA, np.full(n, outbound), out)
    opts.add(rand, CITY, zeros, city)
    opts.add(rand, AREA, w_area)

    away = rest & (channel == 3)
    opts.add(away, AREA, np.full(n, outbound), out)
    opts.add(away, AREA, w_area)
    opts.add(away, CITY, zeros, city)
    return opts.resolve(rng, pools.pools[year], after, cls[r_worker]), after


def _features(
    prof: Profiles,
    employers: Employers,
    w: np.ndarray,
    line: np.ndarray,
    date: np.ndarray,
    tr: dict[str, np.ndarray],
    birth: np.ndarray,
    unit: np.ndarray,
    coef: Coefficients,
) -> Features:
    """Each referral's features as the worker stood on the referral day."""
    ln = employers.lines
    dist = occupation_distances().astype(np.int64)
    lo = ln.occupation[line]
    t = date[:, None]
    far = 9

    def steps(occ: np.ndarray, known: np.ndarray) -> np.ndarray:
        d = dist[lo[:, None], np.maximum(occ, 0)]
        return np.where((occ >= 0) & known, d, far)

    d_int = steps(prof.intent_occ[w], np.ones((len(w), prof.intent_occ.shape[1]), dtype=bool))
    d_sp = steps(prof.spell_occ[w], prof.spell_start[w] <= t)
    c_date = prof.cert_date[w]
    c_known = (prof.cert_kind[w] >= 0) & (c_date <= t)
    d_ct = steps(prof.cert_occ[w], c_known)
    t_done = (tr["end"][w] >= 0) & (tr["end"][w] < t)
    d_tr = steps(tr["occ"][w], t_done)
    d_all = np.minimum.reduce([d_int.min(1), d_sp.min(1), d_ct.min(1), d_tr.min(1)])
    steps_to = np.minimum(d_all, 4)
    exact = (d_sp == 0).any(1) | (d_ct == 0).any(1)

    rank_c = np.where(
        c_known & (prof.cert_occ[w] == lo[:, None]) & (prof.cert_level[w] > 0),
        level_ranks(prof.cert_level[w]),
        0,
    )
    rank_t = np.where(
        t_done & (tr["occ"][w] == lo[:, None]) & (tr["level"][w] > 0), level_ranks(tr["level"][w]), 0
    )
    held = np.maximum(rank_c.max(1), rank_t.max(1))
    req = np.where(ln.level[line] > 0, level_ranks(ln.level[line]), 0)
    gap = np.where(req > 0, np.maximum(req - held, 0), 0)
    surplus = np.where((req > 0) & (held > 0), np.maximum(held - req, 0), 0)

    items = np.concatenate(
        [np.where(c_known, prof.cert_item[w], -1), np.where(t_done, tr["item"][w], -1)], axis=1
    )
    need = ln.items[line]
    have = (items[:, :, None] == need[:, None, :]).any(1)
    missing = ((need >= 0) & ~have).any(1)

    trained_same = (t_done & (tr["occ"][w] == lo[:, None])).any(1)
    trained_minor = (t_done & (dist[lo[:, None], np.maximum(tr["occ"][w], 0)] == 1)).any(1)
    km = places.distances()[unit[w], ln.location[line]]
    ratio = (ln.wage_min[line] + ln.wage_max[line]) / 2 / prof.min_wage[w]
    edu = prof.education[w]
    professional = np.array([j.professional for j in jobs()])[ln.job[line]]
    college = EDUCATIONS.index(Education.junior_college)
    group_effect = np.zeros(len(w))
    for g, v in coef.groups.items():
        group_effect += v * ((prof.groups[w] & GROUP_BIT[g]) != 0)
    return Features(
        distance_steps=steps_to,
        exact_experience=exact,
        level_gap=gap,
        level_surplus=surplus,
        missing_certificate=missing,
        km=km,
        outbound=ln.area[line] == places.OUTBOUND,
        wage_ratio=ratio,
        age=(date - birth[w]) / 365.25,
        education_rank=edu,
        professional_gap=professional & (edu < college),
        trained_same=trained_same,
        trained_minor=trained_minor,
        group_effect=group_effect,
        worker_effect=prof.effect[w],
        line_effect=ln.effect[line],
    )
