"""Named facts about a case, the vocabulary that pack expressions are written in.

Each fact is a small function of the case (and the pack's parameters) returning its value and the raw
inputs it read, so that a trace shows both (``hukou_in_city: false`` and ``person.hukou_region``).
Facts for inputs that only some rules need (``catalogue_subsidy``, ``days``, ``employer_insured`` …)
raise CaseError naming the field when a rule needs them and the case left them empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from matcher.policy.case import (
    ADVANCERS,
    CERTIFICATES,
    EMPLOYMENT_STATUSES,
    GROUPS,
    ORGANISERS,
    TRAINING_KINDS,
    Case,
    PriorTraining,
    full_years,
    region_label,
)
from matcher.policy.errors import CaseError
from matcher.reference import occupation, region, region_chain, skill_levels

Shown = dict[str, Any]
FactFn = Callable[[Case, Mapping[str, Any]], tuple[Any, Shown]]


@dataclass(frozen=True, slots=True)
class Fact:
    """A named value of a case; `choices` lists the texts it can take, for checking packs."""

    name: str
    fn: FactFn
    doc: str
    choices: tuple[str, ...] | None = None


FACTS: dict[str, Fact] = {}


def _input(case: Case, path: str) -> Any:
    section, field = path.split(".")
    return getattr(getattr(case, section), field)


def _reader(path: str) -> FactFn:
    return lambda case, _params: (_input(case, path), {})


def _tester(path: str, value: str) -> FactFn:
    return lambda case, _params: (_input(case, path) == value, {})


def _required(path: str, why: str) -> FactFn:
    def fn(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
        value = _input(case, path)
        if value is None:
            raise CaseError(path, f"未填写，但判定需要它：{why}")
        return value, {}

    return fn


def _in_group(group: str) -> FactFn:
    return lambda case, _params: (group in case.person.groups, {})


# Inputs used as they are: fact name → (input, the codes it can take).
_INPUTS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "sex": ("person.sex", ("M", "F")),
    "hukou_type": ("person.hukou_type", ("rural", "urban")),
    "employment_status": ("person.employment_status", EMPLOYMENT_STATUSES),
    "receives_pension": ("person.receives_pension", None),
    "kind": ("training.kind", TRAINING_KINDS),
    "organised_by": ("training.organised_by", ORGANISERS),
    "advanced_by": ("training.advanced_by", ADVANCERS),
    "certificate": ("training.certificate", CERTIFICATES),
    "project_id": ("training.project_id", None),
    "occupation_code": ("training.occupation_code", None),
    "level": ("training.level", None),
    "start_date": ("training.start_date", None),
    "end_date": ("training.end_date", None),
}
# Yes/no facts: fact name → (input, the code that makes it true).
_TESTS: dict[str, tuple[str, str]] = {
    "male": ("person.sex", "M"),
    "female": ("person.sex", "F"),
    "rural_hukou": ("person.hukou_type", "rural"),
    "urban_hukou": ("person.hukou_type", "urban"),
    "unemployed": ("person.employment_status", "unemployed"),
    "employed": ("person.employment_status", "employed"),
}
# Inputs some rules need and a case may leave empty: fact name → (input, why it is needed).
_REQUIRED: dict[str, tuple[str, str]] = {
    "days": ("training.days", "生活费补贴按培训天数发放（十八）；请填写培训天数"),
    "catalogue_subsidy": (
        "training.catalogue_subsidy",
        "这项培训按培训目录的人均标准补贴；请从该项目的目录条目中填写",
    ),
    "monthly_wage": ("training.monthly_wage", "以工代训按工资发放补贴（十九）；请填写月工资"),
    "months": ("training.months", "以工代训按月发放补贴（十九）；请填写月数"),
    "employer_insured": (
        "training.employer_insured",
        "就业困难人员和零就业家庭成员的以工代训须由参保单位组织（十九）；请填写用人单位是否缴纳社会保险",
    ),
}

for _name, (_path, _choices) in _INPUTS.items():
    FACTS[_name] = Fact(_name, _reader(_path), f"the input {_path}", _choices)
for _name, (_path, _value) in _TESTS.items():
    FACTS[_name] = Fact(_name, _tester(_path, _value), f"whether {_path} is {_value!r}")
for _name, (_path, _why) in _REQUIRED.items():
    FACTS[_name] = Fact(_name, _required(_path, _why), f"the input {_path}, required when a rule uses it")
for _group in GROUPS:
    FACTS[_group] = Fact(_group, _in_group(_group), f"whether person.groups contains {_group!r}")


def _fact(name: str, doc: str) -> Callable[[FactFn], FactFn]:
    def register(fn: FactFn) -> FactFn:
        FACTS[name] = Fact(name, fn, doc)
        return fn

    return register


# --- the person ------------------------------------------------------------------------------


@_fact("has_certificate", "whether a certificate was obtained")
def _has_certificate(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    return case.training.certificate is not None, {"training.certificate": case.training.certificate}


@_fact("registered_unemployed", "whether registered as unemployed")
def _registered(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    since = case.person.registered_unemployed_since
    return since is not None, {"person.registered_unemployed_since": since}


@_fact("age", "full years of age on the decision date (as_of, default training.start_date)")
def _age(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    birth = case.person.birth_date
    return full_years(birth, case.on), {"person.birth_date": birth, "as_of": case.on}


@_fact("registered_unemployed_years", "full years since the unemployment registration (0 if none)")
def _unemployed_years(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    since = case.person.registered_unemployed_since
    years = full_years(since, case.on) if since is not None else 0
    return years, {"person.registered_unemployed_since": since, "as_of": case.on}


def _in_city(path: str) -> FactFn:
    def fn(case: Case, params: Mapping[str, Any]) -> tuple[Any, Shown]:
        code = _input(case, path)
        if code is None:
            return False, {path: None}
        city = params["city"]
        if city in [r.code for r in region_chain(code)]:
            return True, {path: region_label(code)}
        if code in [r.code for r in region_chain(city)]:
            raise CaseError(
                path,
                f"{region_label(code)} contains {region(city).name} and is too coarse to tell whether the "
                "person belongs there; give the county or town",
            )
        return False, {path: region_label(code)}

    return fn


for _name, _path, _doc in (
    ("hukou_in_city", "person.hukou_region", "户籍地"),
    ("residence_in_city", "person.residence_region", "常住地"),
    ("job_seek_in_city", "person.job_seek_region", "求职就业地"),
):
    FACTS[_name] = Fact(_name, _in_city(_path), f"whether the {_doc} ({_path}) lies in the pack's city")

# --- the training ----------------------------------------------------------------------------


@_fact("training_year", "the year the training ends, in which it is subsidised")
def _training_year(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    return case.training.end_date.year, {"training.end_date": case.training.end_date}


@_fact("calendar_days", "calendar days from start to end, both included")
def _calendar_days(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    t = case.training
    return (t.end_date - t.start_date).days + 1, {
        "training.start_date": t.start_date,
        "training.end_date": t.end_date,
    }


@_fact("occupation_name", "name of the occupation trained for")
def _occupation_name(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    code = case.training.occupation_code
    return occupation(code).name, {"training.occupation_code": code}


@_fact("level_name", "title of the skill level (初级工 … 高级技师), 不分等级 when none")
def _level_name(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    level = case.training.level
    return (skill_levels()[level].title if level is not None else "不分等级"), {"training.level": level}


@_fact("apprenticeship_years", "training years an apprenticeship has begun, counted from start_date")
def _apprenticeship_years(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    start, end = case.training.start_date, case.training.end_date
    years = 1
    while _add_years(start, years) <= end:
        years += 1
    return years, {"training.start_date": start, "training.end_date": end}


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


# --- the history -----------------------------------------------------------------------------


def _entries(case: Case, keep: Callable[[PriorTraining], bool]) -> list[dict[str, Any]]:
    return [h.model_dump() for h in case.history if keep(h)]


@_fact("trainings_this_year", "earlier subsidised trainings in the year this training ends")
def _this_year(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    year = case.training.end_date.year
    same = _entries(case, lambda h: h.year == year)
    return len(same), {"training_year": year, "history(same year)": same}


@_fact("same_occupation_level_before", "whether an earlier subsidised training had this occupation and level")
def _same_occupation_level(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    t = case.training
    same = _entries(case, lambda h: h.occupation_code == t.occupation_code and h.level == t.level)
    shown = {"training.occupation_code": t.occupation_code, "training.level": t.level, "history(same)": same}
    return bool(same), shown


@_fact("project_claimed_before", "whether this training project was already claimed")
def _claimed(case: Case, _params: Mapping[str, Any]) -> tuple[Any, Shown]:
    pid = case.training.project_id
    same = _entries(case, lambda h: h.project_id == pid)
    return bool(same), {"training.project_id": pid, "history(same project)": same}
