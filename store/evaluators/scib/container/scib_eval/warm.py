"""Compiles the numba functions an evaluation uses (umap-learn's, for the UMAP grid; the neighbours for the metrics
are sklearn's exact kNN, see metrics.exact_neighbors) into $NUMBA_CACHE_DIR, once, when the environment or image is made:
    NUMBA_CACHE_DIR=<env>/numba-cache python3 -m scib_eval.warm
The evaluator seeds its cache from <sys.prefix>/numba-cache (caches.py)."""
import numpy as np


def main() -> None:
    import umap

    data = np.random.default_rng(0).normal(size=(300, 10)).astype(np.float32)
    umap.UMAP(n_neighbors=15, n_epochs=10, random_state=0).fit_transform(data)


if __name__ == "__main__":
    main()
