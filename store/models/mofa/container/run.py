"""MOFA+ (mofapy2) with one Gaussian view per modality, written on the multiverse.worker SDK."""
import numpy as np

from multiverse.worker import (
    OUTPUT_DIR,
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
    """Library-size normalisation and log1p (MOFA's Gaussian likelihood wants roughly normal data)."""
    totals = X.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    return np.log1p(X / totals * np.median(totals))


def top_variable(X: np.ndarray, n: int) -> np.ndarray:
    if n <= 0 or X.shape[1] <= n:
        return X
    order = np.argsort(-X.var(axis=0), kind="stable")[:n]
    return X[:, np.sort(order)]


def main() -> None:
    setup_container_logging(OUTPUT_DIR)
    log = get_logger("mofa")
    spec = load_job_spec()
    cfg = build_model_config("mofa", spec, OUTPUT_DIR)
    params = cfg["model"]["mofa"]
    seed = int(cfg["seed"])
    seed_everything(seed)
    # Imported after seeding: mofapy2 reads numpy's global state while it initialises.
    from mofapy2.run.entry_point import entry_point

    data = load_input_mudata(prefer="lite")
    views, names = [], []
    for name in data.mod:
        X = np.asarray(data.mod[name].X, dtype=np.float64)
        if params.get("normalize", True):
            X = normalise(X)
        X = top_variable(X, int(params.get("n_top_features", 2000)))
        X = X - X.mean(axis=0, keepdims=True)
        keep = X.std(axis=0) > 0
        views.append(X[:, keep])
        names.append(name)
        log.info("view %s: %d cells x %d features", name, X.shape[0], int(keep.sum()))
    n_factors = min(int(params.get("n_factors", 10)), min(v.shape[1] for v in views))
    ent = entry_point()
    ent.set_data_options(scale_views=False)
    ent.set_data_matrix([[v] for v in views], likelihoods=["gaussian"] * len(views), views_names=names)
    ent.set_model_options(factors=n_factors, spikeslab_weights=bool(params.get("spikeslab_weights", True)), ard_factors=bool(params.get("ard_factors", True)))
    ent.set_train_options(
        iter=int(params.get("max_iter", 200)),
        convergence_mode=params.get("convergence_mode", "fast"),
        seed=seed,
        verbose=False,
        quiet=True,
        dropR2=None,
    )
    ent.build()
    ent.run()
    latent = np.asarray(ent.model.nodes["Z"].getExpectation(), dtype=np.float64)
    # A deterministic sign per factor, as for PCA: the same seed gives a bit-identical latent.
    signs = np.sign(latent[np.argmax(np.abs(latent), axis=0), range(latent.shape[1])])
    signs[signs == 0] = 1
    latent = latent * signs
    r2 = ent.model.calculate_variance_explained()
    explained = {f"variance_explained.{name}": float(np.sum(r2[0][i])) for i, name in enumerate(names)} if r2 is not None else {}
    save_embeddings(latent, OUTPUT_DIR, n_obs=data.n_obs)
    save_umap(latent, data.obs, OUTPUT_DIR, config=cfg)  # label and batch keys, title and umap_random_state from the job
    save_metrics({"n_factors": int(latent.shape[1]), "n_views": len(views), **explained})
    log.info("MOFA+ trained: %d factors over %s", latent.shape[1], "+".join(names))


if __name__ == "__main__":
    main()
