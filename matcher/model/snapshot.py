"""The city as arrays: workers, demand lines, programmes, enrolments and referrals, loaded once.

Features, retrieval and training work on whole columns (numpy) and on ragged per-owner tables
(`matcher.model.ragged`), so that nothing downstream loops over (worker, line) pairs in Python. Dates are
kept as ordinals (`matcher.model.dates`), codes as array ids (`matcher.model.codes`), regions as places
(`matcher.model.geometry`).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import JSON, Date, String, Text, cast, select, type_coerce
from sqlalchemy.orm import Session

from matcher import labour
from matcher.calendar import today
from matcher.domain import EDUCATION_RANK, Education
from matcher.model.codes import EDUCATIONS, GROUPS, occ_id, rank_of, so_id, special_operation_codes
from matcher.model.dates import NEVER, ordinals
from matcher.model.geometry import home_regions, place, place_of
from matcher.model.ragged import Ragged
from matcher.store import snapshot_scope
from matcher.store.tables import (
    DemandLineRow,
    EnrolmentRow,
    EnterpriseRow,
    InstitutionRow,
    PlacementRow,
    ProgrammeRow,
    WorkerRow,
)

# --- tables -------------------------------------------------------------------------------------


@dataclass
class Workers:
    """Workers as columns; JSON sub-records as ragged tables (dates as ordinals)."""

    id: np.ndarray
    birth: np.ndarray
    sex: np.ndarray
    ethnicity: np.ndarray  # object, "" when not recorded
    residence: np.ndarray  # region code (object)
    hukou_region: np.ndarray  # object
    status: np.ndarray  # employment status as surveyed (object)
    county: np.ndarray  # county-level unit of residence (object)
    lon: np.ndarray
    lat: np.ndarray
    province: np.ndarray  # object
    hukou_rural: np.ndarray
    education: np.ndarray  # rank in Education order
    unemployed_since: np.ndarray  # ordinal, NEVER when not registered
    pension: np.ndarray
    groups: sparse.csr_matrix  # (n, len(GROUPS)) 0/1
    min_wage: np.ndarray
    outside_province: np.ndarray
    consent: np.ndarray  # consented to be shown to enterprises as a candidate
    intent_occ: Ragged  # occ, order
    intent_region: Ragged  # code (object)
    certs: Ragged  # occ, rank, so, issued, kind (object, as recorded)
    spells: Ragged  # occ, start, end
    prior: Ragged  # year, occ, rank, project (subsidised trainings)

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class Lines:
    id: np.ndarray
    enterprise_id: np.ndarray
    occ: np.ndarray
    rank: np.ndarray  # required level rank, 0 none
    required: sparse.csr_matrix  # (n, n_items) required special-operation items
    headcount: np.ndarray
    wage_min: np.ndarray
    wage_max: np.ndarray
    region: np.ndarray  # object
    county: np.ndarray  # object
    province: np.ndarray  # object
    in_qujing: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    start: np.ndarray
    end: np.ndarray
    order_training: np.ndarray
    open: np.ndarray
    title: np.ndarray  # object
    description: np.ndarray  # object
    industry: np.ndarray  # object, GB/T 4754 section
    size: np.ndarray  # object
    high_risk: np.ndarray
    hazards: np.ndarray  # `labour.Hazard` bits of the work (occupation, text, required items)
    cadre: np.ndarray  # a cadre-type post (`labour.cadre_post`)

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class Programmes:
    id: np.ndarray
    code: np.ndarray  # object
    name: np.ndarray  # object
    mode: np.ndarray  # object
    occ: np.ndarray
    rank: np.ndarray  # target level rank, 0 none
    certificate: np.ndarray  # object
    so: np.ndarray  # awarded special-operation item, -1 none
    days: np.ndarray
    cost: np.ndarray
    subsidy: np.ndarray
    seats: np.ndarray  # the class's size
    enrolled: np.ndarray  # people already enrolled in the class
    region: np.ndarray  # object
    county: np.ndarray  # object
    lon: np.ndarray
    lat: np.ndarray
    start: np.ndarray  # the class's first day
    end: np.ndarray  # … and last day
    hazards: np.ndarray  # `labour.Hazard` bits of what the class trains for
    cadre: np.ndarray  # it trains for a cadre-type post (`labour.cadre_post`)
    enterprise_id: np.ndarray  # -1 none
    institution: np.ndarray  # object, institution name
    institution_kind: np.ndarray  # object
    tendered: np.ndarray

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class Enrolments:
    id: np.ndarray
    worker: np.ndarray  # worker row
    programme: np.ndarray  # programme row
    start: np.ndarray
    end: np.ndarray
    completed: np.ndarray
    cert_date: np.ndarray  # NEVER when no certificate

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class Placements:
    id: np.ndarray
    worker: np.ndarray  # worker row
    line: np.ndarray  # line row
    enrolment: np.ndarray  # enrolment row, -1 none
    referred: np.ndarray
    hired: np.ndarray
    retained: np.ndarray

    @property
    def label(self) -> np.ndarray:
        """The outcome the model predicts: hired and still employed six months on."""
        return self.hired & self.retained

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class City:
    """Everything matching reads from the store, with id → row look-ups, and tables derived once.

    Derived: `credentials` — per worker, every certificate held and the certificate of every training
    completed (columns occ, rank, so, date; a training's certificate may also be in the worker's record,
    and the duplicate changes no maximum or membership); `trainings` — per worker, each enrolment's
    programme, last day and completion; `line_chain` — per line, ids of the regions containing its work
    region (-1 pads), with `intent_region_id` the same ids for the workers' intended regions (-1: no
    line lies there); `required_dense` — (lines × items + 1) required items, the extra column False so
    that item -1 reads as "not required".
    """

    workers: Workers
    lines: Lines
    programmes: Programmes
    enrolments: Enrolments
    placements: Placements
    as_of: int  # the ordinal of the day recommendations are made for
    credentials: Ragged = field(init=False)
    trainings: Ragged = field(init=False)
    line_chain: np.ndarray = field(init=False)
    intent_region_id: np.ndarray = field(init=False)
    region_index: dict[str, int] = field(init=False)  # the region ids of `line_chain`
    home_region_id: np.ndarray = field(init=False)  # (workers × 2) ids of a worker's own county's regions
    required_dense: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        w, e, p = self.workers.certs, self.enrolments, self.programmes
        done = e.completed & (e.cert_date != NEVER)
        self.credentials = Ragged.build(
            len(self.workers),
            np.concatenate([w.owner(), e.worker[done]]),
            {
                "occ": np.concatenate([w["occ"], p.occ[e.programme[done]]]),
                "rank": np.concatenate([w["rank"], p.rank[e.programme[done]]]),
                "so": np.concatenate([w["so"], p.so[e.programme[done]]]),
                "date": np.concatenate([w["issued"], e.cert_date[done]]),
            },
            {"occ": np.int32, "rank": np.int8, "so": np.int16, "date": np.int64},
        )
        self.trainings = Ragged.build(
            len(self.workers),
            e.worker,
            {"programme": e.programme, "end": e.end, "completed": e.completed},
            {"programme": np.int64, "end": np.int64, "completed": bool},
        )
        ids: dict[str, int] = {}
        chains = [place(code).chain for code in self.lines.region.tolist()]
        self.line_chain = np.full((len(chains), max((len(c) for c in chains), default=1)), -1, np.int32)
        for i, chain in enumerate(chains):
            for j, code in enumerate(chain):
                self.line_chain[i, j] = ids.setdefault(code, len(ids))
        self.intent_region_id = np.array(
            [ids.get(c, -1) for c in self.workers.intent_region["code"].tolist()], np.int32
        )
        self.region_index = ids
        counties, which = np.unique(self.workers.county.astype(str), return_inverse=True)
        homes = np.full((len(counties), 2), -1, np.int32)
        for i, county in enumerate(counties.tolist()):
            for j, code in enumerate(home_regions(county)):
                homes[i, j] = ids.get(code, -1)
        self.home_region_id = homes[which.ravel()]
        self.required_dense = np.zeros((len(self.lines), len(special_operation_codes()) + 1), bool)
        self.required_dense[:, :-1] = self.lines.required.toarray() > 0

    def worker_rows(self, ids: Iterable[int]) -> np.ndarray:
        return _rows_of(self.workers.id, ids, "worker")

    def line_rows(self, ids: Iterable[int]) -> np.ndarray:
        return _rows_of(self.lines.id, ids, "demand line")


class NotInSnapshot(KeyError):
    """An id the loaded snapshot of the store does not hold (registered after it was taken, or unknown)."""


def _rows_of(sorted_ids: np.ndarray, ids: Iterable[int], what: str) -> np.ndarray:
    """Row positions of `ids` in the sorted id column; NotInSnapshot names the first id not there."""
    q = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_ids, q), max(len(sorted_ids) - 1, 0))
    bad = sorted_ids[pos] != q if len(sorted_ids) else np.ones(len(q), bool)
    if bad.any():
        raise NotInSnapshot(f"{what} id {int(q[np.argmax(bad)])} is not in the store")
    return pos


# --- loading ------------------------------------------------------------------------------------


Columns = Mapping[str, Sequence[Any]]
"""A table as read (`_read`): per column name, its values in id order."""


def _lookup(values: Sequence[Any], fn: Callable[[Any, str], Any], where: Callable[[int], str]) -> list[Any]:
    """`fn(value, where)` of every value, called once per distinct value: a value it rejects (ValueError)
    is looked up again with `where` of the first record holding it, so that the error names that record."""
    table: dict[Any, Any] = {}
    for v in dict.fromkeys(values):
        try:
            table[v] = fn(v, "")
        except ValueError:
            table[v] = fn(v, where(list(values).index(v)))  # fails again, naming the record at fault
    return [table[v] for v in values]


@dataclass
class _Nested:
    """The JSON lists of one column flattened: each record with its owner's row and its place in the list."""

    what: str  # "worker", "demand line"
    ids: Sequence[int]  # the owners' ids
    path: str  # the column (and key) holding the lists
    owner: np.ndarray
    pos: np.ndarray
    records: list[Any]

    @classmethod
    def of(cls, what: str, ids: Sequence[int], path: str, lists: Sequence[Any]) -> _Nested:
        counts = np.array([len(x) if x else 0 for x in lists], np.int64)
        owner = np.repeat(np.arange(len(lists)), counts)
        pos = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
        return cls(what, ids, path, owner, pos, [r for x in lists if x for r in x])

    def where(self, key: str | None) -> Callable[[int], str]:
        """The place of record k's `key` (of record k itself when None), as errors name it."""
        field = "" if key is None else f".{key}"
        return lambda k: f"{self.what} {self.ids[self.owner[k]]}.{self.path}[{self.pos[k]}]{field}"

    def field(self, key: str | None, fn: Callable[[Any, str], Any], required: bool = False) -> list[Any]:
        """`fn` of each record's `key` (of each record when None), a missing key read as None unless
        `required` (then KeyError); see `_lookup`."""
        if key is None:
            values = self.records
        else:
            values = [r[key] for r in self.records] if required else [r.get(key) for r in self.records]
        return _lookup(values, fn, self.where(key))


