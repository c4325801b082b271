"""The sample city as the matching model reads it, and the small city the model's test modules share.

`small_city(tmp_path_factory)` builds a 2,500-worker city once per test session into the session's temp
directory and `small_models(...)` trains a model on it once; each model test module takes them through
its own module-scoped fixtures.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from matcher.model.codes import occupation_distances, occupation_index
from matcher.model.dates import NEVER, years_between
from matcher.model.features import worker_profiles
from matcher.model.snapshot import load_city, load_workers
from matcher.store import migrate, session_scope
from matcher.store.tables import PlacementRow, WorkerRow

CITY_WORKERS = 2_500


def small_city(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a 2,500-worker sample city (seed 1), built on first use in this session."""
    from matcher.synth import build_city

    path = tmp_path_factory.getbasetemp() / "model_city" / "city.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        migrate(url)
        build_city(n_workers=CITY_WORKERS, seed=1, url=url, progress=False)
    return url


def small_models(tmp_path_factory: pytest.TempPathFactory, url: str) -> Path:
    """A models directory holding a model trained on `url`, trained on first use in this session."""
    from matcher.model.release import train_model

    out = tmp_path_factory.getbasetemp() / "model_city" / "models"
    if not (out / "manifest.json").exists():
        train_model(url, out)
    return out


@pytest.fixture(scope="module")
def city_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_city(tmp_path_factory)


@pytest.fixture(scope="module")
def city(city_url: str):  # type: ignore[no-untyped-def]
    return load_city(city_url)


def test_snapshot_matches_the_store(city, city_url):  # type: ignore[no-untyped-def]
    with session_scope(city_url) as s:
        workers = s.scalars(select(WorkerRow).order_by(WorkerRow.id).limit(50)).all()
        referrals = s.scalar(select(PlacementRow.id).order_by(PlacementRow.id.desc()).limit(1))
    assert len(city.workers) == CITY_WORKERS
    assert city.placements.id[-1] == referrals
    for row in workers:
        i = int(city.worker_rows([row.id])[0])
        certs = city.workers.certs
        assert certs.counts()[i] == len(row.certificates)
        issued = sorted(certs["issued"][certs.offsets[i] : certs.offsets[i + 1]].tolist())
        assert issued == sorted(date.fromisoformat(c["issued_on"]).toordinal() for c in row.certificates)
        assert city.workers.min_wage[i] == row.intentions["min_wage"]
        assert city.workers.birth[i] == row.birth_date.toordinal()


def test_every_referral_is_to_a_line_and_by_a_worker_of_the_city(city):  # type: ignore[no-untyped-def]
    p = city.placements
    assert len(p) > 1_000
    assert p.worker.max() < len(city.workers) and p.line.max() < len(city.lines)
    assert not (p.retained & ~p.hired).any()  # retained only after a hire


def test_unknown_ids_are_refused_by_name(city):  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError, match="worker id 999999999"):
        city.worker_rows([999_999_999])


def worker_columns(**changed: list) -> dict[str, list]:
    """The columns of two workers (ids 7 and 8) as the store gives them to `load_workers`, some `changed`."""
    skilled = {
        "kind": "skill_level",
        "occupation_code": "6-30-05-01",
        "level": 4,
        "special_operation": None,
        "issued_on": "2011-09-24",
    }
    return {
        "id": [7, 8],
        "birth_date": ["1980-05-01", "1990-02-03"],
        "sex": ["M", "F"],
        "ethnicity": [None, "汉族"],
        "residence_region": ["530302", "530302"],
        "hukou_region": ["530302", "530302"],
        "hukou_type": ["rural", "urban"],
        "county": ["530302", "530302"],
        "education": ["primary", "primary"],
        "employment_status": ["unemployed", "employed"],
        "registered_unemployed_since": ["2020-01-01", None],
        "receives_pension": [0, 0],
        "consent_to_share": [1, 0],
        "intentions": [{"occupations": ["4-14-01-03"], "regions": ["530302"]}, {}],
        "certificates": [[], [skilled]],
        "work_history": [[], []],
        "groups": [["rural_transfer"], []],
        "subsidised_trainings": [[], []],
    } | changed


def test_a_bad_value_in_a_record_is_refused_naming_the_record() -> None:
    workers = load_workers(worker_columns())
    assert workers.certs["kind"].tolist() == ["skill_level"]
    assert workers.intent_occ.counts().tolist() == [1, 0]
    assert workers.unemployed_since[1] == NEVER
    bad_occupation = [{}, {"occupations": ["4-14-01-03", "9-99"]}]
    with pytest.raises(ValueError, match=r"worker 8\.intentions\.occupations\[1\]: '9-99' is not"):
        load_workers(worker_columns(intentions=bad_occupation))
    bad_day = [[], [{"occupation_code": "6-30-05-01", "start": "2011-13-24", "end": None}]]
    with pytest.raises(ValueError, match=r"worker 8\.work_history\[0\]\.start: '2011-13-24' is not an ISO"):
        load_workers(worker_columns(work_history=bad_day))
    with pytest.raises(ValueError, match=r"worker 7\.groups: 'rich' is not a priority group"):
        load_workers(worker_columns(groups=[["rural_transfer", "rich"], []]))


def test_worker_state_at_a_date_never_sees_later_certificates(city):  # type: ignore[no-untyped-def]
    """A credential dated D is invisible on D and visible the day after: the model cannot peek ahead."""
    cr = city.credentials
    dated = np.flatnonzero((cr["date"] != NEVER) & (cr["occ"] >= 0))
    assert len(dated)
    owners = cr.owner()
    checked = 0
    for k in dated[:200].tolist():
        w, d, occ = int(owners[k]), int(cr["date"][k]), int(cr["occ"][k])
        others = [j for j in range(cr.offsets[w], cr.offsets[w + 1]) if cr["occ"][j] == occ and j != k]
        spells = city.workers.spells
        intents = city.workers.intent_occ
        if (
            others
            or occ in spells["occ"][spells.offsets[w] : spells.offsets[w + 1]].tolist()
            or occ in intents["occ"][intents.offsets[w] : intents.offsets[w + 1]].tolist()
        ):
            continue  # the occupation is known from another source
        code = [c for c, i in occupation_index().items() if i == occ][0]
        before, after = worker_profiles(city, [w, w], np.array([d, d + 1]))
        assert code not in dict(before.occupations)
        assert code in dict(after.occupations)
        checked += 1
    assert checked >= 10


def test_tree_distance_and_calendar_age_match_the_reference() -> None:
    from matcher import reference as ref
    from matcher.model.codes import occupation_codes

    rng = np.random.default_rng(0)
    a, b = rng.integers(0, len(occupation_codes()), 300), rng.integers(0, len(occupation_codes()), 300)
    got = occupation_distances(a, b)
    want = [ref.occupation_distance(occupation_codes()[x], occupation_codes()[y]) for x, y in zip(a, b)]
    assert got.tolist() == want
    births = np.array([date(2000, 2, 29).toordinal(), date(1962, 6, 30).toordinal()])
    on = np.array([date(2016, 2, 28).toordinal(), date(2022, 6, 30).toordinal()])
    assert years_between(births, on).tolist() == [15, 60]
