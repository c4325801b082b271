"""The sample city's workers as the survey (摸底调查) of today records them, with their past before the history years.

`core()` draws, for the whole city at once, what an ID number encodes (birth date, sex, registration
county) and where people live, so that ID numbers can be made unique and regenerated from the seed.
`profiles()` draws everything else for one chunk of workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from matcher import reference as ref
from matcher.domain import CertificateType, Education, EmploymentStatus, PriorityGroup
from matcher.model.ragged import rank_within
from matcher.synth import law, places
from matcher.synth.demand import job_mix_for_education
from matcher.synth.params import (
    job_codes,
    job_occupation,
    jobs,
    multiplier,
    occupation_distances,
    params,
    parse_day,
    shares,
    special_items,
)
from matcher.synth.sampling import allocate, categorical, stream, years_later, ymd

EDUCATIONS = tuple(Education)
STATUSES = (
    EmploymentStatus.employed,
    EmploymentStatus.unemployed,
    EmploymentStatus.student,
    EmploymentStatus.self_employed,
    EmploymentStatus.not_in_labour_force,
)
EMPLOYED, UNEMPLOYED, STUDENT, SELF_EMPLOYED, NOT_IN_LABOUR_FORCE = range(5)
GROUPS = tuple(PriorityGroup)
GROUP_BIT = {g: 1 << i for i, g in enumerate(GROUPS)}
CERT_KINDS = tuple(CertificateType)
SKILL, QUALIFICATION, OPERATION = (
    CERT_KINDS.index(CertificateType(k)) for k in ("skill_level", "qualification", "special_operation")
)
N_SPELLS = 3
N_BASE_CERTS = 2 * N_SPELLS + 1
HISTORY_END = parse_day(f"{int(params()['history_years'][0]) - 1}-12-31")
"""The last day before the history years: past jobs and certificates are laid out up to it."""
_NOT_YET = {
    Education.postgraduate: Education.bachelor,
    Education.bachelor: Education.junior_college,
    Education.junior_college: Education.senior_middle,
    Education.vocational_secondary: Education.junior_middle,
    Education.senior_middle: Education.junior_middle,
}
"""The level a worker too young for a degree holds instead."""
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = "10X98765432"
_SURNAMES = "李王张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严覃武戴莫孔向汤普"
_SURNAME_W = np.linspace(3.0, 0.3, len(_SURNAMES))
_GIVEN = "文华明国建平志红英丽军伟芳秀玉兰桂春云海燕杰涛斌磊强勇超霞婷丹艳娟辉敏静林祥福德贵荣生成永琼梅凤仙松柏彬宇浩然思雨欣怡佳俊豪"


@dataclass(frozen=True)
class Core:
    """Per worker, for the whole city: residence, sex, birth, household registration and ID sequence."""

    unit: np.ndarray
    town: np.ndarray  # index into `town_codes()`
    male: np.ndarray
    birth: np.ndarray  # day ordinal
    hukou: np.ndarray  # index into `hukou_codes()`
    hukou_kind: np.ndarray  # 0 same county, 1 other Qujing county, 2 elsewhere in Yunnan, 3 other province
    rural: np.ndarray
    id_region: np.ndarray  # the six digits an ID number starts with
    sequence: np.ndarray  # the three sequence digits (odd for men)

    def __len__(self) -> int:
        return len(self.unit)

    def id_numbers(self, lo: int = 0, hi: int | None = None) -> list[str]:
        """The GB 11643 ID numbers of workers lo … hi-1 (valid check digits, unique in the city)."""
        sl = slice(lo, hi)
        y, m, d = ymd(self.birth[sl])
        first17 = self.id_region[sl] * 10**11 + y * 10**7 + m * 10**5 + d * 10**3 + self.sequence[sl]
        digits = (first17[:, None] // 10 ** np.arange(16, -1, -1)) % 10
        check = (digits @ _ID_WEIGHTS) % 11
        return [f"{f:017d}{_ID_CHECK[c]}" for f, c in zip(first17.tolist(), check.tolist())]


@cache
def town_codes() -> tuple[str, ...]:
    return tuple(t for u in places.units() for t in u.towns)


@cache
def hukou_codes() -> tuple[str, ...]:
    """Registration places: Qujing's towns and counties, then the other Yunnan and other provinces' counties."""
    w = params()["workers"]
    counties = [r for r in ref.regions().values() if r.kind == "county" and not ref.is_in_qujing(r.code)]
    yunnan = sorted(r.code for r in counties if r.parent_code in w["other_yunnan_cities"])
    other = sorted(r.code for r in counties if ref.province_of(r.code) in w["other_provinces"])
    return town_codes() + tuple(u.code for u in places.units()[:9]) + tuple(yunnan) + tuple(other)


def _age_years(birth: np.ndarray, at: int | np.ndarray) -> np.ndarray:
    return (np.asarray(at) - birth) / 365.25


def core(n_workers: int, seed: int) -> Core:
    """Residence, sex, age and registration for every worker (deterministic in size and seed)."""
    w = params()["workers"]
    rng = stream(seed, 6)
    us = places.units()
    survey = parse_day(params()["survey_date"])
    unit = rng.permutation(
        np.repeat(np.arange(len(us)), allocate(n_workers, np.array([u.population for u in us])))
    )
    town_base = np.cumsum([0] + [len(u.towns) for u in us])
    n_towns = np.array([len(u.towns) for u in us])
    town = town_base[unit] + (rng.random(n_workers) * n_towns[unit]).astype(np.int64)
    male = rng.random(n_workers) < w["male_share"]

    ages, age_w = [], []
    for lo, hi, weight in w["age_bands"]:
        for a in range(int(lo), int(hi) + 1):
            ages.append(a)
            age_w.append(weight)
    age = np.array(ages)[rng.choice(len(ages), size=n_workers, p=np.array(age_w) / sum(age_w))]
    birth = survey - np.round((age + rng.random(n_workers)) * 365.25).astype(np.int64)

    kinds = ("same_county", "other_qujing", "other_yunnan", "other_province")
    hukou_kind = rng.choice(
        4, size=n_workers, p=shares([w["hukou_origin"][k] for k in kinds], "hukou_origin")
    )
    codes = hukou_codes()
    n_town, n_qj = len(town_codes()), 9
    yunnan_lo = n_town + n_qj
    n_yunnan = sum(1 for c in codes[yunnan_lo:] if ref.province_of(c) == ref.YUNNAN_CODE)
    own_town = np.where(
        rng.random(n_workers) < w["hukou_town_is_residence"],
        town,
        town_base[unit] + (rng.random(n_workers) * n_towns[unit]).astype(np.int64),
    )
    area = np.array([u.area for u in us])[unit]
    other_county = (area + 1 + (rng.random(n_workers) * 8).astype(np.int64)) % 9
    hukou = np.select(
        [hukou_kind == 0, hukou_kind == 1, hukou_kind == 2],
        [own_town, n_town + other_county, yunnan_lo + (rng.random(n_workers) * n_yunnan).astype(np.int64)],
        yunnan_lo + n_yunnan + (rng.random(n_workers) * (len(codes) - yunnan_lo - n_yunnan)).astype(np.int64),
    )
    rural_p = np.array([multiplier(w["rural_share"], u.code) for u in us])
    rural = rng.random(n_workers) < rural_p[unit]

    old = w["old_id_codes"]
    town_registry = [us[u].registry_code for u in np.repeat(np.arange(len(us)), n_towns)]
    region_of_code = np.array(
        [int(old.get(c, c)) for c in town_registry + list(codes[n_town:])], dtype=np.int64
    )
    id_region = region_of_code[hukou]
    group = (id_region * 100_000 + (birth - birth.min())) * 2 + male
    rank = rank_within(group)
    if len(rank) and rank.max() >= 500:
        raise ValueError(
            "同一户籍县、出生日期和性别的劳动者超过 500 人，身份证号的顺序码会重复；请减少人数或换一个种子"
        )
    # each (county, birth date, sex) group starts its sequence numbers at its own pseudo-random place
    # (a hash of the group by two primes), so the first-registered of every group is not 001/002
    offset = (group % 1_000_003) * 7919 % 500
    sequence = 2 * ((rank + offset) % 500) + male
    return Core(unit, town, male, birth, hukou, hukou_kind, rural, id_region, sequence)


def id_numbers(n_workers: int, seed: int) -> list[str]:
    """The ID numbers `build_city(n_workers, seed)` gives its workers, in worker-id order.

    They are never stored (only their keyed hash and masked form are); tests and demonstrations
    regenerate them from the seed with this function.
    """
    return core(n_workers, seed).id_numbers()


@dataclass
class Profiles:
    """Everything the survey records about one chunk of workers (global positions lo … hi-1)."""

    lo: int
    hi: int
    education: np.ndarray
    status: np.ndarray
    registered: np.ndarray  # day ordinal, -1 when not registered as unemployed
    pension: np.ndarray
    spell_job: np.ndarray  # (n, 3) chronological, -1 empty
    spell_occ: np.ndarray
    spell_region: np.ndarray  # index into `spell_codes()`
    spell_start: np.ndarray
    spell_end: np.ndarray  # -1: still in that job
    cert_kind: np.ndarray  # (n, 7) -1 empty
    cert_occ: np.ndarray
    cert_level: np.ndarray  # national level 1–5, 0 none
    cert_item: np.ndarray
    cert_date: np.ndarray
    intent_occ: np.ndarray  # (n, 3) -1 empty
    whole_city: np.ndarray
    outside: np.ndarray
    cities: np.ndarray  # (n, 2) partner city index, -1 empty
    min_wage: np.ndarray
    start_business: np.ndarray
    groups: np.ndarray  # bit mask over GROUPS
    consent: np.ndarray
    names: list[str]
    ethnicity: np.ndarray  # index into `ethnic_codes()`
    effect: np.ndarray  # latent worker effect on the hiring logit; never stored

    def has(self, group: PriorityGroup) -> np.ndarray:
        return (self.groups & GROUP_BIT[group]) != 0


@cache
def spell_codes() -> tuple[str, ...]:
    """Regions a past job can name: the units, the partner cities, and Kunming."""
    return tuple(u.code for u in places.units()) + places.partner_cities()[0] + ("530100",)


@cache
def spell_areas() -> np.ndarray:
    """The search area of each of `spell_codes()` (Kunming: -1, outside every area)."""
    n_cities = len(places.partner_cities()[0])
    return np.array([u.area for u in places.units()] + [places.OUTBOUND] * n_cities + [-1])


@cache
def neighbours() -> tuple[np.ndarray, np.ndarray]:
    """For each job-table occupation, the others in the same minor or middle group (CSR offsets, items)."""
    d = occupation_distances()
    items, offsets = [], [0]
    for i in range(len(d)):
        near = np.flatnonzero((d[i] >= 1) & (d[i] <= 2))
        items.extend(near.tolist())
        offsets.append(len(items))
    return np.array(offsets), np.array(items, dtype=np.int64)


def _band_values(bands: list, ages: np.ndarray, values: list | np.ndarray) -> np.ndarray:
    """For each age, the row of `values` of the band [from, to] containing it (the last band beyond)."""
    out = np.full(len(ages), len(bands) - 1)
    for i, (lo, hi) in reversed(list(enumerate((b[0], b[1]) for b in bands))):
        out[(ages >= lo) & (ages < hi + 1)] = i
    return np.asarray(values)[out]


def profiles(c: Core, lo: int, hi: int, seed: int, chunk: int) -> Profiles:
    """Education, work, certificates, intentions and priority groups of workers lo … hi-1."""
    p = params()
    w, g = p["workers"], p["groups"]
    rng = stream(seed, 10, chunk, 0)
    n = hi - lo
    us = places.units()
    unit, birth, rural, male = c.unit[lo:hi], c.birth[lo:hi], c.rural[lo:hi], c.male[lo:hi]
    survey = parse_day(p["survey_date"])
    age = _age_years(birth, survey)
    area = np.array([u.area for u in us])[unit]

    education = _education(rng, age, rural)
    st = w["status"]
    status = categorical(
        rng,
        np.array(st["shares"], dtype=float),
        _band_values(st["bands"], np.floor(age), np.arange(len(st["bands"]))),
    )

    occ_of_job = job_occupation()
    edu_ok = (education >= EDUCATIONS.index(Education(w["intentions"]["professional_education"]))).astype(
        np.int64
    )
    mixes = job_mix_for_education()

    retire = law.retirement_day(male, birth)
    retired = (
        retire <= survey
    )  # past the statutory retirement age: neither employed nor registered unemployed
    status[retired & np.isin(status, [EMPLOYED, UNEMPLOYED])] = NOT_IN_LABOUR_FORCE
    sp = _spells(rng, w["history"], age, birth, male, education, status, unit, area, edu_ok, mixes)
    groups = np.zeros(n, dtype=np.int64)
    de_cap = _de_capacity(rng, g, age, unit, n)
    if de_cap.any():
        groups[de_cap] |= GROUP_BIT[PriorityGroup.de_capacity_unemployed]
        dist = g["de_capacity_status"]
        status[de_cap] = rng.choice(
            [STATUSES.index(EmploymentStatus(k)) for k in dist],
            size=int(de_cap.sum()),
            p=shares(list(dist.values()), "de_capacity_status"),
        )
        _override_de_capacity(rng, sp, np.flatnonzero(de_cap), unit, male, birth, g)
        status[retired & np.isin(status, [EMPLOYED, UNEMPLOYED])] = NOT_IN_LABOUR_FORCE
    _retire(rng, sp, retire, survey)
    job_occ = np.where(sp["job"] >= 0, occ_of_job[np.maximum(sp["job"], 0)], -1)

    registered = np.full(n, -1, dtype=np.int64)
    unemployed = status == UNEMPLOYED
    reg = unemployed & (rng.random(n) < st["registered_share"])
    since = survey - rng.exponential(st["registered_mean_days"], n).astype(np.int64)
    last_end = np.where(sp["count"] > 0, sp["end"][np.arange(n), np.maximum(sp["count"] - 1, 0)], -1)
    lag = (rng.random(n) * g["de_capacity_registration_days"]).astype(np.int64)
    since = np.where(de_cap & (last_end > 0), last_end + lag, np.maximum(since, last_end + 1))
    registered[reg] = np.maximum(since[reg], parse_day(st["registered_earliest"]))
    pension = (age >= 60) & (rng.random(n) < st["pension_share_60_plus"])

    certs = _certificates(rng, w["history"], sp, birth, education, area, mixes)
    # a certificate in an occupation announced after its issue day cannot exist
    early = (certs["occ"] >= 0) & (certs["date"] < occupation_since()[np.maximum(certs["occ"], 0)])
    certs["kind"][early] = -1
    intent = _intentions(rng, w["intentions"], sp, job_occ, area, edu_ok, mixes)
    outside, whole_city, cities = _regions(rng, w["intentions"], age, rural, sp)
    min_wage = _min_wage(rng, w["intentions"], education, age, outside)
    wi = w["intentions"]
    start_business = rng.random(n) < np.where(
        status == SELF_EMPLOYED, wi["start_business_self_employed"], wi["start_business"]
    )
    groups |= _groups(rng, g, age, unit, rural, male, education, status, sp, outside, de_cap)
    consent = rng.random(n) < w["consent_to_share"]
    effect = rng.normal(0.0, p["outcome"]["worker_effect_sd"], n)
    return Profiles(
        lo=lo,
        hi=hi,
        education=education,
        status=status,
        registered=registered,
        pension=pension,
        spell_job=sp["job"],
        spell_occ=job_occ,
        spell_region=sp["region"],
        spell_start=sp["start"],
        spell_end=sp["end"],
        cert_kind=certs["kind"],
        cert_occ=certs["occ"],
        cert_level=certs["level"],
        cert_item=certs["item"],
        cert_date=certs["date"],
        intent_occ=intent,
        whole_city=whole_city,
        outside=outside,
        cities=cities,
        min_wage=min_wage,
        start_business=start_business,
        groups=groups,
        consent=consent,
        names=_names(rng, male),
        ethnicity=_ethnicity(stream(seed, 10, chunk, 3), unit),
        effect=effect,
    )


def _education(rng: np.random.Generator, age: np.ndarray, rural: np.ndarray) -> np.ndarray:
    e = params()["workers"]["education"]
    band = np.where(age <= e["young_until"], 0, np.where(age <= e["mid_until"], 1, 2))
    tables = [
        shares(e[f"{h}_{b}"], f"education {h}_{b}")
        for h in ("urban", "rural")
        for b in ("young", "mid", "old")
    ]
    edu = categorical(rng, np.array(tables), rural.astype(np.int64) * 3 + band)
    for level in reversed(EDUCATIONS):
        if level.value in e["min_age"]:
            too_young = (edu == EDUCATIONS.index(level)) & (age < e["min_age"][level.value])
            edu[too_young] = EDUCATIONS.index(_NOT_YET[level])
    return edu.astype(np.int64)


def _spells(
    rng: np.random.Generator,
    h: dict,
    age: np.ndarray,
    birth: np.ndarray,
    male: np.ndarray,
    education: np.ndarray,
    status: np.ndarray,
    unit: np.ndarray,
    area: np.ndarray,
    edu_ok: np.ndarray,
    mixes: np.ndarray,
) -> dict[str, np.ndarray]:
    """Up to three past jobs, laid backwards from the history years and kept only after the working life began."""
    n = len(age)
    count = categorical(
        rng,
        np.array(h["spells"], dtype=float),
        _band_values(h["bands"], np.floor(age), np.arange(len(h["bands"]))),
    )
    count[(status == STUDENT) & (rng.random(n) < h["student_no_spell"])] = 0
    school_end = np.array(h["school_leaving_age"])[education] + rng.random(n) * 2
    career = years_later(birth, school_end)
    ongoing = (status == EMPLOYED) & (rng.random(n) < h["ongoing_if_employed"])
    length = h["spell_years"][0] + rng.random((n, N_SPELLS)) * (h["spell_years"][1] - h["spell_years"][0])
    gap = h["gap_years"][0] + rng.random((n, N_SPELLS)) * (h["gap_years"][1] - h["gap_years"][0])
    back = h["last_end_back_years"]
    end_b = np.empty((n, N_SPELLS), dtype=np.int64)
    start_b = np.empty((n, N_SPELLS), dtype=np.int64)
    end_b[:, 0] = np.where(
        ongoing, -1, years_later(np.full(n, HISTORY_END), -(back[0] + rng.random(n) * (back[1] - back[0])))
    )
    start_b[:, 0] = years_later(np.where(ongoing, HISTORY_END, end_b[:, 0]), -length[:, 0])
    for r in range(1, N_SPELLS):
        end_b[:, r] = years_later(start_b[:, r - 1], -gap[:, r])
        start_b[:, r] = years_later(end_b[:, r], -length[:, r])
    valid = (np.arange(N_SPELLS) < count[:, None]) & (start_b >= career[:, None])
    valid = np.cumprod(valid, axis=1).astype(bool)
    m = valid.sum(axis=1)
    # slot s (chronological) holds backward spell r = m - 1 - s
    r_of_s = m[:, None] - 1 - np.arange(N_SPELLS)
    has = r_of_s >= 0
    rows = np.arange(n)[:, None]
    r_idx = np.maximum(r_of_s, 0)
    start = np.where(has, start_b[rows, r_idx], -1)
    end = np.where(has, end_b[rows, r_idx], -1)

    kinds = ("own", "other_qujing", "partner", "kunming")
    kind = rng.choice(4, size=(n, N_SPELLS), p=shares([h["region"][k] for k in kinds], "history region"))
    n_units = len(places.units())
    cities, city_w = places.partner_cities()
    other = (area[:, None] + 1 + (rng.random((n, N_SPELLS)) * 8).astype(np.int64)) % 9
    city = rng.choice(len(cities), size=(n, N_SPELLS), p=city_w)
    region = np.select(
        [kind == 0, kind == 1, kind == 2],
        [np.broadcast_to(unit[:, None], (n, N_SPELLS)), other, n_units + city],
        n_units + len(cities),
    )
    spell_area = np.select(
        [kind == 0, kind == 1, kind == 2],
        [np.broadcast_to(area[:, None], (n, N_SPELLS)), other, places.OUTBOUND],
        area[:, None],
    )
    job = np.full((n, N_SPELLS), -1, dtype=np.int64)
    lawful = _lawful_mixes(mixes)
    for s in range(N_SPELLS):
        sel = np.flatnonzero(has[:, s])
        cls = law.legal_class(male[sel], birth[sel], start[sel, s])
        job[sel, s] = categorical(
            rng,
            lawful.reshape(-1, lawful.shape[-1]),
            (cls * 2 + edu_ok[sel]) * places.N_AREAS + spell_area[sel, s],
        )
    region = np.where(has, region, -1)
    return {"job": job, "region": region, "start": start, "end": end, "count": m, "career": career}


def _lawful_mixes(mixes: np.ndarray) -> np.ndarray:
    """The job mixes per legal class (class, education, area, job): only the jobs the law opens to the class."""
    allowed = law.open_to(law.job_hazards())
    out = mixes[None] * allowed[:, None, None, :]
    total = out.sum(axis=-1, keepdims=True)
    return np.divide(out, total, out=np.zeros_like(out), where=total > 0)


def _retire(rng: np.random.Generator, sp: dict[str, np.ndarray], retire: np.ndarray, today: int) -> None:
    """End every job before its holder's retirement day; a job that would begin after it is dropped."""
    for s in range(N_SPELLS):
        has = sp["job"][:, s] >= 0
        end = np.where(sp["end"][:, s] < 0, today, sp["end"][:, s])
        late = has & (end >= retire)
        new_end = retire - 1 - (rng.random(len(retire)) * 365).astype(np.int64)
        keep = late & (new_end > sp["start"][:, s])
        sp["end"][keep, s] = new_end[keep]
        drop = late & ~keep
        for k in ("job", "region", "start", "end"):
            sp[k][drop, s] = -1
    sp["count"] = (sp["job"] >= 0).sum(axis=1)


