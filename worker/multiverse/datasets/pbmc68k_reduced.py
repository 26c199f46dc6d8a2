"""pbmc68k-reduced: the 700-cell, 765-gene subset of 10x Genomics' PBMC 68k that scanpy ships inside its
wheel (scanpy/datasets/10x_pbmc68k_reduced.h5ad, written by an old anndata: obs and var are compound
datasets). Converted to a single-modality .h5mu: /mod/rna/X is the log-normalised expression (raw.X, CSR,
non-negative), obs carries the cell types (`bulk_labels`, scanpy's name, and the same column as `cell_type`), the
Louvain clusters, the cell-cycle phase, a `batch` column (all one batch: the set declares none) and `gem_group`: the
10x library (GEM group) index, "1".."8", taken from the barcode suffix (AAAGCCTGGCTAAC-1 -> "1"). PBMC 68k was
sequenced in eight 10x libraries, so gem_group is usable as a batch key (technical batches of one donor).

    python3 -m multiverse.datasets.pbmc68k_reduced OUT.h5mu [--wheel scanpy-1.10.4-py3-none-any.whl]

Without --wheel the pinned scanpy wheel is fetched from PyPI with `pip download --no-deps` (PyPI only; no
other network access is needed) into $MULTIVERSE_CACHE (default ~/.cache/multiverse).
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import h5py
import numpy as np

SCANPY_VERSION = "1.10.4"
MEMBER = "scanpy/datasets/10x_pbmc68k_reduced.h5ad"
STR = h5py.string_dtype("utf-8")


def fetch_wheel(cache: Path) -> Path:
    wheel = cache / f"scanpy-{SCANPY_VERSION}-py3-none-any.whl"
    if wheel.exists():
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", f"scanpy=={SCANPY_VERSION}", "-d", str(cache)],
        check=True,
    )
    if not wheel.exists():
        raise SystemExit(f"pip did not produce {wheel}")
    return wheel


def _decode(values) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def _dataframe(group: h5py.Group, index: list[str], columns: dict[str, tuple[list[str], np.ndarray]] | None = None,
               numeric: dict[str, np.ndarray] | None = None) -> None:
    columns = columns or {}
    numeric = numeric or {}
    group.attrs["encoding-type"] = "dataframe"
    group.attrs["encoding-version"] = "0.2.0"
    group.attrs["_index"] = "_index"
    group.attrs["column-order"] = np.array(list(columns) + list(numeric), dtype=object) if (columns or numeric) else np.zeros(0)
    group.create_dataset("_index", data=np.array(index, dtype=object), dtype=STR)
    for name, (categories, codes) in columns.items():
        cat = group.create_group(name)
        cat.attrs["encoding-type"] = "categorical"
        cat.attrs["encoding-version"] = "0.2.0"
        cat.attrs["ordered"] = False
        cat.create_dataset("categories", data=np.array(categories, dtype=object), dtype=STR)
        cat.create_dataset("codes", data=codes.astype(np.int8))
    for name, values in numeric.items():
        dataset = group.create_dataset(name, data=values)
        dataset.attrs["encoding-type"] = "array"
        dataset.attrs["encoding-version"] = "0.2.0"


def _empty(parent: h5py.Group, names: list[str]) -> None:
    for name in names:
        g = parent.create_group(name)
        g.attrs["encoding-type"] = "dict"
        g.attrs["encoding-version"] = "0.1.0"


def gem_groups(cells: list[str]) -> tuple[list[str], np.ndarray] | None:
    """The 10x GEM group of each barcode (its "-N" suffix) as categories (sorted numerically) and codes; None when a
    barcode has no such suffix (then there is no gem_group column)."""
    suffixes = []
    for cell in cells:
        head, sep, suffix = cell.rpartition("-")
        if not sep or not head or not suffix.isdigit():
            return None
        suffixes.append(suffix)
    categories = sorted(set(suffixes), key=int)
    index = {c: i for i, c in enumerate(categories)}
    return categories, np.array([index[s] for s in suffixes], dtype=np.int8)


def convert(h5ad: h5py.File, out: Path) -> dict:
    obs = h5ad["obs"][()]
    var = h5ad["raw.var"][()]
    cells = _decode(obs["index"])
    genes = _decode(var["index"])
    raw = h5ad["raw.X"]
    data, indices, indptr = raw["data"][()], raw["indices"][()], raw["indptr"][()]
    shape = tuple(int(x) for x in raw.attrs["h5sparse_shape"])
    if shape != (len(cells), len(genes)) or len(indptr) != len(cells) + 1:
        raise SystemExit(f"unexpected raw.X shape {shape} for {len(cells)} cells and {len(genes)} genes")
    if not np.all(np.isfinite(data)) or data.min() < 0:
        raise SystemExit("raw.X is expected to be finite and non-negative (log-normalised counts)")
    uns = h5ad["uns"]
    labels = _decode(uns["bulk_labels_categories"][()])
    louvain = _decode(uns["louvain_categories"][()])
    phases = _decode(uns["phase_categories"][()])
    categorical = {
        "cell_type": (labels, obs["bulk_labels"]),
        "louvain": (louvain, obs["louvain"]),
        "phase": (phases, obs["phase"]),
        "batch": (["pbmc68k"], np.zeros(len(cells), dtype=np.int8)),
        "bulk_labels": (labels, obs["bulk_labels"]),
    }
    groups = gem_groups(cells)
    if groups is not None:
        categorical["gem_group"] = groups
    numeric = {name: obs[name] for name in ("n_genes", "percent_mito", "n_counts")}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with h5py.File(tmp, "w", userblock_size=512, libver=("earliest", "v110"), track_order=True) as f:
        f.attrs["encoding-type"] = "MuData"
        f.attrs["encoding-version"] = "0.1.0"
        _dataframe(f.create_group("obs"), cells, categorical, numeric)
        rna = f.create_group("mod").create_group("rna")
        rna.attrs["encoding-type"] = "anndata"
        rna.attrs["encoding-version"] = "0.1.0"
        x = rna.create_group("X")
        x.attrs["encoding-type"] = "csr_matrix"
        x.attrs["encoding-version"] = "0.1.0"
        x.attrs["shape"] = np.array(shape, dtype=np.int64)
        x.create_dataset("data", data=data.astype(np.float32))
        x.create_dataset("indices", data=indices.astype(np.int32))
        x.create_dataset("indptr", data=indptr.astype(np.int64))
        _dataframe(rna.create_group("obs"), cells, {"cell_type": categorical["cell_type"]})
        _dataframe(rna.create_group("var"), genes)
        _empty(rna, ["obsm", "varm", "obsp", "varp", "layers", "uns"])
        _dataframe(f.create_group("var"), genes)
        _empty(f, ["obsm", "varm", "obsp", "varp", "uns", "obsmap", "varmap"])
    with open(tmp, "r+b") as handle:
        # MuData files start with a userblock naming the format, as mudata writes it.
        handle.write(b"MuData (format-version=0.1.0;creator=multiverse;creator-version=pbmc68k-reduced)")
    os.replace(tmp, out)
    return {"cells": len(cells), "genes": len(genes), "cell_types": len(labels), "nnz": int(len(data))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--wheel", type=Path, help="a scanpy wheel already on disk")
    args = parser.parse_args(argv)
    cache = Path(os.environ.get("MULTIVERSE_CACHE", Path.home() / ".cache" / "multiverse"))
    wheel = args.wheel or fetch_wheel(cache / "wheels")
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "pbmc68k_reduced.h5ad"
        source.write_bytes(z.read(MEMBER))
        with h5py.File(source, "r") as h5ad:
            figures = convert(h5ad, args.out)
    print(f"pbmc68k-reduced: {figures['cells']} cells x {figures['genes']} genes, {figures['cell_types']} cell types -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
