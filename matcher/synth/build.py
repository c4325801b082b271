"""Writing the sample city into the store: one transaction, bulk inserts (or PostgreSQL's COPY FROM STDIN),
workers in fixed-size chunks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any, cast

import numpy as np
import psycopg
from sqlalchemy import JSON, Connection, Table, delete, func, insert, select, text
from tqdm import tqdm

from matcher.calendar import TODAY_FACT
from matcher.ids import hash_id_number, mask_id_number
from matcher.store import engine, migrate
from matcher.store.tables import (
    Base,
    DemandLineRow,
    EnrolmentRow,
    EnterpriseRow,
    InstitutionRow,
    PlacementRow,
    ProgrammeRow,
    StoreFactRow,
    SubsidyClaimRow,
    SynthTruthRow,
    WorkerRow,
)
from matcher.synth import places
from matcher.synth.employers import build_employers
from matcher.synth.history import History, LinePools, simulate
from matcher.synth.params import job_codes, params, special_items
from matcher.synth.people import (
    CERT_KINDS,
    EDUCATIONS,
    GROUPS,
    STATUSES,
    Core,
    Profiles,
    core,
    ethnic_codes,
    hukou_codes,
    profiles,
    spell_codes,
    town_codes,
)
from matcher.synth.sampling import iso_day, to_dates
from matcher.synth.training import (
    Classes,
    Programmes,
    build_institutions,
    build_programmes,
    schedule_upcoming,
)

WORKER_CHUNK = 50_000
"""Workers generated and written together; fixed, so that a city depends only on its size and seed."""
INSERT_CHUNK = 10_000
MIN_WORKERS = 100
QUJING_CITY = "530300"

_TABLES: tuple[type[Base], ...] = (
    SynthTruthRow,
    PlacementRow,
    SubsidyClaimRow,
    EnrolmentRow,
    ProgrammeRow,
    InstitutionRow,
    WorkerRow,
    DemandLineRow,
    EnterpriseRow,
)
"""Every table the generator fills or that points at its rows, children before parents."""


class CityExistsError(ValueError):
    """The database already holds a city (or other rows the generator would collide with)."""


def build_city(
    n_workers: int = 60_000,
    seed: int = 1,
    url: str | None = None,
    progress: bool = True,
    replace: bool = False,
    copy: bool = False,
) -> dict[str, int]:
    """Generate the sample city of `n_workers` workers from `seed` and write it to the store at `url`.

    Everything is written in one transaction, with the store fact `today` (the day the city stands on):
    on any error nothing is left behind. A database that already holds workers, enterprises or any other
    of the generator's tables is refused unless `replace` is true, in which case those rows (and subsidy
    claims, which point at workers) are deleted first in the same transaction. With `copy` (PostgreSQL only)
    rows go in by COPY FROM STDIN instead of INSERT statements (the same rows; for a province). Returns the number of rows written per table.
    """
    if n_workers < MIN_WORKERS:
        raise ValueError(f"n_workers must be at least {MIN_WORKERS}, got {n_workers}")
    migrate(url)
    write = _copy if copy else _insert_rows
    n_chunks = -(-n_workers // WORKER_CHUNK)
    counts = {t.__tablename__: 0 for t in reversed(_TABLES) if t is not SubsidyClaimRow}
    with (
        tqdm(total=3 + 3 * n_chunks, desc="生成示例城市", unit="步", disable=not progress) as bar,
        engine(url).begin() as conn,
    ):
        if copy and conn.dialect.name != "postgresql":
            raise ValueError(
                "批量复制（copy）只能写入 PostgreSQL 数据库：请把 DATABASE_URL 设为 postgresql+psycopg://…，或去掉 --copy"
            )
        _clear_or_refuse(conn, replace)
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        try:
            bar.set_postfix_str("enterprises and demand lines")
            employers = build_employers(n_workers, seed)
            counts["enterprises"] = write(conn, EnterpriseRow, employers.enterprise_rows())
            counts["demand_lines"] = write(conn, DemandLineRow, employers.line_rows())
            bar.update()
            bar.set_postfix_str("training catalogue")
            inst = build_institutions(employers, seed)
            programmes = build_programmes(employers, inst, seed)
            classes = schedule_upcoming(programmes, seed)
            counts["institutions"] = write(conn, InstitutionRow, inst.rows())
            counts["programmes"] = write(conn, ProgrammeRow, classes.rows(programmes, 0, len(classes)))
            bar.update()
            bar.set_postfix_str("population")
            people = core(n_workers, seed)
            pools = LinePools(employers)
            bar.update()
            for chunk, lo in enumerate(range(0, n_workers, WORKER_CHUNK)):
                hi = min(lo + WORKER_CHUNK, n_workers)
                bar.set_postfix_str(f"workers {lo + 1:,}–{hi:,}: profiles")
                prof = profiles(people, lo, hi, seed, chunk)
                bar.update()
                bar.set_postfix_str(f"workers {lo + 1:,}–{hi:,}: history")
                opened = len(classes)
                hist = simulate(prof, people, employers, programmes, classes, pools, seed, chunk)
                bar.update()
                bar.set_postfix_str(f"workers {lo + 1:,}–{hi:,}: writing")
                enrol_base, place_base = counts["enrolments"], counts["placements"]
                counts["programmes"] += write(
                    conn, ProgrammeRow, classes.rows(programmes, opened, len(classes))
                )
                counts["workers"] += write(
                    conn, WorkerRow, _worker_rows(people, prof, hist, programmes, classes)
                )
                counts["enrolments"] += write(conn, EnrolmentRow, _enrolment_rows(prof, hist, enrol_base))
                counts["placements"] += write(
                    conn, PlacementRow, _placement_rows(prof, hist, enrol_base, place_base)
                )
                counts["synth_truth"] += write(conn, SynthTruthRow, _truth_rows(hist, place_base))
                bar.update()
            conn.execute(
                insert(_table(StoreFactRow)), [{"key": TODAY_FACT, "value": params()["survey_date"]}]
            )
            _advance_sequences(conn)
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA cache_size=-2000")
    return counts


def _clear_or_refuse(conn: Connection, replace: bool) -> None:
    held = {
        t.__tablename__: conn.execute(select(func.count()).select_from(t.__table__)).scalar_one()
        for t in _TABLES
    }
    held = {k: v for k, v in held.items() if v}
    conn.execute(delete(_table(StoreFactRow)).where(StoreFactRow.key == TODAY_FACT))
    if not held:
        return
    if not replace:
        listing = ", ".join(f"{v:,} {k}" for k, v in held.items())
        raise CityExistsError(
            f"the database already holds {listing}; pass replace=True to delete them and build a new sample city"
        )
    for t in _TABLES:
        conn.execute(delete(_table(t)))


def _advance_sequences(conn: Connection) -> None:
    """On PostgreSQL, move each id sequence past the explicit ids written (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    for t in _TABLES:
        name = t.__tablename__
        if "id" in t.__table__.c:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                )
            )


