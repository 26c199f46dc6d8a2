"""The two controls every table includes.

control:unintegrated: the PCA of the input, as scib and scib-metrics' Benchmarker make the unintegrated baseline
(Benchmarker.prepare runs scanpy's `sc.tl.pca(adata, svd_solver="arpack")` on a normalised, not integrated X). The
RNA modality when the dataset has one, else every modality side by side; a modality whose values are all whole
numbers is taken as counts and normalised like scanpy (`normalize_total(target_sum=1e4)` then `log1p`), otherwise it
is taken as already normalised (pbmc68k-reduced's X is log-normalised). No scaling, no feature selection (the
Benchmarker's `use_highly_variable=False`). Centred PCA with ARPACK, seeded; n_comps = min(50, n_obs - 1, n_vars - 1).
It is also the "pre-integrated" embedding of scib-metrics' PCR comparison for every member.

control:random: a standard Gaussian embedding (numpy default_rng(seed)), as many dimensions as the members' median
(the lower median of the ready members' dimensions; the unintegrated PCA's when no member is ready).
"""
from __future__ import annotations

import h5py
import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA

from .h5data import DataError, modality_names, read_modality_x

UNINTEGRATED = "control:unintegrated"
RANDOM = "control:random"
MAX_COMPONENTS = 50
TARGET_SUM = 1e4


def _is_counts(x: np.ndarray | sp.csr_matrix) -> bool:
    values = x.data if sp.issparse(x) else x
    return bool(values.size) and bool(np.all(values >= 0)) and bool(np.all(np.mod(values, 1) == 0))


def normalise(x: np.ndarray | sp.csr_matrix) -> tuple[np.ndarray | sp.csr_matrix, str]:
    if not _is_counts(x):
        return x, "as stored (not counts: taken as normalised)"
    totals = np.asarray(x.sum(axis=1)).ravel().astype(np.float64)
    scale = np.divide(TARGET_SUM, totals, out=np.zeros_like(totals), where=totals > 0)
    if sp.issparse(x):
        scaled = sp.diags(scale.astype(np.float32)) @ x
        scaled = sp.csr_matrix(scaled)
        scaled.data = np.log1p(scaled.data)
        return scaled, "counts: normalize_total(1e4) + log1p"
    return np.log1p(x * scale[:, None].astype(np.float32)), "counts: normalize_total(1e4) + log1p"


def pca_input(f: h5py.File) -> tuple[np.ndarray | sp.csr_matrix, dict[str, str]]:
    names = modality_names(f)
    if not names:
        raise DataError("the dataset has no modality (mod/<name>/X) to compute the unintegrated PCA from")
    chosen = ["rna"] if "rna" in names else names
    parts, how = [], {}
    for name in chosen:
        x, description = normalise(read_modality_x(f, name))
        parts.append(x)
        how[name] = description
    if len(parts) == 1:
        return parts[0], how
    if any(sp.issparse(p) for p in parts):
        return sp.hstack([sp.csr_matrix(p) for p in parts], format="csr"), how
    return np.hstack(parts), how


def unintegrated_pca(x: np.ndarray | sp.csr_matrix, seed: int) -> np.ndarray:
    n_obs, n_vars = x.shape
    n_comps = min(MAX_COMPONENTS, n_obs - 1, n_vars - 1)
    if n_comps < 1:
        raise DataError(f"the input has {n_obs} cells x {n_vars} features: too small for a PCA")
    pca = PCA(n_components=n_comps, svd_solver="arpack", random_state=seed)
    matrix = x.astype(np.float32) if sp.issparse(x) else np.asarray(x, dtype=np.float32)
    return np.ascontiguousarray(pca.fit_transform(matrix), dtype=np.float32)


def random_dimensions(member_dims: list[int], fallback: int) -> int:
    if not member_dims:
        return fallback
    ordered = sorted(member_dims)
    return ordered[(len(ordered) - 1) // 2]


def random_embedding(n_obs: int, dims: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n_obs, dims)).astype(np.float32)