def _de_capacity(rng: np.random.Generator, g: dict, age: np.ndarray, unit: np.ndarray, n: int) -> np.ndarray:
    """Workers laid off by the 2016–2018 coal and steel capacity cuts (去产能), mostly in coal counties."""
    us = places.units()
    lo, hi = g["de_capacity_ages"]
    weight = np.array([multiplier(g["de_capacity_counties"], u.code) for u in us])[unit] * (
        (age >= lo) & (age < hi + 1)
    )
    k = int(round(g["de_capacity_unemployed"] * n))
    if k == 0 or weight.sum() == 0:
        return np.zeros(n, dtype=bool)
    chosen = rng.choice(n, size=min(k, int((weight > 0).sum())), replace=False, p=weight / weight.sum())
    out = np.zeros(n, dtype=bool)
    out[chosen] = True
    return out


def _override_de_capacity(
    rng: np.random.Generator,
    sp: dict[str, np.ndarray],
    who: np.ndarray,
    unit: np.ndarray,
    male: np.ndarray,
    birth: np.ndarray,
    g: dict,
) -> None:
    """Give each laid-off worker one spell in a coal or smelting job of their county ending by 2017, in
    work the law opens to them."""
    table = jobs()
    us = places.units()
    allowed = law.open_to(law.job_hazards())
    first, last = (parse_day(d) for d in g["de_capacity_spell_end"])
    y_lo, y_hi = g["de_capacity_spell_years"]
    in_sector = np.array([j.sector in g["de_capacity_sectors"] for j in table])
    for i in who.tolist():
        end = first + int(rng.random() * (last - first + 1))
        start = max(int(sp["career"][i]), end - int((y_lo + rng.random() * (y_hi - y_lo)) * 365.25))
        start = min(start, end - 180)
        lawful = allowed[law.legal_class(male[i : i + 1], birth[i : i + 1], np.array([start]))[0]]
        w = np.array([j.local_weight(us[unit[i]].code) for j in table]) * in_sector * lawful
        if w.sum() <= 0:  # none of the county's rows is open to this worker: the city's
            w = np.array([j.weight for j in table]) * in_sector * lawful
        sp["job"][i] = [int(rng.choice(len(table), p=w / w.sum())), -1, -1]
        sp["start"][i] = [start, -1, -1]
        sp["region"][i] = [unit[i], -1, -1]
        sp["end"][i] = [end, -1, -1]
        sp["count"][i] = 1


