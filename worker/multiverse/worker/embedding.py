"""The 2-D view of a latent space that umap.png shows: UMAP (umap-learn) seeded with a random state, or, in images
without umap-learn, the first two principal components of the latent, which the caller says in run.log and in the
picture's title."""
import hashlib
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

# UMAP needs a neighbourhood graph: fewer cells than this and the principal components are shown instead.
MIN_CELLS_FOR_UMAP = 5


@dataclass(frozen=True)
class Embedding:
    coords: np.ndarray
    method: str  # "UMAP" or "PCA"
    axis_names: Tuple[str, str]
    # why the principal components are shown instead of a UMAP (None for a UMAP)
    fallback_reason: Optional[str] = None


def principal_components(latent: np.ndarray) -> np.ndarray:
    """The first two principal components (a latent with one dimension gets a zero second axis), with a deterministic
    sign per component."""
    centred = latent - latent.mean(axis=0, keepdims=True)
    if latent.shape[1] < 2:
        return np.hstack([centred, np.zeros((latent.shape[0], 2 - latent.shape[1]))])
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    coords = u[:, :2] * s[:2]
    signs = np.sign(coords[np.argmax(np.abs(coords), axis=0), [0, 1]])
    signs[signs == 0] = 1
    return coords * signs


# Where `multiverse models setup` and the Dockerfiles leave numba's compiled umap-learn functions (beside the venv).
PREBUILT_NUMBA_CACHE = "numba-cache"


def _writable_caches() -> None:
    """numba (under umap-learn) and matplotlib cache compiled code and fonts; a sandboxed environment is read-only and
    HOME may be unwritable, so both get a cache under the temporary directory unless one is configured. The cache the
    environment was built with is copied there: it saves compiling umap-learn again in every run."""
    base = tempfile.gettempdir()
    if "NUMBA_CACHE_DIR" not in os.environ:
        # one cache per environment: runs outside a sandbox share /tmp
        target = os.path.join(base, f"multiverse-numba-cache-{hashlib.sha256(sys.prefix.encode()).hexdigest()[:12]}")
        prebuilt = os.path.join(sys.prefix, PREBUILT_NUMBA_CACHE)
        if os.path.isdir(prebuilt) and not os.path.exists(target):
            try:
                shutil.copytree(prebuilt, target)
            except OSError:
                pass  # numba compiles what it cannot find
        os.environ["NUMBA_CACHE_DIR"] = target
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(base, "multiverse-matplotlib"))


def umap_available() -> bool:
    _writable_caches()
    try:
        import umap  # type: ignore  # noqa: F401
    except ImportError:
        return False
    return True


def embed_2d(latent: np.ndarray, random_state: int) -> Embedding:
    """A UMAP of the latent, deterministic for `random_state` (umap-learn then runs single-threaded); the first two
    principal components when umap-learn is not installed or there are too few cells."""
    matrix = np.asarray(latent, dtype=np.float64)
    if matrix.shape[0] < MIN_CELLS_FOR_UMAP:
        return Embedding(principal_components(matrix), "PCA", ("PC 1", "PC 2"), f"{matrix.shape[0]} cells are too few for a UMAP")
    if not umap_available():
        return Embedding(principal_components(matrix), "PCA", ("PC 1", "PC 2"), "umap-learn is not installed")
    import umap  # type: ignore

    reducer = umap.UMAP(n_components=2, n_neighbors=min(15, matrix.shape[0] - 1), random_state=int(random_state))
    with warnings.catch_warnings():
        # "n_jobs value 1 overridden to 1 by setting random_state": a seeded UMAP is single-threaded on purpose
        warnings.filterwarnings("ignore", message=".*n_jobs.*")
        coords = reducer.fit_transform(matrix)
    return Embedding(np.asarray(coords, dtype=np.float64), "UMAP", ("UMAP 1", "UMAP 2"))
