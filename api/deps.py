"""Request dependencies: the database session, the calling principal and role guards, paging."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, HTTPException, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from api.schemas import PageOf
from matcher.principals import Principal, TokenRefused, authenticate
from matcher.store import autocommit, session_factory

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)
PAGE_CAP = 100
MAX_ID = 2**31 - 1
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="the object's id")]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request; routes commit what they write, anything else is rolled back. Opening it takes
    no connection, and a session whose route committed is closed without one, so neither costs a thread."""
    session = session_factory(request.app.state.database_url)()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(_roll_back, session)
        else:
            session.close()


def _roll_back(session: Session) -> None:
    session.rollback()
    session.close()


SessionDep = Annotated[Session, Depends(get_session)]


bearer = HTTPBearer(auto_error=False, description="a token made by `matcher users create`")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def current_principal(request: Request, credentials: Credentials) -> Principal:
    """The principal whose bearer token the request carries; 401 without a valid, unexpired, unrevoked one.
    Read on a connection of its own, handed back at once: the route's session takes one only if it needs it."""
    try:
        if credentials is None:
            raise TokenRefused(
                "Authorization：缺少令牌；请在请求头中带上 `Authorization: Bearer 令牌`，令牌由管理员用 "
                "`matcher users create` 签发"
            )
        with autocommit(request.app.state.database_url) as conn:
            return authenticate(conn, credentials.credentials)
    except TokenRefused as e:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(e), headers={"WWW-Authenticate": "Bearer"}
        ) from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def allow(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only the given roles (403 for the others)."""

    async def guard(principal: CurrentPrincipal) -> Principal:
        return admit(principal, roles)

    return guard


def admit(principal: Principal, roles: Sequence[str]) -> Principal:
    """The principal when its role is one of `roles`, else 403."""
    if principal.role not in roles:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"Authorization：此路由只对 {'、'.join(roles)} 角色开放；请用相应角色的令牌",
        )
    return principal


Bureau = Annotated[Principal, Depends(allow("bureau"))]
BureauOrEnterprise = Annotated[Principal, Depends(allow("bureau", "enterprise"))]
BureauOrCounselor = Annotated[Principal, Depends(allow("bureau", "counselor"))]


class Page:
    """`offset`/`limit` query parameters, with the limit capped at 100."""

    def __init__(
        self,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=PAGE_CAP)] = 50,
    ) -> None:
        self.offset = offset
        self.limit = limit


PageDep = Annotated[Page, Depends()]


NAMES = {
    "enterprise": "企业",
    "demand line": "岗位需求",
    "worker": "人员",
    "plan": "计划",
    "institution": "培训机构",
    "programme": "培训项目",
}


def not_found(what: str, ident: object) -> HTTPException:
    """The answer for a missing object and for another tenant's object alike."""
    return HTTPException(
        status.HTTP_404_NOT_FOUND, f"没有您可查看的{NAMES.get(what, what)} {ident}；请核对编号"
    )


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)]


def each(schema: type[S]) -> Callable[[list[Any]], list[S]]:
    """Rows shown one by one as `schema` reads them."""
    return lambda rows: [schema.model_validate(r) for r in rows]


def paged(
    session: Session,
    table: Any,
    where: Sequence[ColumnElement[bool]],
    order: Sequence[Any],
    page: Page,
    shown: Callable[[list[Any]], Sequence[T]],
) -> PageOf[T]:
    """The requested page of `table`'s rows matching `where`, each as `shown` presents the page's rows,
    with the total count."""
    total = session.scalar(select(func.count()).select_from(table).where(*where)) or 0
    rows = session.scalars(select(table).where(*where).order_by(*order).offset(page.offset).limit(page.limit))
    return PageOf(total=total, offset=page.offset, limit=page.limit, items=list(shown(list(rows))))


# Pydantic's error types, said in Chinese with what to do; a type not listed keeps its own message.
MESSAGES = {
    "missing": "必填，缺少此项；请填写",
    "extra_forbidden": "不认识的字段；请删去它（可用的字段见 /docs）",
    "string_too_long": "最多 {max_length} 个字符；请缩短",
    "string_too_short": "至少 {min_length} 个字符；请补全",
    "too_long": "最多 {max_length} 项；请删去多余的",
    "too_short": "至少 {min_length} 项；请补全",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须不大于 {le}",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数，不能带小数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "date_parsing": "须为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "须为日期，格式 YYYY-MM-DD",
    "date_type": "须为日期，格式 YYYY-MM-DD",
    "datetime_parsing": "须为时间，格式 YYYY-MM-DDTHH:MM:SS",
    "string_type": "须为文字",
    "enum": "须为以下之一：{expected}",
    "literal_error": "须为以下之一：{expected}",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "model_attributes_type": "须为对象",
    "decimal_parsing": "须为数字",
    "decimal_type": "须为数字",
    "decimal_max_digits": "最多 {max_digits} 位数字；请改正",
    "decimal_max_places": "最多 {decimal_places} 位小数；请改正",
    "finite_number": "须为有限的数字",
    "date_from_datetime_inexact": "须为日期，格式 YYYY-MM-DD，不带时刻",
    "json_invalid": "不是有效的 JSON；请检查括号、引号和逗号",
    "json_type": "不是有效的 JSON；请检查括号、引号和逗号",
}


def _message(error: Any) -> str:
    template = MESSAGES.get(error["type"])
    if template is None:
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    ctx = dict(error.get("ctx", {}))
    if isinstance(ctx.get("expected"), str):  # pydantic lists choices as "'a', 'b' or 'c'"
        ctx["expected"] = re.sub(r", | or ", "、", ctx["expected"])
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split("：")[0] if "{" in template else template


# A rule over a whole record (wage_max against wage_min, or one of its certificates) says first which field to fix.
NAMED_FIRST = re.compile(r"^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*) ")


def _problem(error: Any) -> dict[str, str]:
    message = _message(error)
    field = ".".join(map(str, error["loc"]))
    named = NAMED_FIRST.match(message)
    record = not error["loc"] or error["loc"] == ("body",) or isinstance(error["loc"][-1], int)
    if record and named:
        field = ".".join(filter(None, (field, named.group(1))))
    return {"field": field or "body", "message": message}


def field_problems(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic's errors as `{field, message}` in Chinese, without the rejected input (it may be an ID number);
    an error about the whole record is put at the field its message names first."""
    return [_problem(e) for e in errors]


def invalid(err: ValidationError) -> HTTPException:
    """A 422 naming each field of a re-validated record that is wrong."""
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, field_problems(err.errors()))


def _query_names(route: APIRoute) -> set[str]:
    names: set[str] = set()
    todo = [route.dependant]
    while todo:
        dependant = todo.pop()
        names.update(p.alias for p in dependant.query_params)
        todo.extend(dependant.dependencies)
    return names


async def known_query(request: Request) -> None:
    """422 for a query parameter the route does not take: a misspelt `limt=5` is not silently ignored."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "无"
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {"field": f"query.{name}", "message": f"不认识的参数，请删去或改正；此路由接受：{takes}"}
                for name in unknown
            ],
        )
