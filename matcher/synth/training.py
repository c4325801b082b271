"""Training institutions, their courses and the catalogue's classes (目录清单, article 十五).

A *course* is what an institution teaches (occupation, mode, certificate, days, cost, class size); the
catalogue lists its *classes*, each with its first and last day and its seats. Past classes are opened
as the history's enrolments fill them (`Classes.fill`, `Classes.staff`); every course also has upcoming
classes in the open year, after today (`schedule_upcoming`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from matcher import reference as ref
from matcher.domain import InstitutionKind
from matcher.synth import places
from matcher.synth.demand import job_mix
from matcher.synth.employers import SIZES, Employers
from matcher.synth.params import (
    Job,
    job_codes,
    job_occupation,
    jobs,
    multiplier,
    params,
    parse_day,
    sectors,
    special_items,
)
from matcher.synth.sampling import allocate, day_of, stream, to_dates, top_k

_KIND_SUFFIX = {
    InstitutionKind.technician_school: "技工学校",
    InstitutionKind.vocational_school: "职业技术学校",
    InstitutionKind.private_school: "职业培训学校",
}


@dataclass(frozen=True)
class Institutions:
    kind: list[str]
    unit: np.ndarray
    enterprise: np.ndarray  # -1 unless an enterprise training centre
    code: list[str]
    name: list[str]
    seats: np.ndarray
    tendered: np.ndarray

    def rows(self) -> list[dict]:
        us = places.units()
        return [
            {
                "id": i + 1,
                "code": self.code[i],
                "name": self.name[i],
                "kind": self.kind[i],
                "region": us[u].code,
                "total_seats": s,
                "tendered": t,
            }
            for i, (u, s, t) in enumerate(
                zip(self.unit.tolist(), self.seats.tolist(), self.tendered.tolist())
            )
        ]


@dataclass(frozen=True)
class Programmes:
    institution: np.ndarray
    job: np.ndarray
    occupation: np.ndarray
    mode: list[str]
    certificate: list[str]
    level: np.ndarray  # 0: none
    item: np.ndarray  # -1: none
    days: np.ndarray
    cost: np.ndarray
    subsidy: np.ndarray
    seats: np.ndarray
    unit: np.ndarray
    area: np.ndarray
    enterprise: np.ndarray  # -1: none
    code: list[str]
    name: list[str]
    since: np.ndarray  # day ordinal from which its occupation exists (0: always)
    staff: np.ndarray  # a class an employer runs for its own staff

    def __len__(self) -> int:
        return len(self.institution)

    @property
    def calendar_days(self) -> np.ndarray:
        """Calendar days a class lasts: training five days a week."""
        return np.ceil(self.days * 7 / 5).astype(np.int64)


@dataclass
class Classes:
    """The catalogue's classes of every course, in the order they were opened (ids are positions + 1)."""

    course: list[int] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    seats: list[int] = field(default_factory=list)
    filled: list[int] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    open_class: dict[tuple[int, int], int] = field(default_factory=dict)
    """The class of (course, year) that open enrolments are filling."""

    def __len__(self) -> int:
        return len(self.course)

    def _open(self, programmes: Programmes, course: int, year: int, start: int) -> int:
        k = len(self.course)
        n = sum(1 for c, y in zip(self.course, self.year) if c == course and y == year) + 1
        self.course.append(course)
        self.year.append(year)
        self.start.append(start)
        self.end.append(start + int(programmes.calendar_days[course]) - 1)
        self.seats.append(int(programmes.seats[course]))
        self.filled.append(0)
        self.code.append(f"{programmes.code[course]}-{year}{n:02d}")
        return k

    def fill(
        self, rng: np.random.Generator, programmes: Programmes, course: np.ndarray, year: int
    ) -> np.ndarray:
        """The class each open enrolment of `year` joins: the course's class being filled, else a new one."""
        out = np.full(len(course), -1, dtype=np.int64)
        for c in np.unique(course).tolist():
            members = np.flatnonzero(course == c)
            pos = 0
            while pos < len(members):
                k = self.open_class.get((c, year))
                if k is None or self.filled[k] >= self.seats[k]:
                    lo, hi = class_window(programmes, c, year)
                    k = self._open(programmes, c, year, lo + int(rng.random() * (hi - lo + 1)))
                    self.open_class[(c, year)] = k
                take = min(self.seats[k] - self.filled[k], len(members) - pos)
                out[members[pos : pos + take]] = k
                self.filled[k] += take
                pos += take
        return out

    def staff(
        self,
        rng: np.random.Generator,
        programmes: Programmes,
        course: np.ndarray,
        hired_on: np.ndarray,
        year: int,
        delay: tuple[int, int],
    ) -> np.ndarray:
        """Classes for hires trained by their employer: in hiring order, each class starting after its last
        trainee's hire and ending within the year (-1: no class fits)."""
        out = np.full(len(course), -1, dtype=np.int64)
        last_day = day_of(year, "12-31")
        for c in np.unique(course).tolist():
            members = np.flatnonzero(course == c)
            members = members[np.argsort(hired_on[members], kind="stable")]
            seats = int(programmes.seats[c])
            first = max(int(programmes.since[c]), day_of(year, "01-01"))
            for pos in range(0, len(members), seats):
                group = members[pos : pos + seats]
                start = max(
                    int(hired_on[group].max()) + delay[0] + int(rng.random() * (delay[1] - delay[0] + 1)),
                    first,
                )
                if start + int(programmes.calendar_days[c]) - 1 > last_day:
                    break
                k = self._open(programmes, c, year, start)
                self.filled[k] = len(group)
                out[group] = k
        return out

    def rows(self, programmes: Programmes, lo: int, hi: int) -> list[dict]:
        """The ProgrammeRow of each class lo … hi-1: its course's catalogue entry with its own days and seats."""
        us = places.units()
        codes = job_codes()
        items = special_items()
        starts, ends = to_dates(np.array(self.start[lo:hi])), to_dates(np.array(self.end[lo:hi]))
        out = []
        for i in range(lo, hi):
            q = self.course[i]
            it, e, lvl = int(programmes.item[q]), int(programmes.enterprise[q]), int(programmes.level[q])
            n = int(self.code[i][-2:])
            out.append(
                {
                    "id": i + 1,
                    "code": self.code[i],
                    "institution_id": int(programmes.institution[q]) + 1,
                    "name": f"{programmes.name[q][:88]}（{self.year[i]}年第{n}期）",
                    "mode": programmes.mode[q],
                    "occupation_code": codes[programmes.occupation[q]],
                    "target_level": lvl or None,
                    "certificate": programmes.certificate[q],
                    "special_operation": items[it] if it >= 0 else None,
                    "days": int(programmes.days[q]),
                    "cost_per_person": int(programmes.cost[q]),
                    "catalogue_subsidy": int(programmes.subsidy[q]),
                    "seats": self.seats[i],
                    "region": us[programmes.unit[q]].code,
                    "start_date": starts[i - lo],
                    "end_date": ends[i - lo],
                    "enterprise_id": e + 1 if e >= 0 else None,
                }
            )
        return out


