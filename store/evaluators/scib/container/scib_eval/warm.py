"""Compiles the numba functions an evaluation uses (pynndescent's neighbour search as scib-metrics calls it, and
umap-learn for the UMAP grid) into $NUMBA_CACHE_DIR, once, when the environment or image is made:
    NUMBA_CACHE_DIR=<env>/numba-cache python3 -m scib_eval.warm
The evaluator seeds its cache from <sys.prefix>/numba-cache (caches.py)."""
import numpy as np


def main() -> None:
    from scib_metrics.nearest_neighbors import pynndescent
    import umap

    data = np.random.default_rng(0).normal(size=(300, 10)).astype(np.float32)
    pynndescent(data, n_neighbors=90, random_state=0, n_jobs=1)
    umap.UMAP(n_neighbors=15, n_epochs=10, random_state=0).fit_transform(data)


if __name__ == "__main__":
    main()
