"""Test inputs: pbmc68k-reduced (with gem_group), PCA embeddings of it written as bundles, eval configs."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[4]
EVALUATOR = ROOT / "store" / "evaluators" / "scib" / "container" / "evaluate.py"
GENERATED = ROOT / "data" / "generated" / "pbmc68k-reduced.h5mu"


def has_gem_group(path: Path) -> bool:
    try:
        with h5py.File(path, "r") as f:
            return "gem_group" in f["obs"]
    except OSError:
        return False


def pbmc68k_reduced(workdir: Path) -> Path:
    """data/generated's file when it has gem_group; else converted again from scanpy's cached wheel."""
    if has_gem_group(GENERATED):
        return GENERATED
    out = workdir / "pbmc68k-reduced.h5mu"
    if not out.exists():
        subprocess.run([sys.executable, "-m", "multiverse.datasets.pbmc68k_reduced", str(out)], cwd=ROOT / "worker", check=True,
                       stdout=subprocess.DEVNULL)
    return out


def pca_embedding(dataset: Path, n_components: int, seed: int) -> np.ndarray:
    """A randomized PCA of the log-normalised expression: different seeds give (slightly) different embeddings."""
    from sklearn.decomposition import PCA
    import scipy.sparse as sp

    with h5py.File(dataset, "r") as f:
        x = f["mod/rna/X"]
        matrix = sp.csr_matrix((x["data"][()], x["indices"][()], x["indptr"][()]), shape=tuple(x.attrs["shape"]))
    return PCA(n_components=n_components, svd_solver="randomized", random_state=seed, iterated_power=1).fit_transform(matrix.toarray()).astype(np.float32)


def write_bundle(root: Path, member_id: str, latent: np.ndarray | None) -> dict:
    bundle = root / member_id
    bundle.mkdir(parents=True, exist_ok=True)
    if latent is not None:
        with h5py.File(bundle / "embeddings.h5", "w") as f:
            f.create_dataset("latent", data=latent)
    embedding = bundle / "embeddings.h5"
    digest = hashlib.sha256(embedding.read_bytes()).hexdigest() if embedding.exists() else None
    return {"member_id": member_id, "run_id": member_id, "attempt_id": f"{member_id}-a1", "model": "pca", "seed": 0,
            "params": {"n_components": int(latent.shape[1]) if latent is not None else 0}, "bundle_dir": str(bundle),
            "embedding_path": str(embedding), "manifest_sha256": "0" * 64, "embedding_sha256": digest}


def config(datasets: list[dict], metrics: str = "fast", seed: int = 0) -> dict:
    return {"schema_version": 1, "launch_id": "20261201T112233Z-test01", "metrics": metrics, "seed": seed, "datasets": datasets}


def dataset_entry(slug: str, path: Path, members: list[dict], batch_key: str | None = "gem_group",
                  label_key: str | None = "bulk_labels", not_ready: list[dict] | None = None) -> dict:
    return {"slug": slug, "path": str(path), "fingerprint": "sha256:test", "batch_key": batch_key, "label_key": label_key,
            "members": members, "not_ready": not_ready or []}


def run_evaluator(config_document: dict, output: Path, jax_cache: Path | None, timeout: float = float(os.environ.get("MV_TEST_EVAL_TIMEOUT", 3600))) -> subprocess.CompletedProcess:
    output.mkdir(parents=True, exist_ok=True)
    path = output / "eval_config.json"
    path.write_text(json.dumps(config_document))
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "MV_EVAL_OUTPUT_DIR")}
    env["MV_EVAL_CONFIG"] = str(path)
    env.setdefault("MV_EVAL_THREADS", "2")
    if jax_cache is not None:
        env["JAX_COMPILATION_CACHE_DIR"] = str(jax_cache)
    return subprocess.run([sys.executable, str(EVALUATOR)], env=env, capture_output=True, text=True, timeout=timeout)