def class_window(programmes: Programmes, course: int, year: int) -> tuple[int, int]:
    """First and last start day of a past class of `course` in `year` (empty when last < first)."""
    lo, hi = (day_of(year, d) for d in params()["history"]["class_window"])
    return max(lo, int(programmes.since[course])), hi - int(programmes.calendar_days[course])


def runs_in(programmes: Programmes, year: int) -> np.ndarray:
    """Which courses can hold a past class in `year` (their occupation existed in time)."""
    return np.array(
        [
            class_window(programmes, q, year)[0] <= class_window(programmes, q, year)[1]
            for q in range(len(programmes))
        ],
        dtype=bool,
    )


def schedule_upcoming(programmes: Programmes, seed: int) -> Classes:
    """The catalogue's upcoming classes: each course's classes of the open year, starting after today."""
    p = params()
    rng = stream(seed, 7)
    today = parse_day(p["survey_date"])
    last = day_of(int(p["current_year"]), "12-31")
    out = Classes()
    for q in range(len(programmes)):
        lo = max(today + 1, int(programmes.since[q]))
        hi = last - int(programmes.calendar_days[q]) + 1
        if hi < lo:
            continue
        starts = sorted(
            lo + int(rng.random() * (hi - lo + 1)) for _ in range(int(p["programmes"]["upcoming_classes"]))
        )
        for start in starts:
            k = out._open(programmes, q, int(p["current_year"]), start)
            out.open_class.setdefault((q, int(p["current_year"])), k)
    return out


