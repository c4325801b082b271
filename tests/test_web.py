"""The pages in a real browser: Playwright drives Debian's headless Chromium against the served app on a
1,500-worker sample city, one journey per role.

`make test` installs Chromium and fonts-noto-cjk when missing (Makefile `browser`); without them these tests
are skipped, unless MATCHER_BROWSER_REQUIRED is set (CI), when they fail. With MATCHER_SCREENSHOTS=DIR the
tests save each role's main page there (`make screenshots` writes docs/screenshots/).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from matcher.principals import create_principal
from matcher.store import migrate, session_scope
from matcher.store.tables import AuditRow, DemandLineRow, EnterpriseRow, ReferralRow, WorkerRow
from matcher.synth import build_city
from tests.api_helpers import id_number, served

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("MATCHER_CHROMIUM", "/usr/bin/chromium")
CITY_WORKERS = 1500
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
PLAN_SECONDS = 180
TEMPLATES = Path(__file__).resolve().parent.parent / "data" / "templates"


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk, or `make browser`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A small sample city with a principal of each role and their tokens."""
    path = tmp_path_factory.mktemp("web") / "city.db"
    url = f"sqlite:///{path}"
    migrate(url)
    build_city(n_workers=CITY_WORKERS, seed=1, url=url, progress=False)
    with session_scope(url) as s:
        county = s.scalar(
            select(WorkerRow.county).group_by(WorkerRow.county).order_by(func.count().desc()).limit(1)
        )
        other = s.scalar(select(WorkerRow.id).where(WorkerRow.county != county).order_by(WorkerRow.id))
        enterprise = s.scalar(
            select(EnterpriseRow.id)
            .join(DemandLineRow, DemandLineRow.enterprise_id == EnterpriseRow.id)
            .where(DemandLineRow.status == "open", DemandLineRow.work_region.startswith(county))
            .group_by(EnterpriseRow.id)
            .order_by(func.count().desc(), EnterpriseRow.id)
            .limit(1)
        )
        foreign_line = s.scalar(select(DemandLineRow.id).where(DemandLineRow.enterprise_id != enterprise))
        tokens = {
            "counselor": create_principal(s, "counselor", name="李专员", county=county)[1],
            "enterprise": create_principal(s, "enterprise", name="王经理", enterprise=str(enterprise))[1],
            "bureau": create_principal(s, "bureau", name="赵科长")[1],
        }
    return {
        "url": url,
        "county": county,
        "foreign_worker": other,
        "enterprise": enterprise,
        "foreign_line": foreign_line,
        "tokens": tokens,
    }


@pytest.fixture(scope="module")
def site(city: dict[str, Any]) -> Iterator[str]:
    with served(city["url"]) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("MATCHER_BROWSER_REQUIRED"):
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    context = browser.new_context(base_url=site, viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, token: str) -> None:
    page.goto("/")
    page.get_by_label("令牌").fill(token)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("MATCHER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def test_sign_in_is_refused_without_a_valid_token_and_sign_out_ends_the_session(
    page: Any, city: dict
) -> None:
    page.goto("/workers")
    assert "/login" in page.url
    page.get_by_label("令牌").fill("not-a-token")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().startswith("令牌无效")
    sign_in(page, city["tokens"]["counselor"])
    assert page.url.endswith("/workers")
    cookie = next(c for c in page.context.cookies() if c["name"] == "matcher_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    response = page.request.post("/logout", form={"csrf": "forged"})  # no valid CSRF value: refused
    assert response.status == 403
    page.get_by_role("button", name="退出登录").click()
    page.goto("/workers")
    assert "/login" in page.url


def test_counselor_finds_a_worker_refers_them_and_records_the_outcome(
    page: Any, city: dict, tmp_path: Path
) -> None:
    sign_in(page, city["tokens"]["counselor"])
    page.get_by_label("就业状态").select_option("unemployed")
    page.get_by_role("button", name="查询").click()
    assert re.search(r"共 \d+ 人", page.locator("main").inner_text())
    screenshot(page, "counselor")
    first = page.locator("table.list tbody tr").first
    masked = first.locator("td").nth(2).inner_text()
    assert "*" * 10 in masked
    page.get_by_label("身份证号后几位").fill(masked[-4:])
    page.get_by_role("button", name="查询").click()
    assert masked in page.locator("table.list").inner_text()
    page.locator("table.list tbody tr a").first.click()
    assert page.get_by_role("heading", name="推荐", exact=True).is_visible()
    option = page.locator("article.option").filter(has=page.get_by_role("button", name="开具")).first
    option.get_by_role("button").click()
    letter = page.get_by_role("article", name="推荐介绍信")
    reference = page.locator(".letter .ref").inner_text()
    assert re.fullmatch(r"曲人社荐〔\d{4}〕\d{6}号", reference)
    assert masked in letter.inner_text()
    pdf = tmp_path / "letter.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert data.startswith(b"%PDF") and pages == 1, f"the letter prints on {pages} pages"
    assert not axe_problems(page)
    page.emulate_media(media="screen")
    page.get_by_role("link", name="回到人员页面").click()
    page.get_by_label(f"推荐 {reference} 的结果").select_option("hired")
    page.get_by_role("button", name="登记结果").click()
    assert "已录用" in page.locator("#referrals").inner_text()
    with session_scope(city["url"]) as s:
        row = s.scalar(select(ReferralRow).where(ReferralRow.reference == reference))
        assert row is not None and row.outcome == "hired"
        reads = s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.purpose == "referral"))
        assert (reads or 0) >= 2