def _table(row_type: type[Base]) -> Table:
    return cast(Table, row_type.__table__)


def _insert_rows(conn: Connection, row_type: type[Base], rows: Iterable[dict]) -> int:
    table = _table(row_type)
    n = 0
    for batch in _batches(rows, INSERT_CHUNK):
        conn.execute(insert(table), batch)
        n += len(batch)
    return n


def _copy(conn: Connection, row_type: type[Base], rows: Iterable[dict]) -> int:
    """Write `rows` with PostgreSQL's COPY FROM STDIN on the connection's own transaction: each column as an
    INSERT would write it (JSON as SQLAlchemy serialises it, a Python-side default where a row has no value;
    columns with a server default and no value are left to the server)."""
    table = _table(row_type)
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    columns = [
        c for c in table.columns if c.name in first or c.default is not None or c.server_default is None
    ]
    dumps = conn.dialect._json_serializer or json.dumps  # type: ignore[attr-defined]

    def cell(column: Any, row: dict) -> Any:
        if column.name not in row:
            return column.default.arg if column.default is not None else None
        value = row[column.name]
        return dumps(value) if isinstance(column.type, JSON) and value is not None else value

    names = ", ".join(f'"{c.name}"' for c in columns)
    n = 0
    raw = cast(psycopg.Connection, conn.connection.driver_connection)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as out:
        for row in chain([first], rows):
            out.write_row([cell(c, row) for c in columns])
            n += 1
    return n


