"""The `matcher` command line: every verb reads the database from `DATABASE_URL`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

app = typer.Typer(
    help="Job-demand and training matching engine (曲政办发〔2019〕112号).", no_args_is_help=True
)


def _print_json(obj: object) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="serving processes over the one store", min=1)] = 1,
) -> None:
    """Serve the API (migrating the database first). Each of the `workers` processes loads the matching view
    (~10 s on the sample city) and keeps it current with the store; they share one plan queue."""
    import uvicorn

    from matcher.model.recommend import recommender
    from matcher.store import migrate

    migrate()
    if workers == 1:  # loaded here, the one process answers its first counselor at once
        typer.echo("loading the matching view", err=True)
        try:
            recommender().warm()
        except FileNotFoundError as e:
            typer.echo(f"no trained model ({e}): matching answers 503 until `matcher train`", err=True)
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from matcher.store import migrate as run

    run()
    typer.echo("schema is up to date")


@app.command()
def synth(
    workers: Annotated[int, typer.Option(min=100, help="number of workers")] = 60_000,
    seed: Annotated[int, typer.Option(help="random seed; the same seed builds the same city")] = 1,
    replace: Annotated[bool, typer.Option(help="delete an existing city first")] = False,
    if_empty: Annotated[
        bool, typer.Option(help="do nothing when the database already holds workers")
    ] = False,
    copy: Annotated[
        bool, typer.Option(help="write by COPY FROM STDIN (PostgreSQL only; a province of a million workers)")
    ] = False,
) -> None:
    """Build the sample city of Qujing into the database."""
    from matcher.store import migrate as run
    from matcher.store.stats import entity_counts
    from matcher.synth import build_city

    run()
    if if_empty and entity_counts()["workers"]:
        typer.echo("the database already holds a city; nothing to do")
        return
    try:
        counts = build_city(n_workers=workers, seed=seed, replace=replace, copy=copy)
    except ValueError as e:
        _fail(str(e))
    _print_json(counts)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Count the rows of each entity in the database."""
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
    kind: Annotated[str, typer.Argument(help="demand, workers or programmes")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv ledger")],
) -> None:
    """Import a ledger file; a file with any bad row is refused whole."""
    from matcher.ledger import LedgerError, import_ledger
    from matcher.store import migrate as run

    if kind not in ("demand", "workers", "programmes"):
        _fail(f"kind must be demand, workers or programmes, got {kind!r}")
    run()
    try:
        report = import_ledger(kind, file)  # type: ignore[arg-type]
    except LedgerError as e:
        _fail(f"{file}：未导入任何记录。\n{e}")
    typer.echo(str(report))


@app.command()
def export(
    kind: Annotated[str, typer.Argument(help="demand, workers or programmes")],
    file: Annotated[Path, typer.Argument(dir_okay=False, help=".xlsx or .csv to write")],
) -> None:
    """Write a ledger back to a file."""
    from matcher.ledger import LedgerError, export_ledger

    if kind not in ("demand", "workers", "programmes"):
        _fail(f"kind must be demand, workers or programmes, got {kind!r}")
    try:
        n = export_ledger(kind, file)  # type: ignore[arg-type]
    except LedgerError as e:
        _fail(str(e))
    typer.echo(f"已写出 {n} 行到 {file}")