def test_counselor_registers_a_worker_with_messages_at_the_field(page: Any, city: dict) -> None:
    sign_in(page, city["tokens"]["counselor"])
    page.goto("/workers/new")
    number = id_number(city["county"], "19900101", 456)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    page.get_by_label("身份证号").fill(wrong)
    page.get_by_label("姓名").fill("测试人员")
    page.get_by_label("居住乡镇（街道）").select_option(index=1)
    page.get_by_label("户籍地代码").fill(city["county"])
    page.get_by_label("户口性质").select_option("rural")
    page.get_by_label("文化程度").select_option("junior_middle")
    page.get_by_label("就业状态").select_option("unemployed")
    page.get_by_role("button", name="保存").click()
    field = page.locator(".field.invalid")
    assert field.count() == 1 and "身份证号" in field.locator("label").inner_text()
    assert page.get_by_label("身份证号").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("姓名").input_value() == "测试人员"  # what was typed is kept
    page.get_by_label("身份证号").fill(number)
    page.get_by_role("button", name="保存").click()
    assert page.get_by_role("heading", name="测试人员").is_visible()
    assert page.locator("#advice").is_visible()  # advice, or why there is none yet
    page.get_by_role("link", name="修改资料").click()
    page.get_by_label("姓名").fill("")
    page.get_by_role("button", name="保存").click()
    assert "姓名" in page.locator(".field.invalid label").first.inner_text()


def test_a_worker_of_another_county_answers_like_a_missing_one(page: Any, city: dict) -> None:
    sign_in(page, city["tokens"]["counselor"])
    foreign = page.goto(f"/workers/{city['foreign_worker']}")
    foreign_text = page.locator("main").inner_text().replace(str(city["foreign_worker"]), "N")
    missing = page.goto("/workers/99999999")
    assert foreign.status == missing.status == 404
    assert page.get_by_role("heading", name="没有找到").is_visible()
    assert foreign_text == page.locator("main").inner_text().replace("99999999", "N")


