"""Reading /input/data.h5mu. With mudata/anndata installed the real objects are returned; without them (a
minimal numpy + h5py image) a small reader gives the same essentials: per-modality X, obs and var names, obs columns."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import h5py
import numpy as np

from .job_spec import ContractError
from .paths import input_file


@dataclass
class LiteAnnData:
    X: np.ndarray
    obs_names: List[str]
    var_names: List[str]
    obs: Dict[str, np.ndarray] = field(default_factory=dict)
    obsm: Dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_obs(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_vars(self) -> int:
        return int(self.X.shape[1])


@dataclass
class LiteMuData:
    mod: Dict[str, LiteAnnData]
    obs_names: List[str]
    obs: Dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_obs(self) -> int:
        return len(self.obs_names)

    def __getitem__(self, key: str) -> LiteAnnData:
        return self.mod[key]


def _decode(values: Any) -> List[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def _read_dataframe(group: h5py.Group) -> Dict[str, np.ndarray]:
    columns: Dict[str, np.ndarray] = {}
    index_name = group.attrs.get("_index", "_index")
    if isinstance(index_name, bytes):
        index_name = index_name.decode()
    for name, item in group.items():
        if name == index_name:
            continue
        if isinstance(item, h5py.Group) and "codes" in item and "categories" in item:
            categories = np.array(_decode(item["categories"][()]), dtype=object)
            codes = item["codes"][()]
            values = np.where(codes >= 0, categories[np.clip(codes, 0, None)], None)
            columns[name] = values
        elif isinstance(item, h5py.Dataset):
            data = item[()]
            columns[name] = np.array(_decode(data), dtype=object) if data.dtype.kind in ("S", "O") else data
    return columns


def _read_matrix(node: Union[h5py.Dataset, h5py.Group]) -> np.ndarray:
    if isinstance(node, h5py.Dataset):
        return np.asarray(node[()], dtype=np.float64)
    encoding = node.attrs.get("encoding-type", b"")
    encoding = encoding.decode() if isinstance(encoding, bytes) else encoding
    shape = tuple(int(s) for s in node.attrs["shape"])
    data, indices, indptr = node["data"][()], node["indices"][()], node["indptr"][()]
    dense = np.zeros(shape, dtype=np.float64)
    if encoding == "csr_matrix":
        for row in range(shape[0]):
            start, end = indptr[row], indptr[row + 1]
            dense[row, indices[start:end]] = data[start:end]
    elif encoding == "csc_matrix":
        for col in range(shape[1]):
            start, end = indptr[col], indptr[col + 1]
            dense[indices[start:end], col] = data[start:end]
    else:
        raise ContractError(f"unsupported matrix encoding {encoding!r}")
    return dense


def _index(group: h5py.Group) -> List[str]:
    index_name = group.attrs.get("_index", "_index")
    if isinstance(index_name, bytes):
        index_name = index_name.decode()
    return _decode(group[index_name][()])


def read_h5mu_lite(path: Union[str, Path]) -> LiteMuData:
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ContractError(f"{path} is not a readable HDF5 file: {error}") from error
    with handle as f:
        if "mod" not in f:
            raise ContractError(f"{path} has no /mod group: not a MuData file")
        mods: Dict[str, LiteAnnData] = {}
        for name, group in f["mod"].items():
            mods[name] = LiteAnnData(
                X=_read_matrix(group["X"]),
                obs_names=_index(group["obs"]),
                var_names=_index(group["var"]),
                obs=_read_dataframe(group["obs"]),
            )
        obs_names = _index(f["obs"]) if "obs" in f else next(iter(mods.values())).obs_names
        obs = _read_dataframe(f["obs"]) if "obs" in f else {}
    return LiteMuData(mod=mods, obs_names=obs_names, obs=obs)


def load_input_mudata(path: Optional[Union[str, Path]] = None, prefer: str = "auto") -> Any:
    """The input dataset: a mudata.MuData when mudata is installed (prefer="auto" or "mudata"), else LiteMuData."""
    file = Path(path) if path is not None else input_file()
    if not file.is_file():
        raise ContractError(f"input dataset {file} is missing: the orchestrator mounts it at /input/data.h5mu")
    if prefer in ("auto", "mudata"):
        try:
            import mudata  # type: ignore

            return mudata.read_h5mu(str(file))
        except ImportError:
            if prefer == "mudata":
                raise
    return read_h5mu_lite(file)


def n_obs_of(data: Any) -> int:
    return int(data.n_obs)


def anndata_concatenate(adatas: Sequence[Any], names: Sequence[str]) -> Any:
    """Feature-wise concatenation of modalities measured on the same cells (multimodal baselines such as PCA)."""
    if len(adatas) == 0:
        raise ContractError("anndata_concatenate needs at least one modality")
    n = adatas[0].n_obs
    for adata, name in zip(adatas, names):
        if adata.n_obs != n:
            raise ContractError(f"modality {name} has {adata.n_obs} cells, expected {n}: modalities must share cells")
    if all(isinstance(a, LiteAnnData) for a in adatas):
        X = np.hstack([np.asarray(a.X, dtype=np.float64) for a in adatas])
        var_names = [f"{name}:{v}" for a, name in zip(adatas, names) for v in a.var_names]
        return LiteAnnData(X=X, obs_names=list(adatas[0].obs_names), var_names=var_names, obs=dict(adatas[0].obs))
    import anndata  # type: ignore

    return anndata.concat(list(adatas), axis=1, label="modality", keys=list(names), merge="first")
