"""PCA on the concatenated modalities, written on the multiverse.worker SDK."""
import numpy as np

from multiverse.worker import (
    OUTPUT_DIR,
    anndata_concatenate,
    build_model_config,
    get_logger,
    load_input_mudata,
    load_job_spec,
    save_embeddings,
    save_metrics,
    save_umap,
    seed_everything,
    setup_container_logging,
)


def normalise(X: np.ndarray) -> np.ndarray:
    """Library-size normalisation, log1p, then per-feature scaling (zero-variance features are kept at 0)."""
    totals = X.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    X = np.log1p(X / totals * np.median(totals))
    X = X - X.mean(axis=0, keepdims=True)
    std = X.std(axis=0, keepdims=True)
    std[std == 0] = 1.0
    return np.clip(X / std, -10, 10)


def pca(X: np.ndarray, n_components: int, solver: str, seed: int):
    if solver == "randomized" and min(X.shape) > n_components + 10:
        rng = np.random.default_rng(seed)
        sketch = X @ rng.normal(size=(X.shape[1], n_components + 10))
        q, _ = np.linalg.qr(sketch)
        u_small, s, vt = np.linalg.svd(q.T @ X, full_matrices=False)
        u = q @ u_small
    else:
        u, s, vt = np.linalg.svd(X, full_matrices=False)
    # a deterministic sign for every component, so that the same seed gives a bit-identical latent
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), range(u.shape[1])])
    signs[signs == 0] = 1
    u, vt = u * signs, vt * signs[:, None]
    variance = s**2 / max(1, X.shape[0] - 1)
    total = (X**2).sum() / max(1, X.shape[0] - 1)
    return u[:, :n_components] * s[:n_components], variance[:n_components] / total if total > 0 else variance[:n_components]


def main() -> None:
    setup_container_logging(OUTPUT_DIR)
    log = get_logger("pca")
    spec = load_job_spec()
    cfg = build_model_config("pca", spec, OUTPUT_DIR)
    params = cfg["model"]["pca"]
    seed_everything(cfg["seed"])
    data = load_input_mudata(prefer="lite")
    names = list(data.mod)
    joined = anndata_concatenate([data.mod[m] for m in names], names)
    X = np.asarray(joined.X, dtype=np.float64)
    if params.get("normalize", True):
        X = normalise(X)
    n_components = min(int(params.get("n_components", 20)), min(X.shape) - 1)
    log.info("PCA of %d cells x %d features (%s) to %d components", X.shape[0], X.shape[1], "+".join(names), n_components)
    latent, ratio = pca(X, n_components, params.get("svd_solver", "full"), cfg["seed"])
    save_embeddings(latent, OUTPUT_DIR, n_obs=data.n_obs)
    save_umap(latent, data.obs, OUTPUT_DIR, config=cfg)  # label and batch keys, title and umap_random_state from the job
    save_metrics({"explained_variance_ratio_sum": float(ratio.sum()), "n_components": n_components, "n_features": int(X.shape[1])})
    log.info("explained variance ratio %.4f", float(ratio.sum()))


if __name__ == "__main__":
    main()
