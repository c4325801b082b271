"""Sign-in, sign-out and the home page of each role."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import SessionDep
from matcher.principals import TokenRefused, authenticate
from web.session import (
    HOME,
    LOGIN_COOKIE,
    PageRoute,
    SignedIn,
    end_session,
    login_csrf,
    render,
    set_session,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site (no scheme, no other host) is followed after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _login_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    value = login_csrf(request)
    response = render(
        request,
        "login.html",
        status_code,
        login_csrf=value,
        error=error or request.query_params.get("reason", ""),
        next=_safe_next(request.query_params.get("next")) or "",
    )
    response.set_cookie(LOGIN_COOKIE, value, max_age=3600, httponly=True, samesite="strict", path="/login")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> HTMLResponse | RedirectResponse:
    """Exchange an API token for a session cookie."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf, expected):
        return _login_page(request, "表单已过期；请重新输入令牌登录", 403)
    if not token.strip():
        return _login_page(request, "令牌：必填；请粘贴管理员用 matcher users create 签发的令牌", 422)
    try:
        principal = authenticate(session, token.strip())
    except TokenRefused as e:
        return _login_page(request, str(e).removeprefix("Authorization：").replace("`", ""), 401)
    response = RedirectResponse(_safe_next(next) or HOME[principal.role], status_code=303)
    set_session(response, request, token.strip())
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(_principal: SignedIn) -> RedirectResponse:
    response = RedirectResponse("/login?reason=" + quote("已退出登录"), status_code=303)
    end_session(response)
    return response


@router.get("/")
def home(principal: SignedIn) -> RedirectResponse:
    """The role's own home page (the sign-in page without a session)."""
    return RedirectResponse(HOME[principal.role], status_code=303)
