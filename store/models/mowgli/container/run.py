"""Mowgli (optimal-transport NMF) on paired modalities, written on the multiverse.worker SDK."""
import numpy as np

from multiverse.worker import (
    OUTPUT_DIR,
    build_model_config,
    get_logger,
    load_input_mudata,
    load_job_spec,
    resolve_device,
    save_embeddings,
    save_metrics,
    save_umap,
    seed_everything,
    setup_container_logging,
)


def prepare(name: str, X: np.ndarray) -> np.ndarray:
    """Non-negative inputs, as NMF needs: log1p of library-normalised counts, binary accessibility for ATAC."""
    X = np.asarray(X, dtype=np.float64)
    if X.min() < 0:
        raise SystemExit(f"Mowgli needs non-negative data; modality {name} has negative values")
    if name == "atac":
        return (X > 0).astype(np.float64)
    totals = X.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    return np.log1p(X / totals * np.median(totals))


def main() -> None:
    setup_container_logging(OUTPUT_DIR)
    log = get_logger("mowgli")
    spec = load_job_spec()
    cfg = build_model_config("mowgli", spec, OUTPUT_DIR)
    params = cfg["model"]["mowgli"]
    seed = int(cfg["seed"])
    seed_everything(seed)
    import anndata as ad
    import mudata as md
    from mowgli import models

    data = load_input_mudata(prefer="lite")
    mods = {}
    for name in data.mod:
        X = prepare(name, data.mod[name].X)
        keep = X.std(axis=0) > 0  # constant features carry no signal and break the cosine cost
        modality = ad.AnnData(X=X[:, keep])
        modality.obs_names = list(data.obs_names)
        modality.var["highly_variable"] = True
        mods[name] = modality
        log.info("modality %s: %d cells x %d features", name, modality.n_obs, modality.n_vars)
    mdata = md.MuData(mods)
    device = resolve_device(params.get("device"))
    model = models.MowgliModel(latent_dim=int(params["latent_dim"]), eps=float(params["eps"]), w_regularization=float(params["w_regularization"]), cost=params["cost"])
    model.train(mdata, max_iter=int(params["max_iter"]), max_iter_inner=int(params["max_iter_inner"]), device=device)
    latent = np.asarray(mdata.obsm["W_OT"], dtype=np.float64)
    save_embeddings(latent, OUTPUT_DIR, n_obs=data.n_obs)
    save_umap(latent, data.obs, OUTPUT_DIR, config=cfg)  # label and batch keys, title and umap_random_state from the job
    losses = [float(v) for v in getattr(model, "losses", [])]
    save_metrics({"latent_dim": int(latent.shape[1]), "iterations": int(params["max_iter"]), **({"final_loss": losses[-1]} if losses and np.isfinite(losses[-1]) else {})})
    log.info("Mowgli trained: %d factors over %s", latent.shape[1], "+".join(mods))


if __name__ == "__main__":
    main()
