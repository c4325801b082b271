"""Every refusal of the main create and update routes speaks Chinese and names the field to fix."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api_helpers import client, credit_code, enterprise_body, line_body, token, worker_body
from tests.test_policy import base_case

CJK = re.compile(r"[\u4e00-\u9fff]")
QUOTED = re.compile(r"'[^']*'|\b[a-z][a-z0-9]*(?:[_.][a-z0-9]+)+\b")  # values and field names quoted back
ENGLISH = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")


def problems(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    return detail if isinstance(detail, list) else [{"field": "", "message": detail}]


def assert_chinese_at(answer: Any, field: str) -> None:
    """A 422 whose problems are all in Chinese, one of them at `field`, naming it or saying what it holds."""
    found = problems(answer)
    for p in found:
        assert CJK.search(p["message"]), p
        assert not ENGLISH.search(QUOTED.sub("", p["message"])), p
    assert any(p["field"].split(".")[-1] == field or p["field"].endswith(f".{field}") for p in found), found


def test_bad_values_are_refused_in_chinese_at_their_field(db_url: str) -> None:
    c = client(db_url)
    bureau, counselor = token(db_url, "bureau"), token(db_url, "counselor", county="530302")
    firm = enterprise_body(1)
    enterprise = c.post("/v1/enterprises", json=firm, headers=bureau).json()["id"]
    line = c.post("/v1/demand-lines", json=line_body(firm["credit_code"]), headers=bureau).json()["id"]
    worker = c.post("/v1/workers", json=worker_body(), headers=counselor).json()["id"]
    wrong_check = firm["credit_code"][:-1] + ("0" if firm["credit_code"][-1] != "0" else "1")
    cases: list[tuple[str, str, dict[str, Any], dict[str, str], str]] = [
        ("POST", "/v1/enterprises", {**enterprise_body(2), "industry": "Z"}, bureau, "industry"),
        (
            "POST",
            "/v1/enterprises",
            {**enterprise_body(3), "credit_code": wrong_check},
            bureau,
            "credit_code",
        ),
        ("POST", "/v1/enterprises", {**enterprise_body(4), "region": "999999"}, bureau, "region"),
        ("POST", "/v1/enterprises", {**enterprise_body(5), "size": "huge"}, bureau, "size"),
        ("PATCH", f"/v1/enterprises/{enterprise}", {"industry": "Z"}, bureau, "industry"),
        ("POST", "/v1/demand-lines", line_body(firm["credit_code"], "L2", wage_max=3000), bureau, "wage_max"),
        (
            "POST",
            "/v1/demand-lines",
            line_body(firm["credit_code"], "L3", end_date="2022-01-01"),
            bureau,
            "end_date",
        ),
        (
            "POST",
            "/v1/demand-lines",
            line_body(firm["credit_code"], "L4", occupation_code="9-99-99-99"),
            bureau,
            "occupation_code",
        ),
        (
            "POST",
            "/v1/demand-lines",
            line_body(firm["credit_code"], "L5", work_region="110000"),
            bureau,
            "work_region",
        ),
        (
            "POST",
            "/v1/demand-lines",
            line_body(firm["credit_code"], "L6", required_certificates=["99.9"]),
            bureau,
            "required_certificates",
        ),
        ("POST", "/v1/demand-lines", line_body(credit_code(9)[:-1] + "I", "L7"), bureau, "enterprise_code"),
        ("PATCH", f"/v1/demand-lines/{line}", {"wage_min": 9000}, bureau, "wage_max"),
        ("PATCH", f"/v1/demand-lines/{line}", {"headcount": 0}, bureau, "headcount"),
        ("POST", "/v1/workers", worker_body(seq=124, id_number="530302199001011234"), counselor, "id_number"),
        ("POST", "/v1/workers", worker_body(seq=125, education="phd"), counselor, "education"),
        (
            "POST",
            "/v1/workers",
            worker_body(seq=126, employment_status="employed", registered_unemployed_since="2020-01-01"),
            counselor,
            "registered_unemployed_since",
        ),
        ("PATCH", f"/v1/workers/{worker}", {"residence_region": "110101001"}, counselor, "residence_region"),
        (
            "PATCH",
            f"/v1/workers/{worker}",
            {"certificates": [{"kind": "skill_level", "issued_on": "2020-01-01"}]},
            counselor,
            "occupation_code",
        ),
        ("POST", "/v1/plans", {"counties": ["999999"]}, bureau, "counties"),
        ("POST", "/v1/plans", {"priority_weights": {"veteran": 0.5}}, bureau, "priority_weights"),
        ("POST", "/v1/plans", {"min_class_size": 0}, bureau, "min_class_size"),
    ]
    for method, path, body, who, field in cases:
        assert_chinese_at(c.request(method, path, json=body, headers=who), field)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"wage_min": 7000, "wage_max": 6500}, "wage_max"), ({"start_date": "2023-01-01"}, "end_date")],
)
def test_a_rule_over_the_whole_record_names_its_field_in_the_message(
    db_url: str, body: dict[str, Any], field: str
) -> None:
    c = client(db_url)
    bureau = token(db_url, "bureau")
    firm = enterprise_body(1)
    assert c.post("/v1/enterprises", json=firm, headers=bureau).status_code == 201
    [problem] = problems(
        c.post("/v1/demand-lines", json=line_body(firm["credit_code"], **body), headers=bureau)
    )
    assert problem["field"] == f"body.{field}" and problem["message"].startswith(f"{field} ")
    assert "请改正" in problem["message"]


def test_refusals_of_a_whole_request_say_in_chinese_which_field_to_fix(db_url: str) -> None:
    c = client(db_url)
    fuyuan, bureau = token(db_url, "counselor", county="530325"), token(db_url, "bureau")
    answer = c.post("/v1/workers", json=worker_body(), headers=fuyuan)  # a worker living in 麒麟区
    assert answer.status_code == 403
    detail = answer.json()["detail"]
    assert detail.startswith("residence_region：") and CJK.search(detail)
    answer = c.post("/v1/subsidies/decide", json=base_case(catalogue_subsidy=None), headers=bureau)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail.startswith("training.catalogue_subsidy：") and "（十六）" in detail
    assert not ENGLISH.search(QUOTED.sub("", detail)), detail