def _certificates(
    rng: np.random.Generator,
    h: dict,
    sp: dict[str, np.ndarray],
    birth: np.ndarray,
    education: np.ndarray,
    area: np.ndarray,
    mixes: np.ndarray,
) -> dict[str, np.ndarray]:
    """Certificates held before the history years: skill levels and special-operation cards from past jobs,
    school ones."""
    n = len(birth)
    table = jobs()
    occ_of_job = job_occupation()
    items = {c: i for i, c in enumerate(special_items())}
    quals = set(params()["programmes"]["qualification"])
    typical = np.array([j.typical_level or 0 for j in table])
    job_item = np.array([items[j.certificates[0]] if j.certificates else -1 for j in table])
    job_qual = np.array([j.code in quals for j in table])
    out = {
        k: np.full((n, N_BASE_CERTS), -1 if k != "level" else 0, dtype=np.int64)
        for k in ("kind", "occ", "level", "item", "date")
    }
    levels = np.array([lv for lv, _ in h["cert_levels"]])
    level_p = shares([pr for _, pr in h["cert_levels"]], "cert_levels")
    for s in range(N_SPELLS):
        job = sp["job"][:, s]
        has = job >= 0
        jb = np.maximum(job, 0)
        end = np.where(sp["end"][:, s] < 0, HISTORY_END, np.minimum(sp["end"][:, s], HISTORY_END))
        span = np.maximum(end - sp["start"][:, s], 1)
        skill = has & (typical[jb] > 0) & (rng.random(n) < h["skill_certificate"])
        lvl = levels[rng.choice(len(levels), size=n, p=level_p)]
        date = sp["start"][:, s] + (rng.random(n) * span).astype(np.int64)
        k = 2 * s
        out["kind"][skill, k] = np.where(job_qual[jb[skill]], QUALIFICATION, SKILL)
        out["occ"][skill, k] = occ_of_job[jb[skill]]
        out["level"][skill, k] = lvl[skill]
        out["date"][skill, k] = date[skill]
        op = has & (job_item[jb] >= 0) & (rng.random(n) < h["operation_certificate"])
        date = sp["start"][:, s] + (rng.random(n) * span).astype(np.int64)
        out["kind"][op, k + 1] = OPERATION
        out["item"][op, k + 1] = job_item[jb[op]]
        out["date"][op, k + 1] = date[op]
    voc_date = years_later(birth, 18 + rng.random(n))
    voc = (
        (education == EDUCATIONS.index(Education.vocational_secondary))
        & (voc_date <= HISTORY_END)
        & (rng.random(n) < h["vocational_certificate"])
    )
    if voc.any():
        mix = mixes[0] * (typical > 0)
        job = categorical(rng, mix, area[voc])
        k = N_BASE_CERTS - 1
        out["kind"][voc, k] = np.where(job_qual[job], QUALIFICATION, SKILL)
        out["occ"][voc, k] = occ_of_job[job]
        out["level"][voc, k] = 5
        out["date"][voc, k] = voc_date[voc]
    return out


