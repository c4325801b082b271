"""Only the library's own refusals cross the API as client errors, each naming the field and the fix."""

from tests.api_helpers import client, programme_body, token


def test_what_the_library_refuses_answers_422_naming_the_field(db_url):
    """Only the library's own refusals become client errors; each names the field and the fix."""
    c = client(db_url)
    bureau = token(db_url, "bureau")
    r = c.post("/v1/programmes", json=programme_body("QJZ00001", "PX-NONE"), headers=bureau)
    assert r.status_code == 422 and r.json()["detail"].startswith("institution_code：培训机构 PX-NONE 未登记")
    r = c.get("/v1/occupations/search", params={"q": "（、）"}, headers=bureau)
    assert r.status_code == 422 and "岗位名称" in r.json()["detail"]