def _iso_day(value: Any, where: str) -> int:
    """The ordinal of an ISO date; ValueError names the field at fault."""
    if value is None:
        raise ValueError(f"{where}: a date is required")
    try:
        return date.fromisoformat(value).toordinal()
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _open_day(value: Any, where: str) -> int:
    """`_iso_day`, an open end (None) as NEVER."""
    return NEVER if value is None else _iso_day(value, where)


def _all_known(what: str, ids: Sequence[int], column: str, refs: Sequence[Any], known: Mapping[Any, Any]) -> None:
    """ValueError naming the first record whose `column` refers to a row `known` does not hold."""
    for k, ref in enumerate(refs):
        if ref not in known:
            raise ValueError(f"{what} {ids[k]}.{column}: {column.removesuffix('_id')} {ref} is not in the store")


def _group_id(group: Any, where: str) -> int:
    if group not in _GROUP_INDEX:
        raise ValueError(f"{where}: {group!r} is not a priority group ({', '.join(GROUPS)})")
    return _GROUP_INDEX[group]


def _education_rank(education: Any, where: str) -> int:
    if education not in EDUCATION_RANK:
        raise ValueError(f"{where}: {education!r} is not one of {', '.join(EDUCATIONS)}")
    return EDUCATION_RANK[Education(education)]