def _batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for r in rows:
        batch.append(r)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _worker_rows(
    c: Core, prof: Profiles, hist: History, programmes: Programmes, classes: Classes
) -> Iterator[dict]:
    """The chunk's worker rows; JSON columns hold exactly the domain sub-models' JSON dumps."""
    lo, hi = prof.lo, prof.hi
    codes = job_codes()
    items = special_items()
    kinds = [k.value for k in CERT_KINDS]
    units = places.units()
    s_codes, h_codes, t_codes = spell_codes(), hukou_codes(), town_codes()
    cities = places.partner_cities()[0]
    births = to_dates(c.birth[lo:hi])
    registered = prof.registered.tolist()
    reg_dates = to_dates(np.where(prof.registered > 0, prof.registered, c.birth[lo:hi]))
    trainings = _trainings_by_worker(hist, programmes, classes)
    ethnic = ethnic_codes()

    id_numbers = c.id_numbers(lo, hi)
    cert_kind, cert_occ, cert_level = (
        prof.cert_kind.tolist(),
        prof.cert_occ.tolist(),
        prof.cert_level.tolist(),
    )
    cert_item, cert_date = prof.cert_item.tolist(), prof.cert_date.tolist()
    sp_occ, sp_region = prof.spell_occ.tolist(), prof.spell_region.tolist()
    sp_start, sp_end = prof.spell_start.tolist(), prof.spell_end.tolist()
    intent = prof.intent_occ.tolist()
    pref = prof.cities.tolist()
    for i in range(hi - lo):
        g = lo + i
        number = id_numbers[i]
        unit = units[int(c.unit[g])]
        certs = sorted(
            [
                (
                    cert_date[i][k],
                    {
                        "kind": kinds[cert_kind[i][k]],
                        "occupation_code": codes[cert_occ[i][k]] if cert_occ[i][k] >= 0 else None,
                        "level": cert_level[i][k] or None,
                        "special_operation": items[cert_item[i][k]] if cert_item[i][k] >= 0 else None,
                        "issued_on": iso_day(cert_date[i][k]),
                    },
                )
                for k in range(len(cert_kind[i]))
                if cert_kind[i][k] >= 0
            ],
            key=lambda dated: dated[0],
        )
        held, prior = trainings.get(i, ([], []))
        regions = [unit.code]
        if unit.code != unit.registry_code:
            regions.append(unit.registry_code)
        if prof.whole_city[i]:
            regions.append(QUJING_CITY)
        regions += [cities[k] for k in pref[i] if k >= 0]
        yield {
            "id": g + 1,
            "id_hash": hash_id_number(number),
            "id_masked": mask_id_number(number),
            "name": prof.names[i],
            "birth_date": births[i],
            "sex": "M" if c.male[g] else "F",
            "hukou_region": h_codes[c.hukou[g]],
            "hukou_type": "rural" if c.rural[g] else "urban",
            "residence_region": t_codes[c.town[g]],
            "ethnicity": ethnic[prof.ethnicity[i]],
            "county": unit.code,
            "education": EDUCATIONS[prof.education[i]].value,
            "employment_status": STATUSES[prof.status[i]].value,
            "registered_unemployed_since": reg_dates[i] if registered[i] > 0 else None,
            "receives_pension": bool(prof.pension[i]),
            "certificates": [c_ for _, c_ in certs] + held,
            "work_history": [
                {
                    "occupation_code": codes[sp_occ[i][s]],
                    "region": s_codes[sp_region[i][s]],
                    "start": iso_day(sp_start[i][s]),
                    "end": iso_day(sp_end[i][s]) if sp_end[i][s] >= 0 else None,
                }
                for s in range(len(sp_occ[i]))
                if sp_occ[i][s] >= 0
            ],
            "intentions": {
                "occupations": [codes[o] for o in intent[i] if o >= 0],
                "regions": regions,
                "outside_province": bool(prof.outside[i]),
                "min_wage": int(prof.min_wage[i]),
                "start_business": bool(prof.start_business[i]),
            },
            "groups": sorted(g_.value for k, g_ in enumerate(GROUPS) if prof.groups[i] >> k & 1),
            "subsidised_trainings": prior,
            "consent_to_share": bool(prof.consent[i]),
        }