def _pick(rng: np.random.Generator, pairs: list[list]) -> int:
    values = np.array([v for v, _ in pairs])
    w = np.array([w for _, w in pairs], dtype=float)
    return int(values[rng.choice(len(values), p=w / w.sum())])


def build_institutions(employers: Employers, seed: int) -> Institutions:
    """Schools, colleges, private trainers and enterprise centres, spread by population."""
    p = params()["institutions"]
    rng = stream(seed, 3)
    us = places.units()
    pop = np.array([u.population for u in us])
    kind, unit, ent = [], [], []
    for k in InstitutionKind:
        n = int(p["kinds"][k])
        if k == InstitutionKind.enterprise_centre:
            keys = list(sectors())
            # enterprises of the high-risk and industrial sectors; medium and large ones far more often
            in_sector = (employers.unit >= 0) & np.isin(
                employers.sector, [keys.index(s) for s in p["centre_sectors"]]
            )
            weight = in_sector * np.where(
                employers.size >= SIZES.index("medium"), p["centre_large_weight"], 1.0
            )
            for e in top_k(rng, weight, n).tolist():
                kind.append(k.value)
                unit.append(int(employers.unit[e]))
                ent.append(e)
        else:
            for u in rng.choice(len(us), size=n, p=pop / pop.sum()):
                kind.append(k.value)
                unit.append(int(u))
                ent.append(-1)
    first, second = params()["enterprises"]["trade_first"], params()["enterprises"]["trade_second"]
    names, codes = [], []
    for i, (which, u, e) in enumerate(zip(kind, unit, ent)):
        if e >= 0:
            names.append(f"{employers.name[e]}职工培训中心")
        else:
            trade = first[int(rng.integers(len(first)))] + second[int(rng.integers(len(second)))]
            place = "曲靖" if us[u].code == ref.ETDZ_CODE else us[u].name
            names.append(f"{place}{trade}{_KIND_SUFFIX[InstitutionKind(which)]}")
        codes.append(f"PX{us[u].registry_code}{i + 1:03d}")
    lo = np.array([p["seats"][k][0] for k in kind])
    hi = np.array([p["seats"][k][1] for k in kind])
    seats = (lo + rng.random(len(kind)) * (hi - lo)).round(-1).astype(np.int64)
    tendered = rng.random(len(kind)) < np.array([p["tendered"][k] for k in kind])
    return Institutions(kind, np.array(unit), np.array(ent), codes, names, seats, tendered)