_GROUP_INDEX = {g: i for i, g in enumerate(GROUPS)}


def load_workers(cols: Columns) -> Workers:
    """Workers from their columns as read (`_read`), in id order; ValueError names the record at fault."""
    ids = cols["id"]
    n = len(ids)
    places = _lookup(cols["residence_region"], place_of, lambda k: f"worker {ids[k]}.residence_region")
    intentions = [it or {} for it in cols["intentions"]]
    io = _Nested.of("worker", ids, "intentions.occupations", [it.get("occupations", []) for it in intentions])
    ir = _Nested.of("worker", ids, "intentions.regions", [it.get("regions", []) for it in intentions])
    ir.field(None, place_of)
    c = _Nested.of("worker", ids, "certificates", cols["certificates"])
    s = _Nested.of("worker", ids, "work_history", cols["work_history"])
    p = _Nested.of("worker", ids, "subsidised_trainings", cols["subsidised_trainings"])
    g = _Nested.of("worker", ids, "groups", cols["groups"])
    group = _lookup(g.records, _group_id, lambda k: f"worker {ids[g.owner[k]]}.groups")
    groups = sparse.csr_matrix((np.ones(len(group), np.float32), (g.owner, group)), shape=(n, len(GROUPS)))
    groups.sum_duplicates()
    groups.data[:] = 1.0
    return Workers(
        id=np.array(ids, np.int64),
        birth=ordinals(cols["birth_date"]),
        sex=np.array(cols["sex"], object),
        ethnicity=np.array([e or "" for e in cols["ethnicity"]], object),
        residence=np.array(cols["residence_region"], object),
        hukou_region=np.array(cols["hukou_region"], object),
        status=np.array(cols["employment_status"], object),
        county=np.array([pl.county for pl in places], object),
        lon=np.array([pl.lon for pl in places], np.float64),
        lat=np.array([pl.lat for pl in places], np.float64),
        province=np.array([pl.province for pl in places], object),
        hukou_rural=np.array([t == "rural" for t in cols["hukou_type"]], bool),
        education=np.array(
            _lookup(cols["education"], _education_rank, lambda k: f"worker {ids[k]}.education"), np.int8
        ),
        unemployed_since=ordinals(cols["registered_unemployed_since"]),
        pension=np.array([bool(x) for x in cols["receives_pension"]], bool),
        groups=groups,
        min_wage=np.array([int(it.get("min_wage", 0) or 0) for it in intentions], np.int64),
        outside_province=np.array([bool(it.get("outside_province", False)) for it in intentions], bool),
        consent=np.array([bool(x) for x in cols["consent_to_share"]], bool),
        intent_occ=Ragged.build(
            n, io.owner, {"occ": io.field(None, occ_id), "order": io.pos}, {"occ": np.int32, "order": np.int8}
        ),
        intent_region=Ragged.build(n, ir.owner, {"code": ir.records}, {"code": object}),
        certs=Ragged.build(
            n,
            c.owner,
            {
                "occ": c.field("occupation_code", occ_id),
                "rank": c.field("level", rank_of),
                "so": c.field("special_operation", so_id),
                "issued": c.field("issued_on", _iso_day),
                "kind": [r.get("kind") for r in c.records],
            },
            {"occ": np.int32, "rank": np.int8, "so": np.int16, "issued": np.int64, "kind": object},
        ),
        spells=Ragged.build(
            n,
            s.owner,
            {
                "occ": s.field("occupation_code", occ_id, required=True),
                "start": s.field("start", _iso_day),
                "end": s.field("end", _open_day),
            },
            {"occ": np.int32, "start": np.int64, "end": np.int64},
        ),
        prior=Ragged.build(
            n,
            p.owner,
            {
                "year": [int(t["year"]) for t in p.records],
                "occ": p.field("occupation_code", occ_id, required=True),
                "rank": p.field("level", rank_of),
                "project": [str(t["project_id"]) for t in p.records],
            },
            {"year": np.int32, "occ": np.int32, "rank": np.int8, "project": object},
        ),
    )