def _intentions(
    rng: np.random.Generator,
    wi: dict,
    sp: dict[str, np.ndarray],
    job_occ: np.ndarray,
    area: np.ndarray,
    edu_ok: np.ndarray,
    mixes: np.ndarray,
) -> np.ndarray:
    """One to three intended occupations: the latest job, jobs near it, and what the area asks for."""
    n = len(area)
    occ_of_job = job_occupation()
    flat = mixes.reshape(-1, mixes.shape[2])
    group = edu_ok * places.N_AREAS + area
    count = 1 + rng.choice(3, size=n, p=shares(wi["count"], "intentions count"))
    latest = np.where(sp["count"] > 0, job_occ[np.arange(n), np.maximum(sp["count"] - 1, 0)], -1)
    out = np.full((n, 3), -1, dtype=np.int64)
    out[:, 0] = np.where(
        (latest >= 0) & (rng.random(n) < wi["from_history"]),
        latest,
        occ_of_job[categorical(rng, flat, group)],
    )
    offsets, items = neighbours()
    for s in (1, 2):
        n_near = offsets[out[:, 0] + 1] - offsets[out[:, 0]]
        near = items[
            np.minimum(offsets[out[:, 0]] + (rng.random(n) * n_near).astype(np.int64), max(len(items) - 1, 0))
        ]
        pick = np.where(
            (n_near > 0) & (rng.random(n) < wi["sibling"]), near, occ_of_job[categorical(rng, flat, group)]
        )
        dup = (pick[:, None] == out[:, :s]).any(axis=1)
        out[:, s] = np.where((s < count) & ~dup, pick, -1)
    return out