def test_pages_fit_a_phone(page: Any, city: dict) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, city["tokens"]["counselor"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the search page is {width} px wide on a 390 px phone"


def test_enterprise_posts_a_line_shortlists_and_sees_refused_rows(page: Any, city: dict) -> None:
    sign_in(page, city["tokens"]["enterprise"])
    assert page.url.endswith("/enterprise")
    screenshot(page, "enterprise")
    page.get_by_role("link", name="发布新岗位").click()
    page.get_by_label("本企业岗位编号").fill("WEB-1")
    page.get_by_label("岗位名称").press_sequentially("叉车工")
    page.get_by_role("button", name=re.compile("^6-30-05-01")).click()
    assert page.get_by_label("职业代码（2022 年版职业分类）").input_value() == "6-30-05-01"
    page.get_by_label("招聘人数").fill("2")
    page.get_by_label("月薪下限（元）").fill("4000")
    page.get_by_label("月薪上限（元）").fill("3000")
    page.get_by_label("工作地").select_option(city["county"])
    page.get_by_label("用工开始日期").fill("2021-05-01")
    page.get_by_label("用工结束日期").fill("2021-12-31")
    page.get_by_label("岗位说明").fill("仓库装卸，限女性")
    page.get_by_role("button", name="发布").click()
    assert page.locator(".field.invalid label").inner_text().startswith("月薪上限（元）")
    assert page.get_by_label("月薪上限（元）").get_attribute("aria-invalid") == "true"
    page.get_by_label("月薪上限（元）").fill("6000")
    page.get_by_role("button", name="发布").click()  # the posting check, explained at the description
    assert page.locator(".field.invalid label").inner_text() == "岗位说明"
    assert "限女性" in page.locator(".field.invalid .error").inner_text()
    page.get_by_label("岗位说明").fill("仓库货物装卸")
    page.get_by_role("button", name="发布").click()
    row = page.locator("tr", has_text="叉车工")
    assert page.url.split("#")[0].endswith("/enterprise") and row.count() == 1
    row.get_by_role("button", name=re.compile("关闭岗位")).click()
    assert "已关闭" in page.locator("tr", has_text="叉车工").inner_text()

    page.locator("a", has_text="候选人").first.click()
    assert "遮蔽" in page.locator("main").inner_text()
    assert not re.search(r"\d{4}\*+\d{3}[\dX]", page.locator("main").inner_text())  # no ID number at all
    page.get_by_role("button", name="将第 1 位加入备选名单").click()
    page.get_by_role("button", name="请人社部门推荐名单上的人员").click()
    assert "已请求推荐" in page.locator("#shortlist").inner_text()

    page.goto("/enterprise/classes")
    assert page.get_by_role("heading", name="本企业的订单培训班").is_visible()
    page.goto("/upload")
    page.get_by_label("台账文件").set_input_files(str(TEMPLATES / "demand.xlsx"))
    page.get_by_role("button", name="上传").click()
    refused = page.locator("#refused tbody tr")
    assert refused.count() >= 1
    cells = refused.first.locator("td")
    assert cells.nth(0).inner_text() == "企业用工需求台账" and cells.nth(1).inner_text().isdigit()
    assert cells.nth(2).inner_text() and cells.nth(3).inner_text()

    foreign = page.goto(f"/lines/{city['foreign_line']}/candidates")
    assert foreign.status == 404 and page.get_by_role("heading", name="没有找到").is_visible()


def _run_plan(page: Any, budget: str, min_class_size: str) -> str:
    page.goto("/plans")
    page.get_by_label("补贴预算（元，不填为不限）").fill(budget)
    page.get_by_label("最少开班人数").fill(min_class_size)
    page.get_by_role("button", name="运行计划").click()
    page.wait_for_selector("#totals", timeout=PLAN_SECONDS * 1000)  # the page follows the plan, then reloads
    return page.url.rsplit("/", 1)[-1]


def test_planner_follows_progress_runs_and_compares_plans_and_prints_reports(page: Any, city: dict) -> None:
    sign_in(page, city["tokens"]["bureau"])
    assert page.url.endswith("/dashboard")
    page.wait_for_selector("#county-map svg")
    drawn = page.locator("#county-map svg").inner_html()  # the nine counties' shapes, each named
    assert drawn.count("<path") >= 9 and all(
        name in drawn for name in ("麒麟区", "宣威市", "会泽县", "罗平县")
    )
    assert page.locator("#by-period svg").count() == 1
    assert (
        "第二十三条" in page.locator("main").inner_text()
        or "专账还没有支出" in page.locator("main").inner_text()
    )
    screenshot(page, "planner")
    page.get_by_label("统计周期").select_option("quarter")
    page.get_by_role("button", name="查看").click()
    assert "-Q" in page.locator("#by-period").get_attribute("data-chart")

    page.goto("/plans")
    page.get_by_label("最少开班人数").fill("0")
    page.get_by_role("button", name="运行计划").click()
    assert page.locator(".field.invalid label").inner_text() == "最少开班人数"
    assert "不小于 1" in page.locator(".field.invalid .error").inner_text()
    first = _run_plan(page, "300000", "10")
    assert page.locator("#fairness tbody tr").count() > 0
    assert not axe_problems(page)
    workbook = page.request.get(f"/plans/{first}/xlsx")
    assert workbook.status == 200 and workbook.body()[:2] == b"PK"
    second = _run_plan(page, "100000", "20")
    page.goto("/plans")
    page.get_by_label(f"计划 {first} 作为甲").check()
    page.get_by_label(f"计划 {second} 作为乙").check()
    page.get_by_role("button", name="比较两个计划").click()
    table = page.locator("#compare").inner_text()
    assert "300,000" in table and "100,000" in table
    assert not axe_problems(page)

    page.goto("/reports/21?period=quarter")
    rows = page.locator("#report21 tbody tr")
    assert rows.count() == 11 and rows.last.locator("td").first.inner_text() == "合计"
    label = page.locator("#r-label option").last.get_attribute("value")
    book = page.request.get(f"/reports/21.xlsx?period=quarter&label={label}")
    assert book.status == 200 and book.body()[:2] == b"PK"


AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
MAIN_PAGES = {
    "counselor": ["/workers", "/workers?status=unemployed", "/workers/new"],  # and a worker, a missing one
    "enterprise": ["/enterprise", "/lines/new", "/enterprise/classes", "/upload"],
    "bureau": ["/dashboard", "/plans", "/reports/21?period=quarter"],
}


def axe_problems(page: Any) -> list[str]:
    """The serious and critical violations axe-core finds on the page (WCAG 2.1 A and AA rules)."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
            'best-practice']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.help}; ` + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"""
    )
    return list(found)


@pytest.mark.parametrize("role", list(MAIN_PAGES))
def test_main_pages_pass_the_accessibility_check_on_a_desktop_and_a_phone(
    page: Any, city: dict, role: str
) -> None:
    problems = []
    if role == "counselor":  # the sign-in page, before signing in
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            page.goto("/login")
            problems += [f"/login at {size['width']} px: {p}" for p in axe_problems(page)]
    sign_in(page, city["tokens"][role])
    pages = list(MAIN_PAGES[role])
    if role == "counselor":  # a worker's page with its advice
        page.goto("/workers")
        pages += [page.locator("table.list tbody tr a").first.get_attribute("href"), "/workers/99999999"]
    if role == "enterprise":  # a line's candidates
        page.goto("/enterprise")
        pages.append(page.locator("a", has_text="候选人").first.get_attribute("href"))
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        for path in pages:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            problems += [f"{path} at {size['width']} px: {p}" for p in axe_problems(page)]
    assert not problems, "\n".join(problems)
    # the check sees what it should: a field without a label is a critical violation
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert any(p.startswith("label (critical)") for p in axe_problems(page))