def load_lines(cols: Columns, enterprises: Mapping[int, Any]) -> Lines:
    """Demand lines from their columns as read (`_read`), in id order, with their `enterprises` by id."""
    ids = cols["id"]
    n = len(ids)
    places = _lookup(cols["work_region"], place_of, lambda k: f"demand line {ids[k]}.work_region")
    req = _Nested.of("demand line", ids, "required_certificates", cols["required_certificates"])
    required = sparse.csr_matrix(
        (np.ones(len(req.records), np.float32), (req.owner, req.field(None, so_id))),
        shape=(n, len(special_operation_codes())),
    )
    required.sum_duplicates()
    required.data[:] = 1.0
    _all_known("demand line", ids, "enterprise_id", cols["enterprise_id"], enterprises)
    ent = [enterprises[e] for e in cols["enterprise_id"]]
    occupations = cols["occupation_code"]
    texts = [f"{t} {d or ''}" for t, d in zip(cols["title"], cols["description"])]
    return Lines(
        id=np.array(ids, np.int64),
        enterprise_id=np.array(cols["enterprise_id"], np.int64),
        occ=np.array(
            _lookup(occupations, occ_id, lambda k: f"demand line {ids[k]}.occupation_code"), np.int32
        ),
        rank=np.array(
            _lookup(cols["required_level"], rank_of, lambda k: f"demand line {ids[k]}.required_level"),
            np.int8,
        ),
        required=required,
        headcount=np.array(cols["headcount"], np.int64),
        wage_min=np.array(cols["wage_min"], np.int64),
        wage_max=np.array(cols["wage_max"], np.int64),
        region=np.array(cols["work_region"], object),
        county=np.array([pl.county for pl in places], object),
        province=np.array([pl.province for pl in places], object),
        in_qujing=np.array([pl.in_qujing for pl in places], bool),
        lon=np.array([pl.lon for pl in places], np.float64),
        lat=np.array([pl.lat for pl in places], np.float64),
        start=ordinals(cols["start_date"]),
        end=ordinals(cols["end_date"]),
        order_training=np.array([bool(x) for x in cols["accepts_order_training"]], bool),
        open=np.array([s == "open" for s in cols["status"]], bool),
        title=np.array(cols["title"], object),
        description=np.array([d or "" for d in cols["description"]], object),
        industry=np.array([e.industry for e in ent], object),
        size=np.array([e.size for e in ent], object),
        high_risk=np.array([e.high_risk_sector is not None for e in ent], bool),
        hazards=np.array(
            [
                int(labour.hazards_of(o, text, rc or ()))
                for o, text, rc in zip(occupations, texts, cols["required_certificates"])
            ],
            np.int64,
        ),
        cadre=np.array([labour.cadre_post(o) for o in occupations], bool),
    )


