"""The planners' notebook runs headless on a small sample city and produces its figures and workbook."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from openpyxl import load_workbook

from matcher.config import PROJECT_DIR
from tests.test_plan_pipeline import sample_city

NOTEBOOK = PROJECT_DIR / "notebooks" / "city_plan.ipynb"


def test_city_plan_notebook_runs(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, models = sample_city(tmp_path_factory.getbasetemp())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MATCHER_MODELS_DIR", str(models))
    monkeypatch.setenv("PLAN_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()

    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "assigned" in text and "stability costs" in text and "gap" in text
    images = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})
    ]
    assert len(images) == 4
    for name in ("demand_supply", "composition", "budget", "targets"):
        assert (tmp_path / f"{name}.png").stat().st_size > 5_000
    assert load_workbook(tmp_path / "city_plan.xlsx").sheetnames[0] == "总览"