def _regions(
    rng: np.random.Generator, wi: dict, age: np.ndarray, rural: np.ndarray, sp: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Willingness to leave the province, to work anywhere in the city, and preferred partner cities."""
    n = len(age)
    base = _band_values(
        [b[:2] for b in wi["outside_bands"]], np.floor(age), [b[2] for b in wi["outside_bands"]]
    )
    n_units = len(places.units())
    cities, city_w = places.partner_cities()
    went = ((sp["region"] >= n_units) & (sp["region"] < n_units + len(cities))).any(axis=1)
    prob = (
        base
        * np.where(went, wi["outside_partner_history"], 1.0)
        * np.where(rural, wi["outside_rural"], wi["outside_urban"])
    )
    outside = rng.random(n) < np.minimum(prob, 0.95)
    whole_city = rng.random(n) < wi["whole_city"]
    k = rng.choice(3, size=n, p=shares(wi["partner_cities"], "partner_cities")) * outside
    first = rng.choice(len(cities), size=n, p=city_w)
    second = rng.choice(len(cities), size=n, p=city_w)
    chosen = np.full((n, 2), -1, dtype=np.int64)
    chosen[:, 0] = np.where(k >= 1, first, -1)
    chosen[:, 1] = np.where((k >= 2) & (second != first), second, -1)
    return outside, whole_city, chosen


def _min_wage(
    rng: np.random.Generator, wi: dict, education: np.ndarray, age: np.ndarray, outside: np.ndarray
) -> np.ndarray:
    base = np.array([wi["min_wage_by_education"][e.value] for e in EDUCATIONS])[education]
    factor = _band_values(
        [b[:2] for b in wi["min_wage_age"]], np.floor(age), [b[2] for b in wi["min_wage_age"]]
    )
    wage = (
        base
        * factor
        * np.where(outside, wi["min_wage_outbound"], 1.0)
        * rng.lognormal(0.0, wi["min_wage_noise_sd"], len(age))
    )
    return np.clip(np.round(wage / 100) * 100, *wi["min_wage_range"]).astype(np.int64)


def _groups(
    rng: np.random.Generator,
    g: dict,
    age: np.ndarray,
    unit: np.ndarray,
    rural: np.ndarray,
    male: np.ndarray,
    education: np.ndarray,
    status: np.ndarray,
    sp: dict[str, np.ndarray],
    outside: np.ndarray,
    de_cap: np.ndarray,
) -> np.ndarray:
    """Priority groups (articles 四, 五, 十七–二十) with the shares of data/sample_city.toml."""
    n = len(age)
    us = places.units()
    out = np.zeros(n, dtype=np.int64)

    def give(group: PriorityGroup, mask: np.ndarray) -> None:
        out[mask] |= GROUP_BIT[group]

    mult = np.array([multiplier(g["poverty_counties"], u.code) for u in us])[unit] * rural
    poor = rng.random(n) < np.minimum(0.95, g["poverty_registered"] * n * mult / max(mult.sum(), 1e-9))
    give(PriorityGroup.poverty_registered, poor)
    give(PriorityGroup.relocated, poor & (rng.random(n) < g["relocated_of_poor"]))
    lo, hi = g["two_after_ages"]
    school = np.isin(
        education,
        [EDUCATIONS.index(Education(e)) for e in ("junior_middle", "senior_middle", "vocational_secondary")],
    )
    eligible = (age >= lo) & (age < hi + 1) & school & (status != STUDENT)
    y_lo, y_hi = g["young_ages"]
    young = ((age >= y_lo) & (age < y_hi + 1)).sum()
    give(
        PriorityGroup.two_after,
        eligible & (rng.random(n) < min(0.95, g["two_after"] * young / max(eligible.sum(), 1))),
    )
    lo, hi = g["veteran_ages"]
    vet_p = np.where(male, g["veteran"]["M"], g["veteran"]["F"])
    give(PriorityGroup.veteran, (age >= lo) & (age < hi + 1) & (rng.random(n) < vet_p))
    d16, d60 = g["disabled"]
    disabled = rng.random(n) < d16 + (d60 - d16) * np.clip((age - 16) / 44, 0, 1.2)
    give(PriorityGroup.disabled, disabled)
    dib = (
        g["dibao"]
        * np.where(poor, g["dibao_factor"]["poverty_registered"], 1.0)
        * np.where(disabled, g["dibao_factor"]["disabled"], 1.0)
    )
    give(PriorityGroup.dibao, rng.random(n) < dib)
    eligible = ~rural & np.isin(status, [UNEMPLOYED, NOT_IN_LABOUR_FORCE]) & (age >= 20) & (age < 61)
    give(
        PriorityGroup.zero_employment_family,
        eligible & (rng.random(n) < min(0.95, g["zero_employment_family"] * n / max(eligible.sum(), 1))),
    )
    area = np.array([u.area for u in us])[unit]
    away = ((sp["region"] >= 0) & (spell_areas()[sp["region"]] != area[:, None])).any(axis=1)
    give(PriorityGroup.rural_transfer, rural & (away | outside) & (rng.random(n) < g["rural_transfer"]))
    give(
        PriorityGroup.transferred_worker,
        de_cap | ((status == EMPLOYED) & (sp["count"] > 0) & (rng.random(n) < g["transferred_worker"])),
    )
    college = education >= EDUCATIONS.index(Education.junior_college)
    give(
        PriorityGroup.graduate_unemployed,
        college & (age < g["graduate_unemployed_age"] + 1) & (status == UNEMPLOYED),
    )
    return out


@cache
def occupation_since() -> np.ndarray:
    """For each job-table occupation, the day it was announced (0 for one older than 2019)."""
    out = []
    for code in job_codes():
        day = ref.occupation_exists_since(code)
        out.append(day.toordinal() if day else 0)
    return np.array(out, dtype=np.int64)


@cache
def ethnic_codes() -> tuple[str, ...]:
    """The GB/T 3304 codes the sample city draws: 汉族 first, then every group `[workers.ethnicity]` names."""
    table = params()["workers"]["ethnicity"]
    codes = sorted({c for shares_ in table.values() for c in shares_} - {"01"})
    for c in codes:
        if c not in ref.ethnic_groups():
            raise ValueError(f"[workers.ethnicity] names {c!r}, which is not a GB/T 3304 code")
    return ("01", *codes)


def _ethnicity(rng: np.random.Generator, unit: np.ndarray) -> np.ndarray:
    """Each worker's ethnic group, by the per-cent shares of their unit (汉族 takes the rest)."""
    table = params()["workers"]["ethnicity"]
    codes = ethnic_codes()
    probs = []
    for u in places.units():
        row = table.get(u.code, table.get("*", {}))
        minority = [float(row.get(c, 0.0)) / 100 for c in codes[1:]]
        if sum(minority) >= 1:
            raise ValueError(f"[workers.ethnicity] {u.code}: the minority shares add up to 100 % or more")
        probs.append([1 - sum(minority), *minority])
    return categorical(rng, np.array(probs), unit)


def _names(rng: np.random.Generator, male: np.ndarray) -> list[str]:
    n = len(male)
    sur = rng.choice(len(_SURNAMES), size=n, p=_SURNAME_W / _SURNAME_W.sum())
    a = rng.integers(len(_GIVEN), size=n)
    b = rng.integers(len(_GIVEN), size=n)
    two = rng.random(n) < params()["workers"]["two_character_given_name"]
    return [
        _SURNAMES[s] + _GIVEN[x] + (_GIVEN[y] if t else "")
        for s, x, y, t in zip(sur.tolist(), a.tolist(), b.tolist(), two.tolist())
    ]