def load_programmes(cols: Columns, institutions: Mapping[int, Any]) -> Programmes:
    """Programmes (each a scheduled class) from their columns as read (`_read`), in id order; the seats
    already taken are counted from the enrolments (`_resolved`)."""
    ids = cols["id"]
    places = _lookup(cols["region"], place_of, lambda k: f"programme {ids[k]}.region")
    _all_known("programme", ids, "institution_id", cols["institution_id"], institutions)
    inst = [institutions[i] for i in cols["institution_id"]]
    occupations, so = cols["occupation_code"], cols["special_operation"]
    return Programmes(
        id=np.array(ids, np.int64),
        code=np.array(cols["code"], object),
        name=np.array(cols["name"], object),
        mode=np.array(cols["mode"], object),
        occ=np.array(_lookup(occupations, occ_id, lambda k: f"programme {ids[k]}.occupation_code"), np.int32),
        rank=np.array(
            _lookup(cols["target_level"], rank_of, lambda k: f"programme {ids[k]}.target_level"), np.int8
        ),
        certificate=np.array(cols["certificate"], object),
        so=np.array(_lookup(so, so_id, lambda k: f"programme {ids[k]}.special_operation"), np.int16),
        days=np.array(cols["days"], np.int64),
        cost=np.array(cols["cost_per_person"], np.int64),
        subsidy=np.array(cols["catalogue_subsidy"], np.int64),
        seats=np.array(cols["seats"], np.int64),
        enrolled=np.zeros(len(ids), np.int64),
        region=np.array(cols["region"], object),
        county=np.array([pl.county for pl in places], object),
        lon=np.array([pl.lon for pl in places], np.float64),
        lat=np.array([pl.lat for pl in places], np.float64),
        start=ordinals(cols["start_date"]),
        end=ordinals(cols["end_date"]),
        hazards=np.array(
            [
                int(labour.hazards_of(o, name, [x] if x else ()))
                for o, name, x in zip(occupations, cols["name"], so)
            ],
            np.int64,
        ),
        cadre=np.array([labour.cadre_post(o) for o in occupations], bool),
        enterprise_id=np.array([-1 if e is None else e for e in cols["enterprise_id"]], np.int64),
        institution=np.array([i.name for i in inst], object),
        institution_kind=np.array([i.kind for i in inst], object),
        tendered=np.array([bool(i.tendered) for i in inst], bool),
    )


