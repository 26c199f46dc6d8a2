"""Cobolt on paired RNA + ATAC counts, written on the multiverse.worker SDK (upstream API: epurdom/cobolt)."""
import os

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


def main() -> None:
    setup_container_logging(OUTPUT_DIR)
    log = get_logger("cobolt")
    spec = load_job_spec()
    cfg = build_model_config("cobolt", spec, OUTPUT_DIR)
    params = cfg["model"]["cobolt"]
    # Cobolt picks CUDA itself when torch sees a GPU: "cpu" hides the GPUs before torch is imported.
    if params.get("device") == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    seed_everything(int(cfg["seed"]))
    import scipy.sparse as sp
    from cobolt.model import Cobolt
    from cobolt.utils import MultiomicDataset, SingleData

    data = load_input_mudata(prefer="lite")
    missing = [m for m in ("rna", "atac") if m not in data.mod]
    if missing:
        raise SystemExit(f"Cobolt needs the rna and atac modalities; missing: {', '.join(missing)}")
    barcodes = np.array(data.obs_names)
    rna = data.mod["rna"]
    atac = data.mod["atac"]
    expression = SingleData("GeneExpr", "input", np.array(rna.var_names), sp.csr_matrix(np.round(np.asarray(rna.X))), barcodes)
    accessibility = SingleData("ChromAccess", "input", np.array(atac.var_names), sp.csr_matrix((np.asarray(atac.X) > 0).astype(np.float32)), barcodes)
    dataset = MultiomicDataset.from_singledata(expression, accessibility)
    model = Cobolt(dataset=dataset, lr=float(params["learning_rate"]), n_latent=int(params["n_latent"]))
    model.train(num_epochs=int(params["num_epochs"]))
    model.calc_all_latent()
    latent, order = model.get_all_latent()
    position = {barcode: i for i, barcode in enumerate(order)}
    latent = np.asarray(latent, dtype=np.float64)[[position[b] for b in barcodes]]  # back to the input's cell order
    save_embeddings(latent, OUTPUT_DIR, n_obs=data.n_obs)
    save_umap(latent, data.obs, OUTPUT_DIR, config=cfg)  # label and batch keys, title and umap_random_state from the job
    save_metrics({"n_latent": int(latent.shape[1]), "epochs": int(params["num_epochs"])})
    log.info("Cobolt trained for %d epochs", int(params["num_epochs"]))


if __name__ == "__main__":
    main()
