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
from .png import scatter_png


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


def _two_d(latent: np.ndarray, seed: int) -> np.ndarray:
    try:
        import umap  # type: ignore

        return umap.UMAP(random_state=seed, n_components=2).fit_transform(latent)
    except ImportError:
        get_logger("outputs").warning("umap-learn is not installed: umap.png shows the first two principal components of the latent instead")
        centred = latent - latent.mean(axis=0, keepdims=True)
        if latent.shape[1] <= 2:
            return np.hstack([centred, np.zeros((latent.shape[0], 2 - latent.shape[1]))]) if latent.shape[1] < 2 else centred
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        return centred @ vt[:2].T


def save_umap(latent: Any, obs: Any = None, out_dir: Optional[Union[str, Path]] = None, color: Optional[str] = None, umap_random_state: int = 0) -> Path:
    """A seeded 2-D view of the latent space as umap.png: UMAP when umap-learn is installed, else the first two
    principal components of the latent (the image says which in run.log). Coloured by `color` (or a label column)."""
    matrix = np.asarray(latent, dtype=np.float64)
    coords = _two_d(matrix, umap_random_state)
    labels: Optional[Sequence[object]] = None
    columns = _columns(obs)
    for key in ([color] if color else []) + ["label", "cell_type", "celltype", "leiden"]:
        if key and key in columns:
            labels = list(columns[key])
            break
    target = Path(out_dir) if out_dir is not None else output_dir()
    target.mkdir(parents=True, exist_ok=True)
    file = target / "umap.png"
    file.write_bytes(scatter_png(coords, labels))
    return file


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
