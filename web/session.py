"""Signing in to the pages: the API token exchanged for a session cookie, CSRF on every form, error pages.

The cookie holds the token itself (HttpOnly, SameSite=Strict, 8 hours), so every page authenticates it with
`matcher.principals.authenticate` exactly as the API does: an expired or revoked token ends the session at
once. A form carries a CSRF value derived from the token (an HMAC nobody without the cookie can compute).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.deps import SessionDep, allow, field_problems
from matcher.principals import Principal, TokenRefused, authenticate

COOKIE = "matcher_session"
LOGIN_COOKIE = "matcher_login_csrf"
SESSION_SECONDS = 8 * 3600
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
ROLE_NAMES = {"bureau": "人社局计划员", "enterprise": "企业人力资源", "counselor": "基层就业服务专员"}
HOME = {"bureau": "/dashboard", "enterprise": "/enterprise", "counselor": "/workers"}

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


class SignIn(Exception):
    """The request has no valid session: the person is sent to the sign-in page, with the reason."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


def csrf_for(token: str) -> str:
    """The CSRF value of a session: an HMAC keyed by the session's token."""
    return hmac.new(token.encode(), b"matcher-csrf", hashlib.sha256).hexdigest()


def set_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def login_csrf(request: Request) -> str:
    """The sign-in form's CSRF value (a double-submit cookie, since there is no session yet)."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


async def _checked_form(request: Request, expected: str) -> None:
    if request.method != "POST":
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given, expected):
        raise HTTPException(403, "表单已过期或来源不明（CSRF 校验未通过）；请刷新页面后重新提交")


async def signed_in(request: Request, session: SessionDep) -> Principal:
    """The principal of the session cookie (the same check as the API's bearer token); a POST must carry
    the session's CSRF value."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignIn()
    try:
        principal = authenticate(session, token)
    except TokenRefused as e:
        raise SignIn(str(e).removeprefix("Authorization：")) from None
    session.commit()
    await _checked_form(request, csrf_for(token))
    request.state.principal = principal
    request.state.csrf = csrf_for(token)
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


def role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A page dependency admitting only the given roles, with the API's own guard (403 for the others)."""
    guard = allow(*roles)

    async def page_guard(principal: SignedIn) -> Principal:
        return await guard(principal)

    return page_guard


Counselor = Annotated[Principal, Depends(role("bureau", "counselor"))]
Enterprise = Annotated[Principal, Depends(role("enterprise"))]
Planner = Annotated[Principal, Depends(role("bureau"))]
Uploader = Annotated[Principal, Depends(role("enterprise", "counselor"))]


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    return templates.TemplateResponse(
        request,
        name,
        {
            "principal": principal,
            "role_name": ROLE_NAMES.get(principal.role, "") if principal else "",
            "csrf": getattr(request.state, "csrf", ""),
            **context,
        },
        status_code=status_code,
    )


def _message(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [f"{d.get('field', '')}：{d.get('message', '')}" for d in detail]
    return [str(detail).removeprefix("Authorization：")]


TITLES = {403: "无权访问", 404: "没有找到", 409: "暂时不能办理", 422: "填写有误", 429: "请稍后再试"}


class PageRoute(APIRoute):
    """A page: a missing session sends the person to sign in; a refusal (403, 404, …) is an HTML page with
    the same status and the same Chinese message as the API's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except SignIn as e:
                target = f"/login?next={quote(request.url.path)}"
                if e.reason:
                    target += f"&reason={quote(e.reason)}"
                if request.headers.get("HX-Request"):
                    return Response(status_code=204, headers={"HX-Redirect": target})
                return RedirectResponse(target, status_code=303)
            except HTTPException as e:
                return render(
                    request,
                    "error.html",
                    e.status_code,
                    title=TITLES.get(e.status_code, "出错了"),
                    messages=_message(e.detail),
                )
            except RequestValidationError as e:
                return render(
                    request,
                    "error.html",
                    422,
                    title=TITLES[422],
                    messages=_message(field_problems(e.errors())),
                )

        return page
