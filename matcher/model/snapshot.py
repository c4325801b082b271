"""The city as arrays: workers, demand lines, programmes, enrolments and referrals, loaded once.

Features, retrieval and training work on whole columns (numpy) and on ragged per-owner tables
(`matcher.model.ragged`), so that nothing downstream loops over (worker, line) pairs in Python. Dates are
kept as ordinals (`matcher.model.dates`), codes as array ids (`matcher.model.codes`), regions as places
(`matcher.model.geometry`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import labour
from matcher.calendar import today
from matcher.domain import EDUCATION_RANK, Education
from matcher.model.codes import EDUCATIONS, GROUPS, occ_id, rank_of, so_id, special_operation_codes
from matcher.model.dates import NEVER, ordinal
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
    certs: Ragged  # occ, rank, so, issued
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


def _day(record: Mapping[str, Any], key: str, where: str, required: bool = True) -> int:
    """The ordinal of a JSON sub-record's ISO date; ValueError names the record and field at fault."""
    value = record.get(key)
    if value is None:
        if required:
            raise ValueError(f"{where}.{key}: a date is required")
        return NEVER
    try:
        return date.fromisoformat(value).toordinal()
    except (TypeError, ValueError):
        raise ValueError(f"{where}.{key}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def load_workers(rows: Sequence[Any]) -> Workers:
    """Workers from `WorkerRow`-shaped records (attributes as in the table), sorted by id."""
    rows = sorted(rows, key=lambda r: r.id)
    n = len(rows)
    io_w, io_c, io_o = [], [], []
    ir_w, ir_c = [], []
    c_w: list[int] = []
    c_cols: dict[str, list[Any]] = {"occ": [], "rank": [], "so": [], "issued": []}
    s_w: list[int] = []
    s_cols: dict[str, list[int]] = {"occ": [], "start": [], "end": []}
    p_w: list[int] = []
    p_cols: dict[str, list[Any]] = {"year": [], "occ": [], "rank": [], "project": []}
    g_rows, g_cols = [], []
    group_index = {g: i for i, g in enumerate(GROUPS)}
    places = []
    min_wage = np.zeros(n, np.int64)
    outside = np.zeros(n, bool)
    for i, r in enumerate(rows):
        where = f"worker {r.id}"
        places.append(place_of(r.residence_region, f"{where}.residence_region"))
        it = r.intentions or {}
        for k, code in enumerate(it.get("occupations", [])):
            io_w.append(i)
            io_c.append(occ_id(code, f"{where}.intentions.occupations[{k}]"))
            io_o.append(k)
        for k, code in enumerate(it.get("regions", [])):
            place_of(code, f"{where}.intentions.regions[{k}]")
            ir_w.append(i)
            ir_c.append(code)
        min_wage[i] = int(it.get("min_wage", 0) or 0)
        outside[i] = bool(it.get("outside_province", False))
        for k, c in enumerate(r.certificates or []):
            w = f"{where}.certificates[{k}]"
            c_w.append(i)
            c_cols["occ"].append(occ_id(c.get("occupation_code"), w + ".occupation_code"))
            c_cols["rank"].append(rank_of(c.get("level"), w + ".level"))
            c_cols["so"].append(so_id(c.get("special_operation"), w + ".special_operation"))
            c_cols["issued"].append(_day(c, "issued_on", w))
        for k, s in enumerate(r.work_history or []):
            s_w.append(i)
            s_cols["occ"].append(occ_id(s["occupation_code"], f"{where}.work_history[{k}].occupation_code"))
            s_cols["start"].append(_day(s, "start", f"{where}.work_history[{k}]"))
            s_cols["end"].append(_day(s, "end", f"{where}.work_history[{k}]", required=False))
        for k, t in enumerate(r.subsidised_trainings or []):
            w = f"{where}.subsidised_trainings[{k}]"
            p_w.append(i)
            p_cols["year"].append(int(t["year"]))
            p_cols["occ"].append(occ_id(t["occupation_code"], w + ".occupation_code"))
            p_cols["rank"].append(rank_of(t.get("level"), w + ".level"))
            p_cols["project"].append(str(t["project_id"]))
        for g in r.groups or []:
            if g not in group_index:
                raise ValueError(f"{where}.groups: {g!r} is not a priority group ({', '.join(GROUPS)})")
            g_rows.append(i)
            g_cols.append(group_index[g])
        if r.education not in EDUCATION_RANK:
            raise ValueError(f"{where}.education: {r.education!r} is not one of {', '.join(EDUCATIONS)}")
    groups = sparse.csr_matrix((np.ones(len(g_rows), np.float32), (g_rows, g_cols)), shape=(n, len(GROUPS)))
    groups.sum_duplicates()
    groups.data[:] = 1.0
    return Workers(
        id=np.array([r.id for r in rows], np.int64),
        birth=np.array([r.birth_date.toordinal() for r in rows], np.int64),
        sex=np.array([r.sex for r in rows], object),
        ethnicity=np.array([r.ethnicity or "" for r in rows], object),
        residence=np.array([r.residence_region for r in rows], object),
        hukou_region=np.array([r.hukou_region for r in rows], object),
        status=np.array([r.employment_status for r in rows], object),
        county=np.array([p.county for p in places], object),
        lon=np.array([p.lon for p in places], np.float64),
        lat=np.array([p.lat for p in places], np.float64),
        province=np.array([p.province for p in places], object),
        hukou_rural=np.array([r.hukou_type == "rural" for r in rows], bool),
        education=np.array([EDUCATION_RANK[Education(r.education)] for r in rows], np.int8),
        unemployed_since=np.array([ordinal(r.registered_unemployed_since) for r in rows], np.int64),
        pension=np.array([bool(r.receives_pension) for r in rows], bool),
        groups=groups,
        min_wage=min_wage,
        outside_province=outside,
        consent=np.array([bool(r.consent_to_share) for r in rows], bool),
        intent_occ=Ragged.build(n, io_w, {"occ": io_c, "order": io_o}, {"occ": np.int32, "order": np.int8}),
        intent_region=Ragged.build(n, ir_w, {"code": ir_c}, {"code": object}),
        certs=Ragged.build(
            n,
            c_w,
            c_cols,
            {"occ": np.int32, "rank": np.int8, "so": np.int16, "issued": np.int64},
        ),
        spells=Ragged.build(n, s_w, s_cols, {"occ": np.int32, "start": np.int64, "end": np.int64}),
        prior=Ragged.build(
            n, p_w, p_cols, {"year": np.int32, "occ": np.int32, "rank": np.int8, "project": object}
        ),
    )


def load_lines(rows: Sequence[Any], enterprises: dict[int, Any]) -> Lines:
    rows = sorted(rows, key=lambda r: r.id)
    n = len(rows)
    req_r, req_c = [], []
    places = []
    for i, r in enumerate(rows):
        where = f"demand line {r.id}"
        places.append(place_of(r.work_region, f"{where}.work_region"))
        for k, code in enumerate(r.required_certificates or []):
            req_r.append(i)
            req_c.append(so_id(code, f"{where}.required_certificates[{k}]"))
        if r.enterprise_id not in enterprises:
            raise ValueError(f"{where}.enterprise_id: enterprise {r.enterprise_id} is not in the store")
    required = sparse.csr_matrix(
        (np.ones(len(req_r), np.float32), (req_r, req_c)), shape=(n, len(special_operation_codes()))
    )
    required.sum_duplicates()
    required.data[:] = 1.0
    ent = [enterprises[r.enterprise_id] for r in rows]
    return Lines(
        id=np.array([r.id for r in rows], np.int64),
        enterprise_id=np.array([r.enterprise_id for r in rows], np.int64),
        occ=np.array(
            [occ_id(r.occupation_code, f"demand line {r.id}.occupation_code") for r in rows], np.int32
        ),
        rank=np.array(
            [rank_of(r.required_level, f"demand line {r.id}.required_level") for r in rows], np.int8
        ),
        required=required,
        headcount=np.array([r.headcount for r in rows], np.int64),
        wage_min=np.array([r.wage_min for r in rows], np.int64),
        wage_max=np.array([r.wage_max for r in rows], np.int64),
        region=np.array([r.work_region for r in rows], object),
        county=np.array([p.county for p in places], object),
        province=np.array([p.province for p in places], object),
        in_qujing=np.array([p.in_qujing for p in places], bool),
        lon=np.array([p.lon for p in places], np.float64),
        lat=np.array([p.lat for p in places], np.float64),
        start=np.array([r.start_date.toordinal() for r in rows], np.int64),
        end=np.array([r.end_date.toordinal() for r in rows], np.int64),
        order_training=np.array([bool(r.accepts_order_training) for r in rows], bool),
        open=np.array([r.status == "open" for r in rows], bool),
        title=np.array([r.title for r in rows], object),
        description=np.array([r.description or "" for r in rows], object),
        industry=np.array([e.industry for e in ent], object),
        size=np.array([e.size for e in ent], object),
        high_risk=np.array([e.high_risk_sector is not None for e in ent], bool),
        hazards=np.array(
            [
                int(
                    labour.hazards_of(
                        r.occupation_code, f"{r.title} {r.description or ''}", r.required_certificates or ()
                    )
                )
                for r in rows
            ],
            np.int64,
        ),
        cadre=np.array([labour.cadre_post(r.occupation_code) for r in rows], bool),
    )


def load_programmes(
    rows: Sequence[Any], institutions: dict[int, Any], enrolled: Mapping[int, int]
) -> Programmes:
    """Programmes (each a scheduled class) from `ProgrammeRow`-shaped records, with `enrolled` people per id."""
    rows = sorted(rows, key=lambda r: r.id)
    places = [place_of(r.region, f"programme {r.id}.region") for r in rows]
    inst = []
    for r in rows:
        if r.institution_id not in institutions:
            raise ValueError(
                f"programme {r.id}.institution_id: institution {r.institution_id} is not in the store"
            )
        inst.append(institutions[r.institution_id])
    return Programmes(
        id=np.array([r.id for r in rows], np.int64),
        code=np.array([r.code for r in rows], object),
        name=np.array([r.name for r in rows], object),
        mode=np.array([r.mode for r in rows], object),
        occ=np.array(
            [occ_id(r.occupation_code, f"programme {r.id}.occupation_code") for r in rows], np.int32
        ),
        rank=np.array([rank_of(r.target_level, f"programme {r.id}.target_level") for r in rows], np.int8),
        certificate=np.array([r.certificate for r in rows], object),
        so=np.array(
            [so_id(r.special_operation, f"programme {r.id}.special_operation") for r in rows], np.int16
        ),
        days=np.array([r.days for r in rows], np.int64),
        cost=np.array([r.cost_per_person for r in rows], np.int64),
        subsidy=np.array([r.catalogue_subsidy for r in rows], np.int64),
        seats=np.array([r.seats for r in rows], np.int64),
        enrolled=np.array([enrolled.get(r.id, 0) for r in rows], np.int64),
        region=np.array([r.region for r in rows], object),
        county=np.array([p.county for p in places], object),
        lon=np.array([p.lon for p in places], np.float64),
        lat=np.array([p.lat for p in places], np.float64),
        start=np.array([r.start_date.toordinal() for r in rows], np.int64),
        end=np.array([r.end_date.toordinal() for r in rows], np.int64),
        hazards=np.array(
            [
                int(
                    labour.hazards_of(
                        r.occupation_code, r.name, [r.special_operation] if r.special_operation else ()
                    )
                )
                for r in rows
            ],
            np.int64,
        ),
        cadre=np.array([labour.cadre_post(r.occupation_code) for r in rows], bool),
        enterprise_id=np.array(
            [r.enterprise_id if r.enterprise_id is not None else -1 for r in rows], np.int64
        ),
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
    lines = _select(s, DemandLineRow)
    return _resolved(
        load_workers(_select(s, WorkerRow)),
        load_lines(lines, _enterprises(s)),
        load_programmes(_select(s, ProgrammeRow), _institutions(s), {}),
        _enrolments(_select(s, EnrolmentRow)),
        _placements(_select(s, PlacementRow)),
        day,
    )


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
    line_rows = _select(s, DemandLineRow, line_ids)
    lines = _merge(
        city.lines, line_ids, load_lines(line_rows, _enterprises(s, {r.enterprise_id for r in line_rows}))
    )
    worker_ids = ids.get("workers", none)
    workers = _merge(city.workers, worker_ids, load_workers(_select(s, WorkerRow, worker_ids)))
    programmes = city.programmes
    if len(ids.get("programmes", none)) or len(ids.get("institutions", none)):
        programmes = load_programmes(_select(s, ProgrammeRow), _institutions(s), {})
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
        _enrolments(_select(s, EnrolmentRow, e_ids)),
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
        _placements(_select(s, PlacementRow, p_ids)),
    )
    return _resolved(workers, lines, programmes, enrolments, placements, day)


_EXCLUDED = {WorkerRow: {"name", "id_hash", "id_masked", "created_at"}, DemandLineRow: {"created_at"}}
_IN_CHUNK = 5000


def _select(s: Session, table: Any, ids: np.ndarray | None = None) -> list[Any]:
    """The rows matching reads of `table`, all or those with `ids`, ordered by id."""
    query = select(*_columns(table, _EXCLUDED.get(table, frozenset()))).order_by(table.id)
    if ids is None:
        return list(s.execute(query).all())
    out: list[Any] = []
    for i in range(0, len(ids), _IN_CHUNK):
        out += s.execute(query.where(table.id.in_(ids[i : i + _IN_CHUNK].tolist()))).all()
    return out


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


def _enrolments(rows: Sequence[Any]) -> Enrolments:
    """Enrolments with their worker and programme as ids (`_resolved` turns them into rows)."""
    return Enrolments(
        id=np.array([r.id for r in rows], np.int64),
        worker=np.array([r.worker_id for r in rows], np.int64),
        programme=np.array([r.programme_id for r in rows], np.int64),
        start=np.array([r.start_date.toordinal() for r in rows], np.int64),
        end=np.array([r.end_date.toordinal() for r in rows], np.int64),
        completed=np.array([bool(r.completed) for r in rows], bool),
        cert_date=np.array([ordinal(r.certificate_date) for r in rows], np.int64),
    )


def _placements(rows: Sequence[Any]) -> Placements:
    """Referrals with their worker, line and enrolment (-1 none) as ids."""
    return Placements(
        id=np.array([r.id for r in rows], np.int64),
        worker=np.array([r.worker_id for r in rows], np.int64),
        line=np.array([r.demand_line_id for r in rows], np.int64),
        enrolment=np.array([-1 if r.enrolment_id is None else r.enrolment_id for r in rows], np.int64),
        referred=np.array([r.referred_on.toordinal() for r in rows], np.int64),
        hired=np.array([bool(r.hired) for r in rows], bool),
        retained=np.array([bool(r.retained_6m) for r in rows], bool),
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
