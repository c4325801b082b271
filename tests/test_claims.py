"""The claims ledger: stored once, refused with the article, fraud signals, the special account."""

from datetime import date

import pytest
from sqlalchemy import func, select

from matcher.claims import file_claim, fraud_signals, special_account
from matcher.domain import Enterprise, TrainingInstitution, TrainingProgramme, WorkerProfile
from matcher.records import save_enterprise, save_institution, save_programme, save_worker
from matcher.store import session_scope
from matcher.store.tables import EnrolmentRow, SubsidyClaimRow
from tests.api_helpers import credit_code, id_number

CODE = credit_code(1)


def programme(code: str, occupation: str, level: int, seats: int = 30) -> TrainingProgramme:
    return TrainingProgramme(
        code=code,
        institution_code="I-1",
        name=f"{code} 培训班",
        mode="project_based",
        occupation_code=occupation,
        target_level=level,
        certificate="skill_level",
        days=20,
        cost_per_person=2000,
        catalogue_subsidy=1600,
        seats=seats,
        region="530302",
        start_date=date(2019, 1, 1),
        end_date=date(2021, 12, 31),
    )


@pytest.fixture
def city(db_url):
    """One unemployed worker on 低保, one tendered institution, four programmes."""
    with session_scope(db_url) as s:
        save_enterprise(
            s, Enterprise(credit_code=CODE, name="曲靖某厂", industry="C", region="530302", size="small")
        )
        save_institution(
            s,
            TrainingInstitution(
                code="I-1",
                name="曲靖高级技工学校",
                kind="技工院校",
                region="530302",
                total_seats=500,
                tendered=True,
            ),
        )
        for code, occ, level in (
            ("P-WELD", "6-18-02-04", 4),
            ("P-ELEC", "6-31-01-03", 4),
            ("P-COOK", "4-03-02-01", 5),
            ("P-CARE", "4-10-01-05", 5),
        ):
            save_programme(s, programme(code, occ, level))
        worker, _ = save_worker(
            s,
            WorkerProfile(
                id_number=id_number(seq=321),
                name="赵六",
                hukou_region="530302",
                hukou_type="rural",
                residence_region="530302001",
                education="junior_middle",
                employment_status="unemployed",
                registered_unemployed_since=date(2019, 1, 10),
                groups=["dibao"],
            ),
        )
        return db_url, worker.id


def enrol(url, worker_id, code, start, end, cert):
    from matcher.store.tables import ProgrammeRow

    with session_scope(url) as s:
        pid = s.scalar(select(ProgrammeRow.id).where(ProgrammeRow.code == code))
        row = EnrolmentRow(
            worker_id=worker_id,
            programme_id=pid,
            start_date=start,
            end_date=end,
            completed=cert is not None,
            certificate_date=cert,
        )
        s.add(row)
        s.flush()
        return row.id


def claims(url):
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(SubsidyClaimRow))


def test_claim_is_stored_once_and_the_duplicate_refused(city):
    url, wid = city
    eid = enrol(url, wid, "P-WELD", date(2020, 3, 2), date(2020, 3, 31), date(2020, 4, 10))
    with session_scope(url) as s:
        first = file_claim(s, eid)
    assert first.accepted and first.decision.eligible
    items = {i.item: i for i in first.decision.items}
    assert items["free_training"].amount == 1600 and items["free_training"].article == "十七"
    assert items["living_allowance"].article == "十八"  # 低保 and unemployed: employment difficulty (四)
    stored = claims(url)
    with session_scope(url) as s:
        again = file_claim(s, eid)
    assert not again.accepted
    assert ("project_not_claimed", "二十三") in {(d.rule, d.article) for d in again.decision.denials}
    assert claims(url) == stored


def test_fourth_training_in_a_year_is_refused(city):
    url, wid = city
    courses = [("P-WELD", 3), ("P-ELEC", 5), ("P-COOK", 7), ("P-CARE", 9)]
    results = []
    for code, month in courses:
        eid = enrol(url, wid, code, date(2020, month, 1), date(2020, month, 20), date(2020, month, 25))
        with session_scope(url) as s:
            results.append(file_claim(s, eid))
    assert [r.accepted for r in results] == [True, True, True, False]
    assert ("annual_limit", "十六") in {(d.rule, d.article) for d in results[3].decision.denials}


def test_no_certificate_no_training_subsidy(city):
    url, wid = city
    eid = enrol(url, wid, "P-WELD", date(2020, 3, 2), date(2020, 3, 31), None)
    with session_scope(url) as s:
        result = file_claim(s, eid)
    assert not result.accepted
    assert "十六" in {d.article for d in result.decision.denials}
    assert claims(url) == 0


def test_fraud_signals(city):
    url, wid = city
    enrol(url, wid, "P-WELD", date(2020, 3, 1), date(2020, 3, 31), date(2020, 3, 2))
    enrol(
        url, wid, "P-ELEC", date(2020, 3, 20), date(2020, 4, 20), date(2020, 3, 1)
    )  # overlaps; cert before start
    with session_scope(url) as s:
        kinds = {sig.kind for sig in fraud_signals(s)}
    assert kinds == {"overlapping_classes", "certificate_before_training"}


def test_class_over_its_seats_is_flagged(city):
    url, wid = city
    from matcher.store.tables import ProgrammeRow

    with session_scope(url) as s:
        s.execute(ProgrammeRow.__table__.update().where(ProgrammeRow.code == "P-COOK").values(seats=1))
    other = None
    with session_scope(url) as s:
        other, _ = save_worker(
            s,
            WorkerProfile(
                id_number=id_number(seq=322),
                name="钱七",
                hukou_region="530302",
                hukou_type="urban",
                residence_region="530302001",
                education="senior_middle",
                employment_status="employed",
            ),
        )
        other = other.id
    for w in (wid, other):
        enrol(url, w, "P-COOK", date(2020, 6, 1), date(2020, 6, 20), date(2020, 6, 25))
    with session_scope(url) as s:
        signals = fraud_signals(s)
    assert [sig.kind for sig in signals] == ["class_over_seats"]
    assert signals[0].records["trainees"] == 2


def test_special_account_by_county_and_article(city):
    url, wid = city
    eid = enrol(url, wid, "P-WELD", date(2020, 3, 2), date(2020, 3, 31), date(2020, 4, 10))
    with session_scope(url) as s:
        result = file_claim(s, eid)
        account = special_account(s, 2020)
    total = sum(i.amount for i in result.decision.items if not i.part_of)
    assert sum(row["amount"] for row in account) == round(total)
    assert {row["article"] for row in account} == {i.article for i in result.decision.items if not i.part_of}
    assert all(row["county"] == "530302" and row["county_name"] == "麒麟区" for row in account)
    with session_scope(url) as s:
        assert special_account(s, 2019) == []
