"""One worker's recommendations: jobs, outbound options and training pathways, each with its score,
reasons in Chinese a counselor can repeat, and eligibility flags."""

from __future__ import annotations

import re

import pytest

from matcher import reference as ref
from matcher.config import settings
from matcher.model.recommend import Recommender, recommend_for_worker, recommender
from matcher.model.snapshot import load_city
from tests.test_model_city import small_city, small_models

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def rec(tmp_path_factory):  # type: ignore[no-untyped-def]
    url = small_city(tmp_path_factory)
    return Recommender.load(url, small_models(tmp_path_factory, url))


def _sample(rec: Recommender, n: int = 60) -> list[dict]:
    ids = rec.city.workers.id[:: max(1, len(rec.city.workers) // n)][:n]
    return [rec.recommend(int(i)).model_dump(mode="json") for i in ids]


def _check_explained(item: dict) -> None:
    assert 0.0 <= item["score"] <= 1.0
    assert item["reasons"], item
    for r in item["reasons"]:
        assert set(r) == {"code", "text", "effect"} and r["effect"] in "+-" and CJK.search(r["text"])
    assert item["flags"]["feasible"] is True
    assert item["flags"]["region"] and item["flags"]["lawful"] and item["flags"]["wage"]
    assert item["flags"]["law"] == []


def test_every_recommendation_is_scored_explained_and_feasible(rec):  # type: ignore[no-untyped-def]
    outs = _sample(rec)
    assert sum(len(o["jobs"]) for o in outs) > 100
    for out in outs:
        assert set(out) == {"worker_id", "as_of", "jobs", "outbound", "pathways", "model"}
        for key in ("jobs", "outbound", "pathways"):
            scores = [item["value" if key == "pathways" else "score"] for item in out[key]]
            assert scores == sorted(scores, reverse=True) and len(scores) <= 10
            for item in out[key]:
                _check_explained(item)
        for item in out["jobs"]:
            assert ref.is_in_qujing(item["work_region"]["code"]) and not item["flags"]["needs_training"]
            assert item["flags"]["certificates"] == "held"
        for item in out["outbound"]:
            assert not ref.is_in_qujing(item["work_region"]["code"])
            assert any(r["code"] == "outbound" and r["text"].startswith("需赴") for r in item["reasons"])


def test_outbound_reasons_say_where_how_far_and_whether_the_worker_is_willing(rec):  # type: ignore[no-untyped-def]
    texts = [
        r["text"]
        for out in _sample(rec)
        for item in out["outbound"]
        for r in item["reasons"]
        if r["code"] == "outbound"
    ]
    assert texts
    assert all(re.fullmatch(r"需赴.+工作，约\d+公里，本人愿意省外就业", t) for t in texts if "省外" in t)


def test_pathways_close_the_gap_and_carry_cost_days_odds_and_subsidy(rec):  # type: ignore[no-untyped-def]
    paths = [p for out in _sample(rec, 120) for p in out["pathways"]]
    assert len(paths) > 10
    for p in paths:
        _check_explained(p)
        assert p["flags"]["needs_training"] is True
        prog = p["programme"]
        assert (
            prog["days"] > 0 and prog["cost"] > 0 and prog["class_start"] <= prog["class_end"] < p["end_date"]
        )
        assert p["score"] == pytest.approx(p["p_complete"] * p["p_hired_after_training"], abs=2e-4)
        assert p["reasons"][0]["code"] == "training" and prog["name"] in p["reasons"][0]["text"]
        subsidy = p["flags"]["subsidy"]
        assert subsidy is not None and ("eligible" in subsidy)
    missing = [p for p in paths if p["flags"]["certificates"] == "by_training"]
    assert missing, "some pathway should bring a required special-operation certificate"
    for p in missing:
        gap = [r for r in p["reasons"] if r["code"] == "certificate_missing"]
        assert gap and any(p["programme"]["name"] in r["text"] for r in gap)
        assert "特种作业操作证" in p["reasons"][0]["text"]


def test_a_line_asking_for_a_missing_certificate_is_never_offered_as_a_job(rec):  # type: ignore[no-untyped-def]
    city = rec.city
    for out in _sample(rec):
        for item in out["jobs"] + out["outbound"]:
            assert not any(r["code"] == "certificate_missing" for r in item["reasons"])
            row = int(city.line_rows([item["line_id"]])[0])
            assert city.lines.open[row] and city.lines.end[row] >= city.as_of


def test_bad_requests_are_refused_by_name(rec):  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError, match="worker id 987654321 is not in the store"):
        rec.recommend(987_654_321)
    with pytest.raises(ValueError, match="k must be at least 1"):
        rec.recommend(int(rec.city.workers.id[0]), k=0)


def test_recommend_for_worker_keeps_one_recommender_per_store(tmp_path_factory):  # type: ignore[no-untyped-def]
    """With the model saved in the project's models/ directory."""
    url = small_city(tmp_path_factory)
    wid = int(load_city(url).workers.id[3])
    out = recommend_for_worker(wid, url=url, k=3)
    assert out.worker_id == wid and len(out.jobs) <= 3
    assert recommender(url) is recommender(url, settings().matcher_models_dir)
    assert recommend_for_worker(wid, url=url, k=3) == out


def test_the_cli_prints_advice_a_counselor_reads_and_json_for_scripts(tmp_path_factory, monkeypatch):  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from matcher.cli import app

    url = small_city(tmp_path_factory)
    wid = int(load_city(url).workers.id[3])
    runner = CliRunner()
    monkeypatch.setenv("DATABASE_URL", url)
    settings.cache_clear()
    try:
        text = runner.invoke(app, ["recommend", str(wid), "--k", "3"])
        data = runner.invoke(app, ["recommend", str(wid), "--k", "3", "--json"])
        missing = runner.invoke(app, ["recommend", "987654321"])
        monkeypatch.setenv("MATCHER_MODELS_DIR", str(tmp_path_factory.mktemp("no_model")))
        settings.cache_clear()
        untrained = runner.invoke(app, ["recommend", str(wid)])
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert text.exit_code == 0 and data.exit_code == 0, text.output + data.output
    advice = json.loads(data.output)
    assert advice["worker_id"] == wid
    assert f"劳动者 {wid} 的推荐" in text.output and "【本地岗位】" in text.output and "【先培训、再就业】" in text.output
    for option in advice["jobs"] + advice["pathways"]:
        assert f"（岗位 {option['line_id']}，" in text.output
        assert all(r["text"] in text.output for r in option["reasons"])
    assert missing.exit_code == 2 and "劳动者 987654321 不在库中" in missing.output
    assert untrained.exit_code == 2 and "matcher train" in untrained.output, untrained.output
