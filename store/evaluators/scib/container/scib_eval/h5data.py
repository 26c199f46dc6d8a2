"""Reading what the evaluator needs from a .h5mu file and an embeddings.h5, with h5py only (anndata's on-disk
encodings: dataframe, categorical, string-array, nullable arrays, csr/csc matrices)."""
from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np
import scipy.sparse as sp


class DataError(Exception):
    """The dataset or an embedding cannot be read as expected (the message says what and where)."""


@dataclass(frozen=True)
class ObsColumn:
    key: str
    found_in: str  # "obs" or "mod/<name>"
    values: np.ndarray  # object array of str; None where missing
    n_missing: int

    @property
    def n_categories(self) -> int:
        return len({v for v in self.values if v is not None})


def _decode(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v.decode("utf-8") if isinstance(v, bytes) else str(v)
    return out


def _numeric_to_labels(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    missing = np.zeros(len(values), dtype=bool) if mask is None else mask.astype(bool)
    if values.dtype.kind == "f":
        missing |= ~np.isfinite(values)
    for i, v in enumerate(values):
        if missing[i]:
            out[i] = None
        elif values.dtype.kind == "f" and float(v).is_integer():
            out[i] = str(int(v))
        else:
            out[i] = str(v.item() if hasattr(v, "item") else v)
    return out


def _column(node: h5py.Group | h5py.Dataset) -> np.ndarray:
    encoding = node.attrs.get("encoding-type", "")
    encoding = encoding.decode() if isinstance(encoding, bytes) else str(encoding)
    if isinstance(node, h5py.Group):
        if encoding == "categorical" or ("categories" in node and "codes" in node):
            categories = _decode(node["categories"][()])
            codes = node["codes"][()].astype(np.int64)
            out = np.empty(len(codes), dtype=object)
            for i, code in enumerate(codes):
                out[i] = categories[code] if 0 <= code < len(categories) else None
            return out
        if "values" in node and "mask" in node:  # nullable-integer / nullable-boolean / nullable-string-array
            values = node["values"][()]
            mask = node["mask"][()]
            if values.dtype.kind in "OSU":
                decoded = _decode(values)
                decoded[mask.astype(bool)] = None
                return decoded
            return _numeric_to_labels(values, mask)
        raise DataError(f"unsupported column encoding {encoding or '(none)'} at {node.name}")
    values = node[()]
    if values.dtype.kind in "OSU":
        return _decode(values)
    if values.dtype.kind in "biuf":
        return _numeric_to_labels(values)
    raise DataError(f"unsupported column dtype {values.dtype} at {node.name}")


def _frame_index_length(frame: h5py.Group) -> int:
    index = frame.attrs.get("_index", "_index")
    index = index.decode() if isinstance(index, bytes) else str(index)
    if index not in frame:
        raise DataError(f"{frame.name} has no index dataset {index}")
    return int(frame[index].shape[0])


def modality_names(f: h5py.File) -> list[str]:
    return sorted(f["mod"].keys()) if "mod" in f else []


def n_obs(f: h5py.File) -> int:
    if "obs" in f:
        return _frame_index_length(f["obs"])
    for name in modality_names(f):
        return _frame_index_length(f[f"mod/{name}/obs"])
    raise DataError("the file has neither obs nor mod/<name>/obs")


def find_obs_column(f: h5py.File, key: str) -> ObsColumn | None:
    """The column `key`, looked up in the global obs first, then in each modality's obs (by modality name)."""
    places = [("obs", "obs")] + [(f"mod/{name}", f"mod/{name}/obs") for name in modality_names(f)]
    for found_in, path in places:
        if path in f and key in f[path] and key != f[path].attrs.get("_index", "_index"):
            values = _column(f[path][key])
            n_missing = int(sum(1 for v in values if v is None))
            return ObsColumn(key=key, found_in=found_in, values=values, n_missing=n_missing)
    return None


def read_matrix(node: h5py.Group | h5py.Dataset) -> np.ndarray | sp.csr_matrix:
    if isinstance(node, h5py.Dataset):
        return np.asarray(node[()], dtype=np.float32)
    encoding = node.attrs.get("encoding-type", node.attrs.get("h5sparse_format", ""))
    encoding = encoding.decode() if isinstance(encoding, bytes) else str(encoding)
    shape_attr = node.attrs.get("shape", node.attrs.get("h5sparse_shape"))
    if shape_attr is None:
        raise DataError(f"{node.name}: a sparse matrix without a shape attribute")
    shape = tuple(int(x) for x in shape_attr)
    parts = (node["data"][()].astype(np.float32), node["indices"][()], node["indptr"][()])
    if encoding in ("csr_matrix", "csr"):
        return sp.csr_matrix(parts, shape=shape)
    if encoding in ("csc_matrix", "csc"):
        return sp.csc_matrix(parts, shape=shape).tocsr()
    raise DataError(f"{node.name}: unsupported matrix encoding {encoding or '(none)'}")


def read_modality_x(f: h5py.File, name: str) -> np.ndarray | sp.csr_matrix:
    path = f"mod/{name}/X"
    if path not in f:
        raise DataError(f"mod/{name} has no X")
    return read_matrix(f[path])


@dataclass(frozen=True)
class Embedding:
    matrix: np.ndarray | None
    problem: tuple[str, str] | None  # (status, reason) when it cannot be evaluated


def read_embedding(path: str, expected_rows: int) -> Embedding:
    """embeddings.h5's `latent`; a missing file or dataset is no_embeddings, a row count that is not the dataset's
    obs is obs_mismatch, a non-finite value is evaluation_failed (never a number)."""
    try:
        with h5py.File(path, "r") as f:
            if "latent" not in f or not isinstance(f["latent"], h5py.Dataset):
                return Embedding(None, ("no_embeddings", f"{path} has no dataset 'latent'"))
            latent = f["latent"]
            if latent.ndim != 2:
                return Embedding(None, ("obs_mismatch", f"latent has shape {list(latent.shape)}; expected 2 dimensions (cells x dimensions)"))
            if latent.shape[0] != expected_rows:
                return Embedding(None, ("obs_mismatch", f"latent has {latent.shape[0]} rows; the dataset has {expected_rows} cells"))
            if latent.dtype.kind not in "biuf":
                return Embedding(None, ("evaluation_failed", f"latent has dtype {latent.dtype}; expected numbers"))
            matrix = np.asarray(latent[()], dtype=np.float32)
    except FileNotFoundError:
        return Embedding(None, ("no_embeddings", f"{path} does not exist"))
    except OSError as error:
        return Embedding(None, ("no_embeddings", f"{path} cannot be read as HDF5 ({error})"))
    if matrix.shape[1] == 0:
        return Embedding(None, ("evaluation_failed", "latent has 0 dimensions"))
    bad = int(np.count_nonzero(~np.isfinite(matrix)))
    if bad:
        return Embedding(None, ("evaluation_failed", f"latent has {bad} non-finite values (NaN or Inf); it is not scored"))
    return Embedding(matrix, None)
