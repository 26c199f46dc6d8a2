"""The scib evaluator's wall time and peak memory. Run it with the evaluator's environment:
    ~/.multiverse/envs/scib-evaluator-1.0.0/bin/python3 bench/evaluate.py [demo|large|all]

demo:  pbmc68k-reduced (700 cells), 4 members (PCA embeddings: 20 and 10 components, 2 seeds each) + the 2 controls,
       the "default" metrics, MV_EVAL_THREADS=2: cold (an empty JAX compilation cache; numba seeded from the env's
       prebuilt cache, as on a set-up machine), then warm (the same JAX cache again). Aim: under 2 minutes warm.
large: a synthetic dataset of 20,000 cells x 2,000 genes (10 cell types, 4 batches, sparse counts) and 5 synthetic
       embeddings (30 dimensions: cell-type signal, some batch signal, noise), "default" metrics (numba warm; jax
       compiles for these shapes: its cache is keyed by shape).
       Aim: under 10 minutes and under 3 GB peak RSS.
Peak RSS is the evaluator process's (getrusage of the child)."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "store" / "evaluators" / "scib" / "tests"))
import fixtures as fx  # noqa: E402

STR = h5py.string_dtype("utf-8")


def run(config: dict, output: Path, jax_cache: Path) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    result = fx.run_evaluator(config, output, jax_cache, timeout=3600)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"the evaluator failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) * 1024


def figure(name: str, elapsed: float, rss: int) -> None:
    print(f"{name:<58} {elapsed:8.1f} s   peak RSS {rss / 2**30:5.2f} GiB", flush=True)


def demo(work: Path) -> None:
    dataset = fx.pbmc68k_reduced(work)
    members = [fx.write_bundle(work / "bundles", f"pca{n}-s{seed}", fx.pca_embedding(dataset, n, seed)) for n in (20, 10) for seed in (0, 1)]
    config = fx.config([fx.dataset_entry("pbmc68k-reduced", dataset, members)], metrics="default")
    cache = work / "jax-cache"
    figure("demo: 700 cells, 4 members + 2 controls, cold", *run(config, work / "cold", cache))
    figure("demo: 700 cells, 4 members + 2 controls, warm", *run(config, work / "warm", cache))


def synthetic_dataset(path: Path, n_obs: int, n_vars: int, n_labels: int, n_batches: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_labels, n_obs)
    batches = rng.integers(0, n_batches, n_obs)
    rates = np.exp(rng.normal(-2.0, 1.0, (n_labels, n_vars)))
    shifts = np.exp(rng.normal(0.0, 0.3, (n_batches, n_vars)))
    indptr, indices, data = [0], [], []
    for start in range(0, n_obs, 2000):
        block = rng.poisson(rates[labels[start:start + 2000]] * shifts[batches[start:start + 2000]]).astype(np.float32)
        for row in block:
            nz = np.flatnonzero(row)
            indices.append(nz.astype(np.int32))
            data.append(row[nz])
            indptr.append(indptr[-1] + len(nz))
    names = np.array([f"cell{i}" for i in range(n_obs)], dtype=object)
    with h5py.File(path, "w") as f:
        f.attrs["encoding-type"] = "MuData"
        f.attrs["encoding-version"] = "0.1.0"
        obs = f.create_group("obs")
        obs.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index"})
        obs.attrs["column-order"] = np.array(["batch", "label"], dtype=object).astype(STR)
        obs.create_dataset("_index", data=names, dtype=STR)
        for column, codes, prefix in (("batch", batches, "batch"), ("label", labels, "type")):
            g = obs.create_group(column)
            g.attrs.update({"encoding-type": "categorical", "encoding-version": "0.2.0", "ordered": False})
            g.create_dataset("categories", data=np.array([f"{prefix}{i}" for i in range(codes.max() + 1)], dtype=object), dtype=STR)
            g.create_dataset("codes", data=codes.astype(np.int8))
        x = f.create_group("mod/rna/X")
        x.attrs.update({"encoding-type": "csr_matrix", "encoding-version": "0.1.0"})
        x.attrs["shape"] = np.array([n_obs, n_vars], dtype=np.int64)
        x.create_dataset("data", data=np.concatenate(data))
        x.create_dataset("indices", data=np.concatenate(indices))
        x.create_dataset("indptr", data=np.array(indptr, dtype=np.int64))
    return labels, batches


def large(work: Path, cache: Path) -> None:
    n_obs = 20_000
    path = work / "synthetic-20k.h5mu"
    labels, batches = synthetic_dataset(path, n_obs, 2000, 10, 4, seed=0)
    rng = np.random.default_rng(1)
    centres, shifts = rng.normal(0, 3, (10, 30)), rng.normal(0, 1, (4, 30))
    members = []
    for i, batch_weight in enumerate((0.0, 0.5, 1.0, 2.0, 4.0)):
        latent = (centres[labels] + batch_weight * shifts[batches] + rng.normal(0, 1.5, (n_obs, 30))).astype(np.float32)
        members.append(fx.write_bundle(work / "bundles", f"synthetic-{i}", latent))
    config = fx.config([fx.dataset_entry("synthetic-20k", path, members, batch_key="batch", label_key="label")], metrics="default")
    figure("large: 20,000 cells, 5 members + 2 controls", *run(config, work / "large", cache))


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    os.environ["MV_EVAL_THREADS"] = os.environ.get("MV_EVAL_THREADS", "2")
    with tempfile.TemporaryDirectory(prefix="mv-eval-bench-") as tmp:
        work = Path(tmp)
        print(f"scib evaluator bench ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, MV_EVAL_THREADS={os.environ['MV_EVAL_THREADS']})")
        if which in ("demo", "all"):
            demo(work)
        if which in ("large", "all"):
            large(work, work / "jax-cache")


if __name__ == "__main__":
    main()
