"""eval_config.json (schema_version 1): parsing and validation. A bad config is a ConfigError naming the field."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRESETS = ("default", "fast", "all")
READINESS_STATUSES = (
    "ready", "running", "training_failed", "cancelled", "not_submitted", "missing_artifact_dir",
    "bad_artifact_manifest", "no_embeddings", "missing_dataset", "unsupported_dataset",
)
SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# member ids name files (evaluations/<member_id>.json): no path separators, no leading dot
MEMBER_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,199}$")


class ConfigError(Exception):
    def __init__(self, field_path: str, message: str):
        super().__init__(f"eval_config.json: {field_path}: {message}")
        self.field = field_path


@dataclass(frozen=True)
class Member:
    member_id: str
    run_id: str
    attempt_id: str | None
    model: str
    seed: int | None
    params: dict[str, Any]
    bundle_dir: str | None
    embedding_path: str | None
    manifest_sha256: str | None
    embedding_sha256: str | None


@dataclass(frozen=True)
class NotReadyMember:
    member_id: str
    run_id: str
    attempt_id: str | None
    model: str
    seed: int | None
    params: dict[str, Any]
    status: str
    reason: str | None


@dataclass(frozen=True)
class Dataset:
    slug: str
    path: str
    fingerprint: str | None
    batch_key: str | None
    label_key: str | None
    members: list[Member] = field(default_factory=list)
    not_ready: list[NotReadyMember] = field(default_factory=list)


@dataclass(frozen=True)
class EvalConfig:
    launch_id: str
    metrics: str
    seed: int
    datasets: list[Dataset]


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(where, f"expected an object, got {type(value).__name__}")
    return value


def _str(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{where}.{key}", "is required (a non-empty string)")
    if not isinstance(value, str) or value == "":
        raise ConfigError(f"{where}.{key}", f"expected a non-empty string, got {json.dumps(value)}")
    return value


def _int(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> int | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}.{key}", f"expected an integer, got {json.dumps(value)}")
    return value


def _params(obj: dict[str, Any], where: str) -> dict[str, Any]:
    value = obj.get("params", {})
    if value is None:
        return {}
    return _obj(value, f"{where}.params")


def _member_id(obj: dict[str, Any], where: str, seen: set[str]) -> str:
    member_id = _str(obj, "member_id", where)
    assert member_id is not None
    if not MEMBER_ID.match(member_id):
        raise ConfigError(f"{where}.member_id", f"{json.dumps(member_id)} is not a usable file name (letters, digits, _ . : + -)")
    if member_id in seen:
        raise ConfigError(f"{where}.member_id", f"{json.dumps(member_id)} appears twice in the launch")
    seen.add(member_id)
    return member_id


def _member(raw: Any, where: str, seen: set[str]) -> Member:
    obj = _obj(raw, where)
    member_id = _member_id(obj, where, seen)
    embedding_path = _str(obj, "embedding_path", where, optional=True)
    bundle_dir = _str(obj, "bundle_dir", where, optional=True)
    if embedding_path is None and bundle_dir is None:
        raise ConfigError(f"{where}.embedding_path", "is required for a ready member (or bundle_dir)")
    return Member(
        member_id=member_id,
        run_id=_str(obj, "run_id", where, optional=True) or member_id,
        attempt_id=_str(obj, "attempt_id", where, optional=True),
        model=_str(obj, "model", where) or "",
        seed=_int(obj, "seed", where, optional=True),
        params=_params(obj, where),
        bundle_dir=bundle_dir,
        embedding_path=embedding_path or str(Path(bundle_dir or "") / "embeddings.h5"),
        manifest_sha256=_str(obj, "manifest_sha256", where, optional=True),
        embedding_sha256=_str(obj, "embedding_sha256", where, optional=True),
    )


def _not_ready(raw: Any, where: str, seen: set[str]) -> NotReadyMember:
    obj = _obj(raw, where)
    member_id = _member_id(obj, where, seen)
    status = _str(obj, "status", where)
    if status not in READINESS_STATUSES or status == "ready":
        allowed = ", ".join(s for s in READINESS_STATUSES if s != "ready")
        raise ConfigError(f"{where}.status", f"{json.dumps(status)} is not a not-ready readiness status ({allowed})")
    return NotReadyMember(
        member_id=member_id,
        run_id=_str(obj, "run_id", where, optional=True) or member_id,
        attempt_id=_str(obj, "attempt_id", where, optional=True),
        model=_str(obj, "model", where) or "",
        seed=_int(obj, "seed", where, optional=True),
        params=_params(obj, where),
        status=status or "",
        reason=_str(obj, "reason", where, optional=True),
    )


def _list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where}.{key}", f"expected a list, got {type(value).__name__}")
    return value


def _dataset(raw: Any, where: str, slugs: set[str], member_ids: set[str]) -> Dataset:
    obj = _obj(raw, where)
    slug = _str(obj, "slug", where)
    assert slug is not None
    if not SLUG.match(slug):
        raise ConfigError(f"{where}.slug", f"{json.dumps(slug)} is not a slug (lower-case letters, digits, -)")
    if slug in slugs:
        raise ConfigError(f"{where}.slug", f"{json.dumps(slug)} appears twice")
    slugs.add(slug)
    if "members" not in obj:
        raise ConfigError(f"{where}.members", "is required (a list, possibly empty)")
    batch_key = _str(obj, "batch_key", where, optional=True)
    label_key = _str(obj, "label_key", where, optional=True)
    return Dataset(
        slug=slug,
        path=_str(obj, "path", where) or "",
        fingerprint=_str(obj, "fingerprint", where, optional=True),
        batch_key=batch_key,
        label_key=label_key,
        members=[_member(m, f"{where}.members[{i}]", member_ids) for i, m in enumerate(_list(obj, "members", where))],
        not_ready=[_not_ready(m, f"{where}.not_ready[{i}]", member_ids) for i, m in enumerate(_list(obj, "not_ready", where))],
    )


def parse_config(raw: Any) -> EvalConfig:
    obj = _obj(raw, "(root)")
    version = obj.get("schema_version")
    if version != 1:
        raise ConfigError("schema_version", f"expected 1, got {json.dumps(version)}")
    launch_id = _str(obj, "launch_id", "(root)")
    metrics = obj.get("metrics", "default")
    if metrics not in PRESETS:
        raise ConfigError("metrics", f"expected one of {', '.join(PRESETS)}, got {json.dumps(metrics)}")
    seed = _int(obj, "seed", "(root)", optional=True)
    if seed is not None and seed < 0:
        raise ConfigError("seed", f"expected a non-negative integer, got {seed}")
    if "datasets" not in obj:
        raise ConfigError("datasets", "is required (a list)")
    slugs: set[str] = set()
    member_ids: set[str] = set()
    datasets = [_dataset(d, f"datasets[{i}]", slugs, member_ids) for i, d in enumerate(_list(obj, "datasets", "(root)"))]
    return EvalConfig(launch_id=launch_id or "", metrics=metrics, seed=seed or 0, datasets=datasets)


def load_config(path: Path) -> EvalConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError("(file)", f"cannot read {path}: {error.strerror}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError("(file)", f"{path} is not JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    return parse_config(raw)
