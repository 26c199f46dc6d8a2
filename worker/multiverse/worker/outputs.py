"""Writing the contract's outputs: embeddings.h5 (`latent`), umap.png, metrics.json."""
import json
import math
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

import h5py
import numpy as np

from .job_spec import ContractError
from .logging_setup import get_logger
from .paths import output_dir
from .colouring import categorical, drawing_order
from .embedding import embed_2d
from .figure import Figure, Panel
from .render import render


def save_embeddings(latent: Any, out_dir: Optional[Union[str, Path]] = None, n_obs: Optional[int] = None, allow_non_finite: bool = False) -> Path:
    """Write the latent matrix as the single top-level dataset `latent` of embeddings.h5.
    Checks the contract before writing: 2-D, non-empty, one row per input cell (when n_obs is given), finite."""
    matrix = np.asarray(latent)
    if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ContractError(f"latent must be a non-empty 2-D matrix, got shape {matrix.shape}")
    if n_obs is not None and matrix.shape[0] != n_obs:
        raise ContractError(f"latent has {matrix.shape[0]} rows but the input has {n_obs} cells: rows must match the input's obs, in order")
    if not np.issubdtype(matrix.dtype, np.number):
        raise ContractError(f"latent must be numeric, got dtype {matrix.dtype}")
    if not allow_non_finite and not np.isfinite(matrix).all():
        bad = int((~np.isfinite(matrix)).sum())
        raise ContractError(f"latent holds {bad} non-finite values (NaN or Inf)")
    target = Path(out_dir) if out_dir is not None else output_dir()
    target.mkdir(parents=True, exist_ok=True)
    file = target / "embeddings.h5"
    tmp = target / ".embeddings.h5.tmp"
    with h5py.File(tmp, "w") as f:
        f.create_dataset("latent", data=matrix.astype(np.float32) if matrix.dtype == np.float64 else matrix)
    tmp.replace(file)
    return file


LABEL_GUESSES = ("label", "cell_type", "celltype", "leiden")


def _title(config: Optional[Mapping[str, Any]]) -> str:
    if not config:
        return "latent space"
    model = next(iter(config.get("model") or {}), None) or "model"
    dataset = config.get("dataset_name") or "dataset"
    return f"{model} on {dataset}, seed {config.get('seed')}"


def _random_state(explicit: Optional[int], config: Optional[Mapping[str, Any]]) -> int:
    """The argument, else the model's `umap_random_state` hyperparameter, else the job's seed, else 0."""
    if explicit is not None:
        return int(explicit)
    if config:
        params = next(iter((config.get("model") or {}).values()), None) or {}
        if params.get("umap_random_state") is not None:
            return int(params["umap_random_state"])
        if config.get("seed") is not None:
            return int(config["seed"])
    return 0


def save_umap(
    latent: Any,
    obs: Any = None,
    out_dir: Optional[Union[str, Path]] = None,
    color: Optional[str] = None,
    umap_random_state: Optional[int] = None,
    *,
    batch: Optional[str] = None,
    title: Optional[str] = None,
    config: Optional[Mapping[str, Any]] = None,
) -> Path:
    """umap.png: a UMAP of the latent (umap-learn, seeded), coloured by the label key `color` with a legend, and a
    second panel coloured by the `batch` key when the data has more than one batch. With `config` (what
    build_model_config returns) the keys, the title (model, dataset, seed) and the random state (the model's
    umap_random_state, else the seed) come from the job. Without umap-learn the picture shows the first two principal
    components of the latent and says so in its title and in run.log."""
    log = get_logger("outputs")
    matrix = np.asarray(latent, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ContractError(f"latent must be a non-empty 2-D matrix, got shape {matrix.shape}")
    label_key = color if color is not None else (config or {}).get("label_key")
    batch_key = batch if batch is not None else (config or {}).get("batch_key")
    state = _random_state(umap_random_state, config)
    embedding = embed_2d(matrix, state)
    if embedding.fallback_reason:
        log.warning("%s: umap.png shows the first two principal components of the latent instead of a UMAP", embedding.fallback_reason)
        subtitle = f"not a UMAP: {embedding.fallback_reason}\nfirst two principal components of the {matrix.shape[1]}-d latent"
    else:
        subtitle = f"UMAP of the {matrix.shape[1]}-d latent, random_state {state}"
    columns = _columns(obs)
    n = matrix.shape[0]
    panels = [_label_panel(columns, label_key, n, log)]
    if batch_key:
        values = columns.get(batch_key)
        if values is None:
            log.warning("batch key %r is not an obs column: umap.png has no batch panel", batch_key)
        elif len({str(v) for v in values}) < 2:
            log.info("batch key %r has a single value: umap.png has no batch panel", batch_key)
        else:
            panels.append(Panel(f"coloured by {batch_key}", categorical(list(values), n)))
    figure = Figure(title if title is not None else _title(config), subtitle, embedding.axis_names, embedding.coords, drawing_order(n, state), panels)
    png, renderer = render(figure)
    if renderer == "plain":
        log.info("matplotlib is not installed: umap.png is drawn by the SDK's own rasteriser")
    target = Path(out_dir) if out_dir is not None else output_dir()
    target.mkdir(parents=True, exist_ok=True)
    file = target / "umap.png"
    tmp = target / ".umap.png.tmp"
    tmp.write_bytes(png)
    tmp.replace(file)
    return file


def _label_panel(columns: Mapping[str, Any], label_key: Optional[str], n: int, log: Any) -> Panel:
    if label_key and label_key not in columns:
        log.warning("label key %r is not an obs column (columns: %s)", label_key, ", ".join(sorted(columns)) or "none")
    for key in ([label_key] if label_key else []) + list(LABEL_GUESSES):
        if key and key in columns:
            return Panel(f"coloured by {key}", categorical(list(columns[key]), n))
    return Panel("no label column", categorical(None, n))


def _columns(obs: Any) -> Mapping[str, Any]:
    if obs is None:
        return {}
    if isinstance(obs, Mapping):
        return obs
    if hasattr(obs, "columns"):
        return {str(c): obs[c].to_numpy() for c in obs.columns}
    return {}


def _sanitise(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _sanitise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_sanitise(v) for v in value]
    return value


def save_metrics(model_metrics: Dict[str, Any], history: Optional[Dict[str, Sequence[float]]] = None, out_dir: Optional[Union[str, Path]] = None) -> Path:
    """metrics.json with finite scalars only: non-finite values become null (and are logged by the caller)."""
    for key, value in model_metrics.items():
        if isinstance(value, (Mapping, list, tuple)):
            raise ContractError(f"model_metrics.{key} must be a scalar")
    document: Dict[str, Any] = {"model_metrics": _sanitise(model_metrics)}
    if history:
        document["history"] = _sanitise(history)
    target = Path(out_dir) if out_dir is not None else output_dir()
    target.mkdir(parents=True, exist_ok=True)
    file = target / "metrics.json"
    file.write_text(json.dumps(document, indent=2, allow_nan=False), encoding="utf-8")
    return file