def load_city(url: str | None = None, as_of: date | None = None) -> City:
    """Read the whole city from the store at `url` (default `DATABASE_URL`), as one state of the store.

    `as_of` is the day recommendations are made for; by default the engine's one day
    (`matcher.calendar.today`).
    """
    day = (as_of or today(url)).toordinal()
    with snapshot_scope(url) as s:
        return read_city(s, day)


def read_city(s: Session, day: int) -> City:
    """The whole city as the session's transaction sees it, matched on the day with ordinal `day`."""
    with collector_paused():
        return _resolved(
            load_workers(_read(s, WorkerRow)),
            load_lines(_read(s, DemandLineRow), _enterprises(s)),
            load_programmes(_read(s, ProgrammeRow), _institutions(s)),
            _enrolments(_read(s, EnrolmentRow)),
            _placements(_read(s, PlacementRow)),
            day,
        )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, for work that makes millions of small objects in no cycle
    (reading a city: tuples, lists and dicts): every collection on the way would walk them all again, and
    the arrays of the city with them (half the time of a read). Objects are still freed when no longer
    referenced; only cycles wait for the collector."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def merge_city(city: City, s: Session, changed: Mapping[str, Iterable[int]], day: int) -> City:
    """`city` with the rows of `changed` (table name → ids inserted, updated or deleted) read again from the
    session's transaction: the city as that state of the store, when every other row is as in `city`.

    A changed enterprise reads its lines again; a changed programme or institution, the whole catalogue
    (a few thousand classes); seats taken follow the enrolments.
    """
    ids = {t: np.unique(np.fromiter(v, np.int64)) for t, v in changed.items()}
    none = np.zeros(0, np.int64)
    line_ids = ids.get("demand_lines", none)
    if len(ids.get("enterprises", none)):
        of_firms = s.scalars(
            select(DemandLineRow.id).where(DemandLineRow.enterprise_id.in_(ids["enterprises"].tolist()))
        ).all()
        line_ids = np.union1d(line_ids, np.array(of_firms, np.int64))
    line_cols = _read(s, DemandLineRow, line_ids)
    lines = _merge(
        city.lines, line_ids, load_lines(line_cols, _enterprises(s, set(line_cols["enterprise_id"])))
    )
    worker_ids = ids.get("workers", none)
    workers = _merge(city.workers, worker_ids, load_workers(_read(s, WorkerRow, worker_ids)))
    programmes = city.programmes
    if len(ids.get("programmes", none)) or len(ids.get("institutions", none)):
        programmes = load_programmes(_read(s, ProgrammeRow), _institutions(s))
    e, p = city.enrolments, city.placements
    e_ids, p_ids = ids.get("enrolments", none), ids.get("placements", none)
    enrolments = _merge(
        Enrolments(
            e.id,
            city.workers.id[e.worker],
            city.programmes.id[e.programme],
            e.start,
            e.end,
            e.completed,
            e.cert_date,
        ),
        e_ids,
        _enrolments(_read(s, EnrolmentRow, e_ids)),
    )
    placements = _merge(
        Placements(
            p.id,
            city.workers.id[p.worker],
            city.lines.id[p.line],
            np.where(p.enrolment >= 0, e.id[p.enrolment], -1),
            p.referred,
            p.hired,
            p.retained,
        ),
        p_ids,
        _placements(_read(s, PlacementRow, p_ids)),
    )
    return _resolved(workers, lines, programmes, enrolments, placements, day)