def build_programmes(employers: Employers, inst: Institutions, seed: int) -> Programmes:
    """About 300 catalogue entries over the training modes, in occupations the ledgers ask for."""
    pp = params()["programmes"]
    rng = stream(seed, 4)
    table = jobs()
    us = places.units()
    keys = list(sectors())
    mix = job_mix()
    urgent = np.array([pp["urgent_boost"] if j.code in pp["urgent"] else 1.0 for j in table])
    has_cert = np.array([bool(j.certificates) for j in table])
    lines = employers.lines
    order_lines = np.flatnonzero(lines.orders & employers.orders[lines.enterprise])
    item_index = {c: i for i, c in enumerate(special_items())}
    weights = np.array([params()["institutions"]["programme_weight"][k] for k in inst.kind])
    per_inst = allocate(int(params()["scale"]["programmes"]), weights)

    since = job_since()
    exists = since <= day_of(int(params()["current_year"]), "12-31")  # a course needs its occupation in time
    order_lines = order_lines[exists[lines.job[order_lines]]]
    staff_modes = set(pp["staff_modes"])
    local = np.flatnonzero((lines.area != places.OUTBOUND) & exists[lines.job])
    rec: dict[str, list] = {k: [] for k in ("inst", "job", "mode", "cert", "level", "item", "ent", "name")}

    def add(i: int, mode: str, job: int, ent: int) -> None:
        cert, level, item = _certificate(rng, mode, table[job], pp)
        rec["inst"].append(i)
        rec["job"].append(job)
        rec["mode"].append(mode)
        rec["cert"].append(cert)
        rec["level"].append(level)
        rec["item"].append(item_index[item] if item else -1)
        rec["ent"].append(ent)
        rec["name"].append(
            _name(mode, cert, level, item, table[job], employers.name[ent] if mode == "order_based" else None)
        )

    for i, n in enumerate(per_inst.tolist()):
        area = us[inst.unit[i]].area
        modes = pp["modes"][inst.kind[i]]
        for _ in range(n):
            mode = str(rng.choice(list(modes), p=np.array(list(modes.values())) / sum(modes.values())))
            ent = int(inst.enterprise[i])
            if mode == "order_based":
                if not len(order_lines):
                    mode = "self_selected"
                else:
                    olw = pp["order_line_weight"]
                    near = np.where(
                        lines.area[order_lines] == area,
                        olw["same_area"],
                        np.where(lines.area[order_lines] == places.OUTBOUND, olw["partner"], olw["other"]),
                    )
                    line = int(order_lines[rng.choice(len(order_lines), p=near / near.sum())])
                    ent, job = int(lines.enterprise[line]), int(lines.job[line])
            if mode == "entrepreneurship":
                code = str(rng.choice(pp["entrepreneurship"]))
                job = next(k for k, j in enumerate(table) if j.code == code)
            elif mode != "order_based":
                if ent >= 0:
                    w = np.array(
                        [j.weight if j.sector == keys[employers.sector[ent]] else 0.0 for j in table]
                    )
                else:
                    w = mix[area] * urgent
                w = w * exists
                if mode == "on_job_safety" and (w * has_cert).sum() > 0:
                    w = w * has_cert
                job = int(rng.choice(len(table), p=w / w.sum()))
                if mode in staff_modes and ent < 0:
                    ent = _staff_employer(rng, employers, local, job, area, pp["staff_line_weight"])
                    if ent < 0:
                        mode = "self_selected"
            add(i, mode, job, ent)
    for i, job in _coverage(employers, inst, rec, exists, int(pp["coverage_top"])):
        add(i, "project_based", job, -1)

    n = len(rec["inst"])
    inst_idx = np.array(rec["inst"])
    unit = inst.unit[inst_idx]
    kind_days = [_days_key(m, c) for m, c in zip(rec["mode"], rec["cert"])]
    d_lo = np.array([pp["days"][k][0] for k in kind_days])
    d_hi = np.array([pp["days"][k][1] for k in kind_days])
    days = d_lo + (rng.random(n) * (d_hi - d_lo + 1)).astype(np.int64)
    per_day = pp["cost_per_day"][0] + rng.random(n) * (pp["cost_per_day"][1] - pp["cost_per_day"][0])
    cost = np.clip(np.round(days * per_day / 10) * 10 + 300, *pp["cost_range"])
    appr = np.array([m == "apprenticeship" for m in rec["mode"]])
    a_lo, a_hi = pp["apprenticeship_cost"]
    cost = np.where(appr, np.round((a_lo + rng.random(n) * (a_hi - a_lo)) / 10) * 10, cost).astype(np.int64)
    base = np.array(
        [pp["subsidy"][_subsidy_key(m, c, lv)] for m, c, lv in zip(rec["mode"], rec["cert"], rec["level"])]
    )
    county = np.array([multiplier(pp["county_subsidy"], us[u].code) for u in unit])
    subsidy = np.minimum(cost, np.round(base * county / 10) * 10).astype(np.int64)
    seats = rng.integers(pp["seats"][0], pp["seats"][1] + 1, size=n)
    return Programmes(
        institution=inst_idx,
        job=np.array(rec["job"]),
        occupation=job_occupation()[np.array(rec["job"])],
        mode=rec["mode"],
        certificate=rec["cert"],
        level=np.array(rec["level"]),
        item=np.array(rec["item"]),
        days=days,
        cost=cost,
        subsidy=subsidy,
        seats=seats,
        unit=unit,
        area=np.array([us[u].area for u in unit]),
        enterprise=np.array(rec["ent"]),
        code=[f"QJML{i + 1:04d}" for i in range(n)],
        name=rec["name"],
        since=since[np.array(rec["job"])],
        staff=np.array(
            [
                m in staff_modes or inst.kind[i] == InstitutionKind.enterprise_centre
                for m, i in zip(rec["mode"], rec["inst"])
            ]
        ),
    )


@cache
def job_since() -> np.ndarray:
    """For each job row, the day its occupation was announced (0 for one older than 2019)."""
    out = []
    for j in jobs():
        day = ref.occupation_exists_since(j.code)
        out.append(day.toordinal() if day else 0)
    return np.array(out, dtype=np.int64)


