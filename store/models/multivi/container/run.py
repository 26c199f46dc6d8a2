"""MultiVI (scvi-tools) on paired RNA + ATAC, written on the multiverse.worker SDK."""
import numpy as np

from multiverse.worker import (
    OUTPUT_DIR,
    EpochLogger,
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


def main() -> None:
    setup_container_logging(OUTPUT_DIR)
    log = get_logger("multivi")
    spec = load_job_spec()
    cfg = build_model_config("multivi", spec, OUTPUT_DIR)
    params = cfg["model"]["multivi"]
    seed = int(cfg["seed"])
    seed_everything(seed)
    import anndata as ad
    import pandas as pd
    import scvi

    scvi.settings.seed = seed
    data = load_input_mudata(prefer="lite")
    missing = [m for m in ("rna", "atac") if m not in data.mod]
    if missing:
        raise SystemExit(f"MultiVI needs the rna and atac modalities; missing: {', '.join(missing)}")
    rna = np.asarray(data.mod["rna"].X, dtype=np.float32)
    if rna.min() < 0:
        raise SystemExit("MultiVI needs non-negative RNA counts; the input has negative values")
    atac = (np.asarray(data.mod["atac"].X) > 0).astype(np.float32)  # accessibility is modelled as binary
    obs = pd.DataFrame(index=data.obs_names)
    batch_key = cfg.get("batch_key")
    if batch_key and batch_key in data.obs:
        obs["batch"] = pd.Categorical([str(v) for v in data.obs[batch_key]])
    adata = ad.AnnData(X=np.hstack([np.round(rna), atac]), obs=obs)
    adata.var["modality"] = ["Gene Expression"] * rna.shape[1] + ["Peaks"] * atac.shape[1]
    scvi.model.MULTIVI.setup_anndata(adata, batch_key="batch" if "batch" in obs else None)
    model = scvi.model.MULTIVI(adata, n_genes=rna.shape[1], n_regions=atac.shape[1], n_latent=int(params["n_latent"]), n_hidden=int(params["n_hidden"]))
    device = resolve_device(params.get("device"))
    log.info("MultiVI on %d cells, %d genes, %d peaks, device %s", adata.n_obs, rna.shape[1], atac.shape[1], device)
    model.train(
        max_epochs=int(params["max_epochs"]),
        batch_size=int(params["batch_size"]),
        lr=float(params["learning_rate"]),
        accelerator="gpu" if device == "cuda" else "cpu",
        enable_progress_bar=False,
    )
    history = model.history.get("elbo_train")
    with EpochLogger(OUTPUT_DIR) as epochs:
        if history is not None:
            for epoch, value in enumerate(history["elbo_train"].to_numpy().ravel().tolist()):
                epochs.log(epoch, elbo_train=float(value))
    latent = np.asarray(model.get_latent_representation(), dtype=np.float64)
    save_embeddings(latent, OUTPUT_DIR, n_obs=data.n_obs)
    save_umap(latent, data.obs, OUTPUT_DIR, config=cfg)  # label and batch keys, title and umap_random_state from the job
    final = float(history["elbo_train"].to_numpy().ravel()[-1]) if history is not None and len(history) else float("nan")
    save_metrics({"n_latent": int(latent.shape[1]), "epochs": int(params["max_epochs"]), **({"elbo_train": final} if np.isfinite(final) else {})})
    log.info("MultiVI trained for %d epochs", int(params["max_epochs"]))


if __name__ == "__main__":
    main()