_EXCLUDED = {WorkerRow: {"name", "id_hash", "id_masked", "created_at"}, DemandLineRow: {"created_at"}}
_IN_CHUNK = 5000


def _read(s: Session, table: Any, ids: np.ndarray | None = None) -> dict[str, list[Any]]:
    """The columns matching reads of `table`, all rows or those with `ids`, ordered by id: per column its
    values as the driver gives them, without ORM objects; dates stay as read (dates, or ISO text on
    SQLite; `ordinals` takes both) and each JSON column is decoded in one pass."""
    columns = _columns(table, _EXCLUDED.get(table, frozenset()))
    query = select(*(_as_read(c) for c in columns)).order_by(table.id)
    parts = (
        [query]
        if ids is None
        else [
            query.where(table.id.in_(ids[i : i + _IN_CHUNK].tolist())) for i in range(0, len(ids), _IN_CHUNK)
        ]
    )
    conn = s.connection()
    cursor = conn.connection.cursor()  # the driver's own, in the session's transaction: rows as plain tuples
    rows: list[Any] = []
    try:
        for part in parts:
            cursor.execute(str(part.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})))
            rows += cursor.fetchall()
    finally:
        cursor.close()
    values = list(zip(*rows)) if rows else [() for _ in columns]
    return {c.name: _json_values(v) if isinstance(c.type, JSON) else list(v) for c, v in zip(columns, values)}


def _as_read(column: Any) -> Any:
    """A column as `_read` selects it: JSON as its text, a date without conversion."""
    if isinstance(column.type, JSON):
        return cast(column, Text).label(column.name)
    if isinstance(column.type, Date):
        return type_coerce(column, String).label(column.name)
    return column


def _json_values(texts: Sequence[str | None]) -> list[Any]:
    """JSON texts decoded in one call (SQL NULL as None)."""
    return list(json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]"))


def _enterprises(s: Session, ids: Iterable[int] | None = None) -> dict[int, Any]:
    query = select(
        EnterpriseRow.id, EnterpriseRow.industry, EnterpriseRow.size, EnterpriseRow.high_risk_sector
    )
    if ids is not None:
        query = query.where(EnterpriseRow.id.in_(list(ids)))
    return {r.id: r for r in s.execute(query)}


def _institutions(s: Session) -> dict[int, Any]:
    query = select(InstitutionRow.id, InstitutionRow.name, InstitutionRow.kind, InstitutionRow.tendered)
    return {r.id: r for r in s.execute(query)}


