"""job_spec.json and model configuration: the orchestrator's instruction, with schema defaults applied."""
import json
import os
import random
from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np

from .paths import output_dir


class ContractError(RuntimeError):
    """The container was given something the contract does not allow; the message says what."""


def load_job_spec(path: Optional[Union[str, Path]] = None) -> Dict[str, Any]:
    file = Path(path) if path is not None else output_dir() / "job_spec.json"
    try:
        spec = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ContractError(f"job spec {file} is missing: the orchestrator writes it before the container starts") from error
    except json.JSONDecodeError as error:
        raise ContractError(f"job spec {file} is not valid JSON: {error}") from error
    if not isinstance(spec, dict):
        raise ContractError(f"job spec {file} must be a JSON object")
    seed = spec.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ContractError(f"job spec {file}: seed must be an integer, got {seed!r}")
    if not isinstance(spec.get("hyperparameters", {}), dict):
        raise ContractError(f"job spec {file}: hyperparameters must be an object")
    return spec


def schema_defaults(schema: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    if not schema:
        return {}
    props = schema.get("properties", {})
    return {key: value["default"] for key, value in props.items() if isinstance(value, dict) and "default" in value}


def load_schema_near(model_slug: str) -> Optional[Dict[str, Any]]:
    """A model image may ship its hyperparameter schema next to its entrypoint (MULTIVERSE_HPARAM_SCHEMA)."""
    candidates = [os.environ.get("MULTIVERSE_HPARAM_SCHEMA"), "/app/hyperparameters.schema.json"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return json.loads(Path(candidate).read_text(encoding="utf-8"))
    return None


def build_model_config(
    model_slug: str,
    spec: Dict[str, Any],
    out_dir: Optional[Union[str, Path]] = None,
    schema: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """{"seed", "model": {slug: params}, "output_dir", "dataset_name"}: job hyperparameters over schema defaults.
    The orchestrator has already validated and defaulted them; applying defaults again keeps a container
    usable when it is run by hand with a partial job spec."""
    params = dict(schema_defaults(schema if schema is not None else load_schema_near(model_slug)))
    params.update(spec.get("hyperparameters", {}) or {})
    return {
        "seed": spec["seed"],
        "model": {model_slug: params},
        "output_dir": str(out_dir if out_dir is not None else output_dir()),
        "dataset_name": spec.get("dataset_name"),
        "batch_key": spec.get("batch_key"),
        "label_key": spec.get("label_key"),
    }


def seed_everything(seed: int) -> None:
    """random, numpy and (when installed) torch, before any stochastic operation."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import torch  # type: ignore

        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
    except ImportError:
        pass


def resolve_device(requested: Optional[str] = None) -> str:
    """Honour the `device` hyperparameter; "auto" picks CUDA when torch sees one. Never pins GPU 0 implicitly:
    the device is "cuda" and the visible devices are whatever the engine exposed."""
    choice = (requested or "auto").lower()
    if choice == "cpu":
        return "cpu"
    try:
        import torch  # type: ignore

        has_cuda = bool(torch.cuda.is_available())
    except ImportError:
        has_cuda = False
    if choice in ("cuda", "gpu"):
        if not has_cuda:
            raise ContractError("device 'cuda' was requested but no CUDA device is visible in this container")
        return "cuda"
    if choice == "auto":
        return "cuda" if has_cuda else "cpu"
    raise ContractError(f"unknown device {requested!r}: expected cpu, cuda or auto")
