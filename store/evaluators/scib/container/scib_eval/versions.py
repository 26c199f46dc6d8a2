"""The versions every output names (from the installed distributions' metadata: nothing is imported for it)."""
from __future__ import annotations

import platform
from importlib import metadata

EVALUATOR = {"name": "scib", "version": "1.0.0"}
DISTRIBUTIONS = {
    "scib_metrics": "scib-metrics", "jax": "jax", "jaxlib": "jaxlib", "pandas": "pandas", "numpy": "numpy",
    "anndata": "anndata", "mudata": "mudata", "h5py": "h5py", "scikit_learn": "scikit-learn", "scipy": "scipy",
    "umap_learn": "umap-learn", "pynndescent": "pynndescent", "matplotlib": "matplotlib", "plottable": "plottable",
}


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version(), "evaluator": f"{EVALUATOR['name']} {EVALUATOR['version']}"}
    for key, distribution in DISTRIBUTIONS.items():
        try:
            out[key] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            out[key] = None
    return out