def _enrolments(cols: Columns) -> Enrolments:
    """Enrolments with their worker and programme as ids (`_resolved` turns them into rows)."""
    return Enrolments(
        id=np.array(cols["id"], np.int64),
        worker=np.array(cols["worker_id"], np.int64),
        programme=np.array(cols["programme_id"], np.int64),
        start=ordinals(cols["start_date"]),
        end=ordinals(cols["end_date"]),
        completed=np.array([bool(x) for x in cols["completed"]], bool),
        cert_date=ordinals(cols["certificate_date"]),
    )


def _placements(cols: Columns) -> Placements:
    """Referrals with their worker, line and enrolment (-1 none) as ids."""
    return Placements(
        id=np.array(cols["id"], np.int64),
        worker=np.array(cols["worker_id"], np.int64),
        line=np.array(cols["demand_line_id"], np.int64),
        enrolment=np.array([-1 if e is None else e for e in cols["enrolment_id"]], np.int64),
        referred=ordinals(cols["referred_on"]),
        hired=np.array([bool(x) for x in cols["hired"]], bool),
        retained=np.array([bool(x) for x in cols["retained_6m"]], bool),
    )


def _resolved(
    workers: Workers, lines: Lines, programmes: Programmes, e: Enrolments, p: Placements, day: int
) -> City:
    """The city, with the ids that enrolments and referrals name turned into rows, and seats taken counted."""
    enrolments = Enrolments(
        e.id,
        _rows_of(workers.id, e.worker, "enrolment's worker"),
        _rows_of(programmes.id, e.programme, "enrolment's programme"),
        e.start,
        e.end,
        e.completed,
        e.cert_date,
    )
    programmes = replace(
        programmes, enrolled=np.bincount(enrolments.programme, minlength=len(programmes)).astype(np.int64)
    )
    enrolment = np.full(len(p), -1, np.int64)
    followed = p.enrolment >= 0
    enrolment[followed] = _rows_of(enrolments.id, p.enrolment[followed], "referral's enrolment")
    placements = Placements(
        p.id,
        _rows_of(workers.id, p.worker, "referral's worker"),
        _rows_of(lines.id, p.line, "referral's demand line"),
        enrolment,
        p.referred,
        p.hired,
        p.retained,
    )
    return City(workers, lines, programmes, enrolments, placements, day)


def _merge(old: Any, replaced: np.ndarray, new: Any) -> Any:
    """The table `old` without the rows whose ids are `replaced`, with the rows of `new`, ordered by id."""
    if not len(replaced) and not len(new):
        return old
    both = _concat(_take(old, np.flatnonzero(~np.isin(old.id, replaced))), new)
    order = np.argsort(both.id, kind="stable")
    return both if np.array_equal(order, np.arange(len(order))) else _take(both, order)


def _take(table: Any, rows: np.ndarray) -> Any:
    out = {}
    for f in fields(table):
        v = getattr(table, f.name)
        out[f.name] = v.take(rows) if isinstance(v, Ragged) else v[rows]
    return type(table)(**out)


def _concat(a: Any, b: Any) -> Any:
    out: dict[str, Any] = {}
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, Ragged):
            out[f.name] = Ragged.concat(x, y)
        elif sparse.issparse(x):
            out[f.name] = sparse.vstack([x, y], format="csr")
        else:
            out[f.name] = np.concatenate([x, y])
    return type(a)(**out)


def _columns(table: Any, exclude: set[str] | frozenset[str] = frozenset()) -> list[Any]:
    return [c for c in table.__table__.columns if c.name not in exclude]


def fingerprint_parts(city: City) -> dict[str, Any]:
    """Counts of every table and the referral outcomes, the inputs of the data fingerprint."""
    p = city.placements
    return {
        "workers": len(city.workers),
        "demand_lines": len(city.lines),
        "programmes": len(city.programmes),
        "enrolments": len(city.enrolments),
        "placements": len(p),
        "positives": int(p.label.sum()),
        "first_referral": date.fromordinal(int(p.referred.min())).isoformat() if len(p) else None,
        "last_referral": date.fromordinal(int(p.referred.max())).isoformat() if len(p) else None,
    }
