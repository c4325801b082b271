"""The service against its own OpenAPI document, once per role: Schemathesis with every check on
(server errors, status codes, content types, headers, response schemas, bad input accepted, good input
refused, authentication ignored, unsupported methods), 100 generated cases per operation."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from sqlalchemy import select

from api.app import create_app
from matcher.store import migrate, session_scope
from matcher.store.tables import EnterpriseRow, WorkerRow
from matcher.synth import build_city
from tests.api_helpers import token

ROLES = ("bureau", "enterprise", "counselor")
# A request the schema admits may still break a rule no JSON schema can state (a check digit, a region
# code that must exist, an article of the plan, a ledger file's contents): that is refused with 422.
# A bureau planner with 3 plans queued or running is asked to wait (429).
CONFIG = SchemathesisConfig.from_str(
    """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"""
)


def small_city(url: str) -> dict[str, str]:
    """Build a small city at `url`; a bearer token per role (the city's first enterprise; the county of its
    first worker). Done at import: Schemathesis prepares some cases, with their tokens, while collecting."""
    migrate(url)
    build_city(n_workers=300, seed=3, url=url, progress=False)
    with session_scope(url) as s:
        county = s.scalar(select(WorkerRow.county).order_by(WorkerRow.id))
        enterprise = s.scalar(select(EnterpriseRow.credit_code).order_by(EnterpriseRow.id))
    scope = {"enterprise": {"enterprise": enterprise}, "counselor": {"county": county}}
    return {role: token(url, role, **scope.get(role, {}))["Authorization"] for role in ROLES}


WORKDIR = tempfile.TemporaryDirectory()
URL = f"sqlite:///{Path(WORKDIR.name) / 'city.db'}"
TOKENS = small_city(URL)
APP = create_app(URL)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


def bearer(role: str) -> type:
    """Schemathesis auth for `role`: it knows the header is the credential, so a case that leaves the
    credential out on purpose is sent without it (and must be refused)."""

    class Bearer:
        def get(self, _case, _ctx):  # type: ignore[no-untyped-def]
            return TOKENS[role]

        def set(self, case, data, _ctx):  # type: ignore[no-untyped-def]
            case.headers = {**(case.headers or {}), "Authorization": data}

    return Bearer


CASES = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))


@schema.parametrize()
@CASES
@schema.auth.apply(bearer("bureau"), refresh_interval=None)
def test_as_the_bureau(case):  # type: ignore[no-untyped-def]
    case.call_and_validate()


@schema.parametrize()
@CASES
@schema.auth.apply(bearer("enterprise"), refresh_interval=None)
def test_as_an_enterprise(case):  # type: ignore[no-untyped-def]
    case.call_and_validate()


@schema.parametrize()
@CASES
@schema.auth.apply(bearer("counselor"), refresh_interval=None)
def test_as_a_counselor(case):  # type: ignore[no-untyped-def]
    case.call_and_validate()
