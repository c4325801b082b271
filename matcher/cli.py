"""The `matcher` command line: every verb reads the database from `DATABASE_URL`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

app = typer.Typer(
    help="用工需求与职业技能培训匹配系统（依据曲政办发〔2019〕112号）。每条命令读 DATABASE_URL 指定的数据库。",
    no_args_is_help=True,
)


def _print_json(obj: object) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="监听端口")] = 8000,
    workers: Annotated[int, typer.Option(help="服务进程数（共用一个数据库）", min=1)] = 1,
) -> None:
    """启动 API 和网页服务（先升级数据库结构）；每个服务进程载入匹配视图并随数据库保持最新，共用一个规划队列。"""
    import uvicorn

    from matcher.model.artifacts import NO_MODEL
    from matcher.model.recommend import recommender
    from matcher.store import migrate

    migrate()
    if workers == 1:  # loaded here, the one process answers its first counselor at once
        typer.echo("正在载入匹配视图……", err=True)
        try:
            recommender().warm()
        except NO_MODEL as e:
            typer.echo(f"还没有训练好的匹配模型（{e}）：运行 matcher train 之前，推荐和候选人接口答 503", err=True)
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@app.command()
def migrate() -> None:
    """把数据库结构升级到最新版本。"""
    from matcher.store import migrate as run

    run()
    typer.echo("数据库结构已是最新")


@app.command()
def synth(
    workers: Annotated[int, typer.Option(min=100, help="劳动者人数")] = 60_000,
    seed: Annotated[int, typer.Option(help="随机种子；同一种子生成同一个城市")] = 1,
    replace: Annotated[bool, typer.Option(help="先删除已有的城市数据")] = False,
    if_empty: Annotated[
        bool, typer.Option(help="数据库里已有劳动者时不做任何事")
    ] = False,
    copy: Annotated[
        bool, typer.Option(help="用 COPY FROM STDIN 批量写入（仅 PostgreSQL；百万人规模的全省数据）")
    ] = False,
) -> None:
    """在数据库中生成曲靖示例城市。"""
    from matcher.store import migrate as run
    from matcher.store.stats import entity_counts
    from matcher.synth import build_city

    run()
    if if_empty and entity_counts()["workers"]:
        typer.echo("数据库里已有城市数据，未做任何改动")
        return
    try:
        counts = build_city(n_workers=workers, seed=seed, replace=replace, copy=copy)
    except ValueError as e:
        _fail(str(e))
    _print_json(counts)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """数据库中各类记录的条数。"""
    from matcher.store import migrate as run
    from matcher.store.stats import entity_counts

    run()
    counts = entity_counts()
    if as_json:
        _print_json(counts)
    else:
        for name, n in counts.items():
            typer.echo(f"{name:<16}{n:>10,}")


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help="台账类型：demand（用工需求）、workers（劳动者调查）或 programmes（培训项目目录）")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="台账文件（.xlsx、.xls、.ods 或 .csv）")],
) -> None:
    """导入台账文件；只要有一行有错，整个文件都不导入，并逐行说明错在哪里、怎么改。"""
    from matcher.ledger import LedgerError, import_ledger
    from matcher.store import migrate as run

    if kind not in ("demand", "workers", "programmes"):
        _fail(f"台账类型须为 demand、workers 或 programmes，收到的是 {kind!r}；请改正")
    run()
    try:
        report = import_ledger(kind, file)  # type: ignore[arg-type]
    except LedgerError as e:
        _fail(f"{file}：未导入任何记录。\n{e}")
    typer.echo(str(report))


@app.command()
def export(
    kind: Annotated[str, typer.Argument(help="台账类型：demand（用工需求）、workers（劳动者调查）或 programmes（培训项目目录）")],
    file: Annotated[Path, typer.Argument(dir_okay=False, help="要写出的 .xlsx 或 .csv 文件")],
) -> None:
    """把台账导出为文件（可再导入，得到相同的数据）。"""
    from matcher.ledger import LedgerError, export_ledger

    if kind not in ("demand", "workers", "programmes"):
        _fail(f"台账类型须为 demand、workers 或 programmes，收到的是 {kind!r}；请改正")
    try:
        n = export_ledger(kind, file)  # type: ignore[arg-type]
    except LedgerError as e:
        _fail(str(e))
    typer.echo(f"已写出 {n} 行到 {file}")


@app.command()
def occupation(
    text: Annotated[str, typer.Argument(help="日常说法的岗位名称，例如 叉车司机")],
    top: Annotated[int, typer.Option(min=1, max=50, help="列出几个职业编码")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """岗位名称最可能对应的 2022 年版职业分类编码。"""
    from matcher.occupations import code_occupation

    try:
        matches = code_occupation(text, top=top)
    except ValueError as e:
        _fail(str(e))
    if as_json:
        _print_json([m.to_dict() for m in matches])
    else:
        for m in matches:
            typer.echo(f"{m.code:<12}{m.score:>6.3f}  {m.name}")


@app.command()
def subsidy(
    case: Annotated[Path, typer.Argument(help="JSON 格式的个案：人员、培训和既往补贴")],
    pack: Annotated[str, typer.Option(help="政策规则包的名称或路径")] = "qujing-2019",
) -> None:
    """判定一次培训可享受的补贴：补贴项目、不予补贴的理由、所依据的条款和判定过程。"""
    from pydantic import ValidationError

    from matcher.policy import run_subsidy_cli

    try:
        _print_json(run_subsidy_cli(str(case), pack=pack))
    except (OSError, ValueError, ValidationError) as e:
        _fail(f"{case}: {e}")


@app.command()
def train(
    out: Annotated[
        Path | None, typer.Option(help="模型文件及其说明写入的文件夹（默认 MATCHER_MODELS_DIR）")
    ] = None,
) -> None:
    """用城市的历史推荐记录训练匹配模型（概率经校准），连同说明文件一并保存。"""
    from matcher.model import train_model

    _print_json(train_model(out_dir=out))


@app.command()
def evaluate(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """在留出年份上评估模型：与随机、专员经验规则、TF-IDF 和理想排序比较，并给出公平性表。"""
    from matcher.model import evaluate_model
    from matcher.model.evaluate import evaluation_text

    report = evaluate_model()
    if as_json:
        _print_json(report)
    else:
        typer.echo(evaluation_text(report))


@app.command()
def recommend(
    worker_id: Annotated[int, typer.Argument(help="劳动者编号")],
    k: Annotated[int, typer.Option(min=1, max=50, help="每类列出几条")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """为一名劳动者推荐岗位、外出务工岗位和培训路径，附可能性和理由。"""
    from matcher.model import recommend_for_worker
    from matcher.model.artifacts import NO_MODEL
    from matcher.model.snapshot import NotInSnapshot

    try:
        advice = recommend_for_worker(worker_id, k=k)
    except NotInSnapshot:
        _fail(f"劳动者 {worker_id} 不在库中；请核对编号（网页上的劳动者页面或 matcher export workers 可查）")
    except NO_MODEL as e:
        _fail(f"还没有训练好的匹配模型（{e}）；请先运行 matcher train")
    if as_json:
        _print_json(advice.model_dump(mode="json"))
    else:
        typer.echo(advice.to_text())


@app.command()
def audit(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出完整的核查结果")] = False,
    k: Annotated[int, typer.Option(min=1, max=50, help="每人核查的推荐条数、每个岗位核查的候选人数")] = 10,
) -> None:
    """核查每人的推荐、每个在招岗位的候选人和一份规划是否合法可行：各类违规的条数（应全为 0）和公平性表。"""
    from matcher.advice_audit import audit as run_audit
    from matcher.model.artifacts import NO_MODEL

    try:
        result = run_audit(k=k, progress=not as_json)
    except (KeyError, ValueError, *NO_MODEL) as e:
        _fail(str(e))
    if as_json:
        _print_json(result.summary)
    else:
        typer.echo(result.to_text())


@app.command()
def plan(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出整个规划")] = False,
    out: Annotated[Path | None, typer.Option(help="同时把规划写入这个 .xlsx 工作簿")] = None,
    budget: Annotated[float | None, typer.Option(help="补贴预算（元）")] = None,
    min_class_size: Annotated[int, typer.Option(help="开班的最少人数")] = 10,
    priority_weight: Annotated[
        list[str] | None,
        typer.Option(help="人群=权重，例如 poverty_registered=2；不填则用政策规则包的权重"),
    ] = None,
    stable: Annotated[bool, typer.Option(help="尊重劳动者自己的志愿排序（延迟接受算法）")] = False,
    county: Annotated[list[str] | None, typer.Option(help="只规划这些县（市、区），填县级代码")] = None,
    max_workers: Annotated[
        int, typer.Option(help="规划范围内劳动者人数的上限（全省百万人时提高到 1000000 以上，最多 2000000）")
    ] = 250_000,
    dask: Annotated[
        str | None,
        typer.Option(
            help="候选生成所用的 Dask 集群：调度器地址（tcp://主机:8786）或 local:N（本机 N 个进程）；默认 MATCHER_DASK"
        ),
    ] = None,
) -> None:
    """在预算内规划全市的培训班和就业安置，列出按条款的补贴和目标完成情况。"""
    from pydantic import ValidationError

    from matcher.model.artifacts import NO_MODEL
    from matcher.plan import PlanOptions, run_plan, write_plan_xlsx
    from matcher.plan.xlsx import plan_summary
    from matcher.text import table_lines

    weights: dict[str, str] = {}
    for pair in priority_weight or []:
        group, sep, value = pair.partition("=")
        if not sep:
            _fail(f"--priority-weight 的写法是 人群=权重，例如 poverty_registered=2，收到的是 {pair!r}")
        weights[group] = value
    try:
        options = PlanOptions.model_validate(
            {
                "budget": budget,
                "min_class_size": min_class_size,
                "priority_weights": weights if priority_weight is not None else None,
                "stable": stable,
                "counties": county,
                "max_workers": max_workers,
            }
        )
        result = run_plan(options, progress=not as_json, dask=dask)
    except (ValidationError, ValueError, *NO_MODEL) as e:
        _fail(str(e))
    if out:
        write_plan_xlsx(result, out)
        typer.echo(f"已写出 {out}", err=True)
    if as_json:
        _print_json(result)
    else:
        rows = [[str(r["k"]), str(r["v"])] for r in plan_summary(result)]
        typer.echo("\n".join(table_lines([["项目", "数值"], *rows])))


claims = typer.Typer(help="补贴申领台账（第十六至二十条、第二十三条）。", no_args_is_help=True)
app.add_typer(claims, name="claims")


@claims.command("file")
def claims_file(
    enrolment: Annotated[int, typer.Argument(help="申领补贴的培训报名编号")],
) -> None:
    """判定并登记一次培训报名的补贴申领；不予补贴时不登记，并给出所依据的条款。"""
    from matcher.claims import file_claim
    from matcher.store import migrate as run
    from matcher.store import session_scope

    run()
    try:
        with session_scope() as session:
            result = file_claim(session, enrolment)
    except KeyError as e:
        _fail(str(e.args[0]))
    _print_json(
        {
            "enrolment_id": result.enrolment_id,
            "project_id": result.project_id,
            "stored": result.stored,
            **result.decision.model_dump(mode="json", exclude={"trace"}),
        }
    )


@claims.command("signals")
def claims_signals() -> None:
    """供稽核的疑点：时间重叠的培训、超出名额的班、早于培训的证书。"""
    from dataclasses import asdict

    from matcher.claims import fraud_signals
    from matcher.store import session_scope

    with session_scope() as session:
        _print_json([asdict(s) for s in fraud_signals(session)])


@claims.command("account")
def claims_account(year: Annotated[int | None, typer.Option(help="只看这一年")] = None) -> None:
    """职业技能提升行动专账（第二十三条），按县和条款。"""
    from matcher.claims import special_account
    from matcher.store import session_scope

    with session_scope() as session:
        _print_json(special_account(session, year))


users = typer.Typer(help="API 用户及其令牌。", no_args_is_help=True)
app.add_typer(users, name="users")


@users.command("create")
def users_create(
    role: Annotated[str, typer.Option(help="角色：bureau（人社局）、enterprise（企业）或 counselor（就业服务专员）")],
    name: Annotated[str, typer.Option(help="令牌持有人")] = "",
    enterprise: Annotated[
        str | None, typer.Option(help="企业的统一社会信用代码或编号（企业角色）")
    ] = None,
    county: Annotated[str | None, typer.Option(help="县级代码（专员角色）")] = None,
    days: Annotated[int, typer.Option(help="令牌有效天数")] = 90,
) -> None:
    """创建用户并显示其令牌（只显示这一次，库中只存令牌的哈希）。"""
    from matcher.principals import create_principal
    from matcher.store import migrate as run
    from matcher.store import session_scope

    run()
    try:
        with session_scope() as session:
            principal, token = create_principal(
                session, role, name=name or f"{role} user", enterprise=enterprise, county=county, days=days
            )
    except ValueError as e:
        _fail(str(e))
    typer.echo(
        f"已创建 {principal.role} 用户 {principal.id}，令牌 {days} 天后过期；令牌只显示这一次：", err=True
    )
    typer.echo(token)


@users.command("list")
def users_list() -> None:
    """列出所有用户：编号、名称、角色、企业、县、创建和到期时间、状态（不显示令牌）。"""
    from datetime import UTC, datetime

    from matcher.principals import list_principals
    from matcher.store import migrate as run
    from matcher.store import session_scope
    from matcher.text import table_lines, writable

    run()
    now = datetime.now(UTC)
    with session_scope() as session:
        rows = [
            [
                str(p.id),
                writable(p.name),  # a name can never send control sequences to the terminal
                p.role,
                code or "",
                p.county or "",
                f"{p.created_at:%Y-%m-%d %H:%M}",
                f"{p.expires_at:%Y-%m-%d %H:%M}" if p.expires_at else "",
                "已吊销"
                if p.revoked_at or not p.active
                else ("已过期" if not p.expires_at or p.expires_at <= now else "有效"),
            ]
            for p, code in list_principals(session)
        ]
    header = ["编号", "名称", "角色", "企业", "县", "创建（UTC）", "到期（UTC）", "状态"]
    typer.echo("\n".join(table_lines([header, *rows])))


@users.command("revoke")
def users_revoke(
    principal_id: Annotated[int, typer.Argument(help="用户编号（见 matcher users list）")],
) -> None:
    """立即吊销用户的令牌：其下一个请求答 401。"""
    from matcher.principals import revoke_principal
    from matcher.store import migrate as run
    from matcher.store import session_scope

    run()
    try:
        with session_scope() as session:
            row = revoke_principal(session, principal_id)
            name = row.name
    except ValueError as e:
        _fail(str(e))
    typer.echo(f"已吊销用户 {principal_id}（{name}）的令牌")


if __name__ == "__main__":
    app()
