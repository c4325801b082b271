"""A model release: evaluated on the held-out year, refitted on every year, saved with its manifest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from matcher.model.artifacts import save_model
from matcher.model.evaluate import evaluate_city
from matcher.model.snapshot import load_city
from matcher.model.training import data_fingerprint, fit_match_model, fit_vectorizer, history


def train_model(url: str | None = None, out_dir: str | Path | None = None) -> dict[str, Any]:
    """Evaluate on the held-out year, refit on every year, save under `out_dir`; return the manifest."""
    city = load_city(url)
    vectorizer = fit_vectorizer(city)
    metrics = evaluate_city(city, vectorizer, url)
    hist = history(city)
    model = fit_match_model(city, vectorizer, hist)
    info = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data_fingerprint(city),
        "training": {
            "years": sorted(np.unique(hist.year).tolist()),
            "referrals": len(hist),
            "positives": int(hist.label.sum()),
            "enrolments": len(city.enrolments),
            "text_analyzer": vectorizer.text_analyzer,
            "features": list(model.features),
        },
        "metrics": metrics,
    }
    return save_model(model, out_dir, info)