@app.command()
def occupation(
    text: Annotated[str, typer.Argument(help="a job title in everyday words, e.g. 叉车司机")],
    top: Annotated[int, typer.Option(min=1, max=50, help="how many codes")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The most likely 2022 occupation codes for a job title."""
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
    case: Annotated[Path, typer.Argument(help="a JSON case with person, training and history")],
    pack: Annotated[str, typer.Option(help="policy pack name or path")] = "qujing-2019",
) -> None:
    """Decide what one training brings under the plan, with items, denials, articles and the trace."""
    from pydantic import ValidationError

    from matcher.policy import run_subsidy_cli

    try:
        _print_json(run_subsidy_cli(str(case), pack=pack))
    except (OSError, ValueError, ValidationError) as e:
        _fail(f"{case}: {e}")


@app.command()
def train(
    out: Annotated[
        Path | None, typer.Option(help="folder for the artifact and manifest (default: MATCHER_MODELS_DIR)")
    ] = None,
) -> None:
    """Train the calibrated match scorer on the city's history and save it with a manifest."""
    from matcher.model import train_model

    _print_json(train_model(out_dir=out))


@app.command()
def evaluate(
    _json: Annotated[
        bool, typer.Option("--json", help="print JSON (the only format; accepted for scripts)")
    ] = True,
) -> None:
    """Score the held-out year: the model against random, the counselor's rule, TF-IDF and the oracle."""
    from matcher.model import evaluate_model

    _print_json(evaluate_model())


@app.command()
def recommend(
    worker_id: Annotated[int, typer.Argument(help="the worker's id")],
    k: Annotated[int, typer.Option(min=1, max=50, help="how many of each kind")] = 10,
    _json: Annotated[
        bool, typer.Option("--json", help="print JSON (the only format; accepted for scripts)")
    ] = True,
) -> None:
    """One worker's top jobs, outbound options and training pathways, with scores and reasons."""
    from matcher.model import recommend_for_worker

    try:
        _print_json(recommend_for_worker(worker_id, k=k).model_dump(mode="json"))
    except (KeyError, ValueError) as e:
        _fail(str(e))


@app.command()
def audit(
    as_json: Annotated[bool, typer.Option("--json", help="print the whole audit as JSON")] = False,
    k: Annotated[int, typer.Option(min=1, max=50, help="recommendations and candidates looked at each")] = 10,
) -> None:
    """Check every worker's advice, every open line's candidates and a plan against the law and the
    catalogue: the count of each kind of violation (all should be 0) and the fairness table."""
    from matcher.advice_audit import audit as run_audit

    try:
        result = run_audit(k=k, progress=not as_json)
    except (KeyError, ValueError, FileNotFoundError) as e:
        _fail(str(e))
    if as_json:
        _print_json(result.summary)
    else:
        typer.echo(result.to_text())


@app.command()
def plan(
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
    out: Annotated[Path | None, typer.Option(help="also write the plan to this .xlsx")] = None,
    budget: Annotated[float | None, typer.Option(help="subsidy budget in yuan")] = None,
    min_class_size: Annotated[int, typer.Option(help="a class opens with at least this many")] = 10,
    priority_weight: Annotated[
        list[str] | None,
        typer.Option(help="GROUP=W, e.g. poverty_registered=2; left out: the policy pack's weights"),
    ] = None,
    stable: Annotated[bool, typer.Option(help="respect workers' own rankings (deferred acceptance)")] = False,
    county: Annotated[list[str] | None, typer.Option(help="plan only these counties")] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://HOST:8786) or local:N for candidates; default MATCHER_DASK"
        ),
    ] = None,
) -> None:
    """Plan the city's classes and placements under the budget, with subsidies by article and targets."""
    from pydantic import ValidationError

    from matcher.plan import PlanOptions, run_plan, write_plan_xlsx

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
            }
        )
        result = run_plan(options, progress=not as_json, dask=dask)
    except (ValidationError, ValueError, FileNotFoundError) as e:
        _fail(str(e))
    if out:
        write_plan_xlsx(result, out)
        typer.echo(f"已写出 {out}", err=True)
    if as_json:
        _print_json(result)
    else:
        _print_json(result["totals"])


claims = typer.Typer(help="The subsidy claims ledger (articles 十六–二十, 二十三).", no_args_is_help=True)
app.add_typer(claims, name="claims")


@claims.command("file")
def claims_file(
    enrolment: Annotated[int, typer.Argument(help="the enrolment whose subsidies are claimed")],
) -> None:
    """Decide and store the claims of one enrolment; a refusal stores nothing and gives the articles."""
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
    """Fraud signals for audit: overlapping classes, classes over their seats, certificates before the class."""
    from dataclasses import asdict

    from matcher.claims import fraud_signals
    from matcher.store import session_scope

    with session_scope() as session:
        _print_json([asdict(s) for s in fraud_signals(session)])


@claims.command("account")
def claims_account(year: Annotated[int | None, typer.Option(help="one year only")] = None) -> None:
    """The special account (职业技能提升行动专账, 二十三) by county and article."""
    from matcher.claims import special_account
    from matcher.store import session_scope

    with session_scope() as session:
        _print_json(special_account(session, year))


users = typer.Typer(help="API principals and their tokens.", no_args_is_help=True)
app.add_typer(users, name="users")


@users.command("create")
def users_create(
    role: Annotated[str, typer.Option(help="bureau, enterprise or counselor")],
    name: Annotated[str, typer.Option(help="who holds the token")] = "",
    enterprise: Annotated[
        str | None, typer.Option(help="the enterprise's credit code or id (enterprise role)")
    ] = None,
    county: Annotated[str | None, typer.Option(help="the county code (counselor role)")] = None,
    days: Annotated[int, typer.Option(help="days until the token expires")] = 90,
) -> None:
    """Create a principal and print its bearer token, once: only its hash is kept."""
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
    """Every principal: id, name, role, enterprise, county, created, expires, state (never the token)."""
    from datetime import UTC, datetime

    from matcher.principals import list_principals
    from matcher.store import migrate as run
    from matcher.store import session_scope
    from matcher.text import writable

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
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(v + " " * (w - _width(v)) for v, w in zip(row, widths, strict=True)).rstrip())


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@users.command("revoke")
def users_revoke(
    principal_id: Annotated[int, typer.Argument(help="the principal's id (`matcher users list`)")],
) -> None:
    """Revoke a principal's token at once: its next request answers 401."""
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
