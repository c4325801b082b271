"""Saving and loading the model: one joblib artifact and a manifest that vouches for it.

The manifest records the artifact's sha256, the fingerprint of the data it was trained on, the library
versions, the evaluation metrics and when it was trained. Loading recomputes the sha256 and refuses an
artifact that does not match: a model file that was altered, truncated or swapped is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

from matcher.config import settings
from matcher.model.scoring import MatchModel

ARTIFACT = "match_model.joblib"
MANIFEST = "manifest.json"
LIBRARIES = ("numpy", "scipy", "scikit-learn", "joblib", "jieba")


class ArtifactError(RuntimeError):
    """The saved model cannot be trusted or read; the message says which file and why."""


NO_MODEL = (FileNotFoundError, ArtifactError)
"""What loading the matching model raises when none is trained, or its files cannot be trusted."""


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary file in the same directory, then rename: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(model: MatchModel, out_dir: str | Path | None, info: dict[str, Any]) -> dict[str, Any]:
    """Write the artifact and its manifest (`info` plus file name, sha256 and versions) into `out_dir` (default
    `MATCHER_MODELS_DIR`); return the manifest."""
    out = Path(out_dir or settings().matcher_models_dir)
    out.mkdir(parents=True, exist_ok=True)
    artifact = out / ARTIFACT
    _atomic_write(artifact, lambda tmp: joblib.dump(model, tmp, compress=3))
    manifest = {
        "artifact": ARTIFACT,
        "sha256": sha256_of(artifact),
        "bytes": artifact.stat().st_size,
        "libraries": library_versions(),
        **info,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, default=str)
    _atomic_write(out / MANIFEST, lambda tmp: Path(tmp).write_text(text + "\n", encoding="utf-8"))
    return manifest


def read_manifest(models_dir: str | Path) -> dict[str, Any]:
    path = Path(models_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{path}：没有模型清单，请先训练模型（matcher train）") from None
    except json.JSONDecodeError as e:
        raise ArtifactError(
            f"{path}：模型清单不是有效的 JSON（{e}）；请重新训练模型（matcher train）"
        ) from None
    for key in ("artifact", "sha256"):
        if not isinstance(manifest.get(key), str):
            raise ArtifactError(f"{path}：模型清单缺少 {key!r} 项；请重新训练模型（matcher train）")
    return manifest


def load_model(models_dir: str | Path | None = None) -> tuple[MatchModel, dict[str, Any]]:
    """The saved model and its manifest (default folder `MATCHER_MODELS_DIR`), after checking the artifact's
    sha256 against the manifest."""
    models_dir = models_dir or settings().matcher_models_dir
    manifest = read_manifest(models_dir)
    artifact = Path(models_dir) / Path(manifest["artifact"]).name
    if not artifact.is_file():
        raise ArtifactError(f"{artifact}：模型清单所指的模型文件不存在；请重新训练模型（matcher train）")
    actual = sha256_of(artifact)
    if actual != manifest["sha256"]:
        raise ArtifactError(
            f"{artifact}：sha256 与模型清单不符（清单为 {manifest['sha256']}，文件为 {actual}），"
            "模型文件已被改动或替换，拒绝使用；请重新训练模型（matcher train）"
        )
    model = joblib.load(artifact)
    if not isinstance(model, MatchModel):
        raise ArtifactError(
            f"{artifact}：文件中是 {type(model).__name__}，不是匹配模型；请重新训练模型（matcher train）"
        )
    try:
        model.check()
    except ValueError as e:
        raise ArtifactError(f"{artifact}：{e}") from None
    return model, manifest
