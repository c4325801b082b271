"""Only the library's own refusals cross the API as client errors, each naming the field and the fix."""

from tests.api_helpers import client, token


def test_what_the_library_refuses_answers_422_naming_the_field(db_url):
    """Only the library's own refusals become client errors; each names the field and the fix."""
    c = client(db_url)
    bureau = token(db_url, "bureau")
    programme = {
        "code": "QJZ00001",
        "institution_code": "PX-NONE",
        "name": "焊工（中级）",
        "mode": "project_based",
        "occupation_code": "6-18-02-04",
        "target_level": 4,
        "certificate": "skill_level",
        "days": 20,
        "cost_per_person": 1500,
        "catalogue_subsidy": 1500,
        "seats": 30,
        "region": "530302",
        "start_date": "2022-09-01",
        "end_date": "2022-09-30",
    }
    r = c.post("/v1/programmes", json=programme, headers=bureau)
    assert r.status_code == 422 and r.json()["detail"].startswith("institution_code：培训机构 PX-NONE 未登记")
    r = c.get("/v1/occupations/search", params={"q": "（、）"}, headers=bureau)
    assert r.status_code == 422 and "岗位名称" in r.json()["detail"]