def _staff_employer(
    rng: np.random.Generator, employers: Employers, local: np.ndarray, job: int, area: int, weights: dict
) -> int:
    """An enterprise in Qujing that posts `job` (near the institution most often), or -1 when none does."""
    same = local[employers.lines.job[local] == job]
    if not len(same):
        return -1
    w = np.where(employers.lines.area[same] == area, weights["same_area"], weights["other"])
    w = w * employers.lines.headcount[same]
    return int(employers.lines.enterprise[same[rng.choice(len(same), p=w / w.sum())]])


def _coverage(
    employers: Employers, inst: Institutions, rec: dict[str, list], exists: np.ndarray, top: int
) -> list[tuple[int, int]]:
    """Courses the catalogue adds so that each county's most demanded open-ledger jobs can be trained for
    in the county: (institution, job) for each of the `top` jobs by headcount with no open course there."""
    lines = employers.lines
    us = places.units()
    current = lines.year == int(params()["current_year"])
    taught = {
        (us[inst.unit[i]].area, j)
        for i, j, m in zip(rec["inst"], rec["job"], rec["mode"])
        if m not in params()["programmes"]["staff_modes"] and inst.enterprise[i] < 0
    }
    out = []
    for area in range(places.N_AREAS - 1):
        schools = [
            i for i in range(len(inst.kind)) if inst.enterprise[i] < 0 and us[inst.unit[i]].area == area
        ]
        if not schools:
            continue
        here = current & (lines.area == area) & exists[lines.job]
        demand = np.bincount(lines.job[here], weights=lines.headcount[here], minlength=len(jobs()))
        for rank, job in enumerate(np.argsort(-demand, kind="stable")[:top].tolist()):
            if demand[job] > 0 and (area, job) not in taught:
                out.append((schools[rank % len(schools)], job))
                taught.add((area, job))
    return out


def _certificate(rng: np.random.Generator, mode: str, job: Job, pp: dict) -> tuple[str, int, str | None]:
    """The certificate a programme awards, its level (0: none) and special-operation item."""
    if mode == "entrepreneurship":
        return "training_completion", 0, None
    if mode in ("pre_job", "on_job_safety"):
        if job.certificates and (mode == "on_job_safety" or rng.random() < pp["operation_share"]):
            return "special_operation", 0, str(rng.choice(job.certificates))
        return "training_completion", 0, None
    if mode == "apprenticeship":
        return "skill_level", _pick(rng, pp["apprentice_levels"]), None
    if job.code in pp["qualification"]:
        return "qualification", _pick(rng, pp["target_levels"][:2]), None
    if job.sector in pp["special_ability_sectors"]:
        return "special_ability", 0, None
    if job.certificates and rng.random() < pp["operation_share"]:
        return "special_operation", 0, str(rng.choice(job.certificates))
    if job.typical_level is None:
        return "training_completion", 0, None
    return "skill_level", _pick(rng, pp["target_levels"]), None


def _days_key(mode: str, cert: str) -> str:
    if mode in ("pre_job", "on_job_safety", "entrepreneurship", "apprenticeship"):
        return mode
    return "special_operation" if cert == "special_operation" else "skill"


def _subsidy_key(mode: str, cert: str, level: int) -> str:
    if mode == "apprenticeship":
        return "apprenticeship"
    if cert in ("skill_level",):
        return f"skill_{max(level, 3)}"
    return cert


def _name(mode: str, cert: str, level: int, item: str | None, job: Job, enterprise: str | None) -> str:
    if cert == "special_operation":
        core = f"{ref.special_operations()[item or ''].name}特种作业操作证培训"
    elif cert == "skill_level":
        core = f"{job.title}{ref.skill_levels()[level].label}职业技能培训"
    elif cert == "qualification":
        core = f"{job.title}职业资格（{ref.skill_levels()[level].label}）培训"
    elif cert == "special_ability":
        core = f"{job.posting_title}专项职业能力培训"
    elif mode == "entrepreneurship":
        core = f"创业培训（{job.title}方向）"
    else:
        core = f"{job.posting_title}培训"
    prefix = {
        "order_based": f"{enterprise}订单班：" if enterprise else "订单培训：",
        "apprenticeship": "企业新型学徒制：",
        "pre_job": "岗前培训：",
        "on_job_safety": "在岗安全技能培训：",
        "job_transfer": "转岗转业培训：",
        "project_based": "项目制培训：",
        "targeted": "定向培训：",
    }.get(mode, "")
    return (prefix + core)[:100]
