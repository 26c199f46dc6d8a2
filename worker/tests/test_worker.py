import json
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer

import h5py
import numpy as np
import pytest

from multiverse.worker import (
    ContractError,
    EpochLogger,
    anndata_concatenate,
    build_model_config,
    get_logger,
    load_input_mudata,
    load_job_spec,
    read_metrics_jsonl,
    resolve_device,
    save_embeddings,
    save_metrics,
    save_umap,
    seed_everything,
    setup_container_logging,
)


def test_load_job_spec_and_config_apply_defaults(contract_dirs):
    _, out = contract_dirs
    spec = load_job_spec()
    assert spec["seed"] == 7
    schema = {"properties": {"n_components": {"default": 20}, "svd_solver": {"default": "full"}}}
    cfg = build_model_config("pca", spec, schema=schema)
    assert cfg["model"]["pca"] == {"n_components": 4, "svd_solver": "full"}
    assert cfg["seed"] == 7
    assert cfg["output_dir"] == str(out)


def test_load_job_spec_errors(contract_dirs, tmp_path):
    _, out = contract_dirs
    (out / "job_spec.json").write_text("{not json")
    with pytest.raises(ContractError, match="not valid JSON"):
        load_job_spec()
    (out / "job_spec.json").write_text(json.dumps({"seed": "x"}))
    with pytest.raises(ContractError, match="seed must be an integer"):
        load_job_spec()
    with pytest.raises(ContractError, match="missing"):
        load_job_spec(tmp_path / "nope.json")


def test_load_input_and_concatenate(contract_dirs):
    inp, _ = contract_dirs
    from conftest import write_h5mu

    write_h5mu(inp / "data.h5mu", n_obs=12, mods={"rna": 5, "atac": 7})
    data = load_input_mudata(prefer="lite")
    assert data.n_obs == 12
    assert sorted(data.mod) == ["atac", "rna"]
    joined = anndata_concatenate([data.mod[m] for m in data.mod], list(data.mod))
    assert joined.X.shape == (12, 12)
    assert list(data.obs["label"][:3]) == ["type0", "type1", "type2"]


def test_missing_and_corrupt_input(contract_dirs):
    inp, _ = contract_dirs
    (inp / "data.h5mu").write_bytes(b"not hdf5 at all")
    with pytest.raises(ContractError, match="not a readable HDF5"):
        load_input_mudata(prefer="lite")
    (inp / "data.h5mu").unlink()
    with pytest.raises(ContractError, match="missing"):
        load_input_mudata(prefer="lite")


def test_save_embeddings_writes_single_latent(contract_dirs):
    _, out = contract_dirs
    save_embeddings(np.ones((30, 4)), n_obs=30)
    with h5py.File(out / "embeddings.h5", "r") as f:
        assert list(f.keys()) == ["latent"]
        assert f["latent"].shape == (30, 4)


@pytest.mark.parametrize(
    "matrix, n_obs, message",
    [
        (np.ones((29, 4)), 30, "29 rows but the input has 30"),
        (np.ones(30), 30, "2-D"),
        (np.ones((30, 0)), 30, "non-empty"),
        (np.array([[np.nan, 1.0]] * 30), 30, "non-finite"),
    ],
)
def test_save_embeddings_refuses_contract_violations(contract_dirs, matrix, n_obs, message):
    _, out = contract_dirs
    with pytest.raises(ContractError, match=message):
        save_embeddings(matrix, n_obs=n_obs)
    assert not (out / "embeddings.h5").exists()


def test_save_umap_writes_real_png_deterministically(contract_dirs):
    _, out = contract_dirs
    latent = np.random.default_rng(0).normal(size=(30, 5))
    save_umap(latent, {"label": np.array(["a", "b", "c"] * 10)}, umap_random_state=3)
    first = (out / "umap.png").read_bytes()
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", first[16:24])
    assert width > 0 and height > 0
    zlib.decompress(first[first.index(b"IDAT") + 4 : first.index(b"IEND") - 8])
    save_umap(latent, {"label": np.array(["a", "b", "c"] * 10)}, umap_random_state=3)
    assert (out / "umap.png").read_bytes() == first


def test_save_metrics_sanitises_non_finite(contract_dirs):
    _, out = contract_dirs
    save_metrics({"loss": float("nan"), "ok": 1.5}, history={"epoch": [1, 2], "loss": [2.0, float("inf")]})
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["model_metrics"] == {"loss": None, "ok": 1.5}
    assert doc["history"]["loss"] == [2.0, None]
    with pytest.raises(ContractError, match="scalar"):
        save_metrics({"nested": {"a": 1}})


def test_logging_honours_level(contract_dirs, monkeypatch):
    _, out = contract_dirs
    monkeypatch.setenv("MULTIVERSE_LOG_LEVEL", "WARNING")
    setup_container_logging()
    get_logger("t").info("hidden")
    get_logger("t").warning("shown")
    text = (out / "run.log").read_text()
    assert "shown" in text and "hidden" not in text


def test_seeding_is_deterministic():
    seed_everything(11)
    a = np.random.rand(5)
    seed_everything(11)
    assert np.array_equal(a, np.random.rand(5))


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda")
    with pytest.raises(ContractError, match="unknown device"):
        resolve_device("tpu")


def test_epoch_logger_jsonl_only_without_tracking(contract_dirs):
    _, out = contract_dirs
    with EpochLogger() as logger:
        logger.log(1, loss=2.0)
        logger.log(2, loss=float("nan"), acc=0.5)
    records = read_metrics_jsonl(out / "metrics.jsonl")
    assert [r["step"] for r in records] == [1, 2]
    assert records[1]["non_finite"] == ["loss"]
    with open(out / "metrics.jsonl", "a") as f:
        f.write('{"step": 3, "metr')  # torn line from a crash
    assert len(read_metrics_jsonl(out / "metrics.jsonl")) == 2


def test_epoch_logger_posts_to_mlflow_run(contract_dirs):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with EpochLogger(run_id="abc", tracking_uri=f"http://127.0.0.1:{server.server_port}") as logger:
            logger.log(1, loss=1.0)
    finally:
        server.shutdown()
    assert received[0][0] == "/api/2.0/mlflow/runs/log-batch"
    assert received[0][1]["run_id"] == "abc"
    assert received[0][1]["metrics"][0]["key"] == "loss"


def test_epoch_logger_falls_back_when_server_down(contract_dirs):
    _, out = contract_dirs
    with EpochLogger(run_id="abc", tracking_uri="http://127.0.0.1:9", timeout=0.5) as logger:
        logger.log(1, loss=1.0)
        assert logger.mlflow_enabled is False
        logger.log(2, loss=0.5)
    assert len(read_metrics_jsonl(out / "metrics.jsonl")) == 2