def _trainings_by_worker(
    hist: History, programmes: Programmes, classes: Classes
) -> dict[int, tuple[list[dict], list[dict]]]:
    """For each worker with completed trainings: the certificates they earned and the PriorTraining records."""
    codes = job_codes()
    items = special_items()
    out: dict[int, tuple[list[dict], list[dict]]] = {}
    done = np.flatnonzero(hist.enr_completed)
    order = done[np.lexsort((hist.enr_end[done], hist.enr_worker[done]))]
    for e in order.tolist():
        w, q, end, year, k = (
            int(hist.enr_worker[e]),
            int(hist.enr_programme[e]),
            int(hist.enr_end[e]),
            int(hist.enr_year[e]),
            int(hist.enr_class[e]),
        )
        kind = programmes.certificate[q]
        level = int(programmes.level[q]) or None
        item = int(programmes.item[q])
        occ = codes[programmes.occupation[q]]
        held, prior = out.setdefault(w, ([], []))
        held.append(
            {
                "kind": kind,
                "occupation_code": None if kind == "special_operation" else occ,
                "level": level,
                "special_operation": items[item] if item >= 0 else None,
                "issued_on": iso_day(end),
            }
        )
        prior.append(
            {
                "year": year,
                "occupation_code": occ,
                "level": level,
                "project_id": classes.code[k],
            }
        )
    return out


def _enrolment_rows(prof: Profiles, hist: History, base: int) -> Iterator[dict]:
    starts, ends = to_dates(hist.enr_start), to_dates(hist.enr_end)
    for k, (w, q, done) in enumerate(
        zip(hist.enr_worker.tolist(), hist.enr_class.tolist(), hist.enr_completed.tolist())
    ):
        yield {
            "id": base + k + 1,
            "worker_id": prof.lo + w + 1,
            "programme_id": q + 1,
            "start_date": starts[k],
            "end_date": ends[k],
            "completed": done,
            "certificate_date": ends[k] if done else None,
        }


def _placement_rows(prof: Profiles, hist: History, enrol_base: int, base: int) -> Iterator[dict]:
    dates = to_dates(hist.ref_date)
    for k, (w, line, e, hired, kept) in enumerate(
        zip(
            hist.ref_worker.tolist(),
            hist.ref_line.tolist(),
            hist.ref_enrolment.tolist(),
            hist.hired.tolist(),
            hist.retained.tolist(),
        )
    ):
        yield {
            "id": base + k + 1,
            "worker_id": prof.lo + w + 1,
            "demand_line_id": line + 1,
            "enrolment_id": enrol_base + e + 1 if e >= 0 else None,
            "referred_on": dates[k],
            "hired": hired,
            "retained_6m": None if kept < 0 else bool(kept),
        }


def _truth_rows(hist: History, base: int) -> Iterator[dict]:
    for k, p in enumerate(hist.p_true.tolist()):
        yield {"placement_id": base + k + 1, "p_true": p}
