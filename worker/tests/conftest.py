import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from multiverse.worker import logging_setup


def write_h5mu(path: Path, n_obs: int = 30, mods=None, seed: int = 0) -> Path:
    """A small MuData file in the on-disk layout anndata/mudata write."""
    mods = mods or {"rna": 20}
    rng = np.random.default_rng(seed)
    str_dt = h5py.string_dtype("utf-8")
    names = [f"cell{i}" for i in range(n_obs)]
    labels = np.arange(n_obs) % 3
    with h5py.File(path, "w") as f:
        f.attrs["encoding-type"] = "MuData"
        f.attrs["encoding-version"] = "0.1.0"

        def frame(group, index, categorical=None):
            group.attrs["encoding-type"] = "dataframe"
            group.attrs["encoding-version"] = "0.2.0"
            group.attrs["_index"] = "_index"
            group.attrs["column-order"] = np.array(list(categorical or {}), dtype=object).astype(str_dt) if categorical else np.array([], dtype=str_dt)
            group.create_dataset("_index", data=np.array(index, dtype=object), dtype=str_dt)
            for column, codes in (categorical or {}).items():
                cat = group.create_group(column)
                cat.attrs["encoding-type"] = "categorical"
                cat.attrs["encoding-version"] = "0.2.0"
                cat.attrs["ordered"] = False
                cat.create_dataset("categories", data=np.array([f"type{i}" for i in range(3)], dtype=object), dtype=str_dt)
                cat.create_dataset("codes", data=codes.astype(np.int8))

        frame(f.create_group("obs"), names, {"label": labels})
        mod = f.create_group("mod")
        for name, n_vars in mods.items():
            g = mod.create_group(name)
            g.attrs["encoding-type"] = "anndata"
            g.attrs["encoding-version"] = "0.1.0"
            centers = rng.normal(0, 3, size=(3, n_vars))
            X = rng.poisson(np.exp(centers[labels] / 3)).astype(np.float32)
            g.create_dataset("X", data=X)
            frame(g.create_group("obs"), names)
            frame(g.create_group("var"), [f"{name}_g{i}" for i in range(n_vars)])
    return path


@pytest.fixture()
def contract_dirs(tmp_path, monkeypatch):
    inp = tmp_path / "input"
    out = tmp_path / "output"
    inp.mkdir()
    out.mkdir()
    write_h5mu(inp / "data.h5mu")
    (out / "job_spec.json").write_text(json.dumps({"seed": 7, "dataset_name": "tiny", "model_name": "pca", "hyperparameters": {"n_components": 4}}))
    monkeypatch.setenv("MULTIVERSE_INPUT_DIR", str(inp))
    monkeypatch.setenv("MULTIVERSE_OUTPUT_DIR", str(out))
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    logging_setup._reset_for_tests()
    yield inp, out
    logging_setup._reset_for_tests()
