"""umap.png: a UMAP of the latent with a title, axis names and legends, deterministic for a seed; in an image without
umap-learn (or matplotlib) the SDK's own rasteriser draws the first two principal components and says so."""
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from multiverse.worker import build_model_config, save_umap
from multiverse.worker import embedding as embedding_module
from multiverse.worker import render as render_module
from multiverse.worker.colouring import MISSING, OTHER, PALETTE, categorical
from multiverse.worker.font import GLYPH_HEIGHT, GLYPH_WIDTH, text_mask
from multiverse.worker.png import FOOTER, HEADER, PANEL, PLOT, TITLE_LINE

WORKER_DIR = Path(__file__).resolve().parents[1]


def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def decode_plain_png(data: bytes) -> np.ndarray:
    """The pixels of a PNG written by encode_png (RGB, 8 bits, filter 0 on every row, one IDAT chunk)."""
    width, height = png_size(data)
    raw = zlib.decompress(data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8])
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + width * 3)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 3)


def contains_text(pixels: np.ndarray, text: str) -> bool:
    """Whether `text` is drawn somewhere on the image (dark glyph pixels exactly where the font puts them)."""
    mask = text_mask(text)
    dark = pixels.max(axis=2) < 160
    h, w = mask.shape
    r0, c0 = [int(v[0]) for v in np.nonzero(mask)]
    for y, x in zip(*np.nonzero(dark)):
        top, left = y - r0, x - c0
        if 0 <= top <= dark.shape[0] - h and 0 <= left <= dark.shape[1] - w and (dark[top : top + h, left : left + w] == mask).all():
            return True
    return False


@pytest.fixture()
def without_umap(monkeypatch):
    """An image without umap-learn and matplotlib, whatever this interpreter has."""
    monkeypatch.setattr(embedding_module, "umap_available", lambda: False)
    monkeypatch.setattr(render_module, "matplotlib_available", lambda: False)


def config(batch_key=None, seed=5, umap_random_state=None):
    params = {"n_components": 4}
    if umap_random_state is not None:
        params["umap_random_state"] = umap_random_state
    spec = {"seed": seed, "dataset_name": "tiny", "hyperparameters": params, "label_key": "label", "batch_key": batch_key}
    return build_model_config("pca", spec, schema={})


def latent_and_obs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.arange(n) % 3
    latent = rng.normal(size=(n, 6)) + groups[:, None] * 4.0
    obs = {"label": np.array([f"type{g}" for g in groups], dtype=object), "batch": np.array(["b1", "b2"] * (n // 2), dtype=object), "one": np.array(["x"] * n, dtype=object)}
    return latent, obs


def test_fallback_draws_principal_components_and_says_so_in_title_and_log(contract_dirs, without_umap):
    _, out = contract_dirs
    from multiverse.worker import setup_container_logging

    setup_container_logging(out)
    latent, obs = latent_and_obs()
    save_umap(latent, obs, out, config=config())
    data = (out / "umap.png").read_bytes()
    assert png_size(data) == (PANEL, HEADER + TITLE_LINE + PLOT + FOOTER)  # the subtitle takes two lines at this width
    pixels = decode_plain_png(data)
    assert contains_text(pixels, "pca on tiny, seed 5")
    assert contains_text(pixels, "umap-learn is not installed")
    assert contains_text(pixels, "not a UMAP:")
    assert contains_text(pixels, "PC 1")
    assert contains_text(pixels, "type2")  # the legend
    assert contains_text(pixels, "coloured by label")
    log = (out / "run.log").read_text()
    assert "umap-learn is not installed: umap.png shows the first two principal components" in log
    assert "matplotlib is not installed" in log


def test_fallback_is_deterministic_and_colours_points_by_label(contract_dirs, without_umap):
    _, out = contract_dirs
    latent, obs = latent_and_obs()
    save_umap(latent, obs, out, config=config())
    first = (out / "umap.png").read_bytes()
    save_umap(latent, obs, out, config=config())
    assert (out / "umap.png").read_bytes() == first
    plot = decode_plain_png(first)[HEADER + 1 : HEADER + PLOT - 1, 31 : 31 + PLOT - 2].reshape(-1, 3)
    present = {tuple(c) for c in np.unique(plot, axis=0)}
    assert {tuple(PALETTE[i]) for i in range(3)} <= present  # one colour per cell type
    assert tuple(PALETTE[3]) not in present


def test_batch_panel_only_with_more_than_one_batch(contract_dirs, without_umap):
    _, out = contract_dirs
    from multiverse.worker import setup_container_logging

    setup_container_logging(out)
    latent, obs = latent_and_obs()
    save_umap(latent, obs, out, config=config(batch_key="batch"))
    pixels = decode_plain_png((out / "umap.png").read_bytes())
    assert pixels.shape[1] == 2 * PANEL
    assert contains_text(pixels, "coloured by batch")
    save_umap(latent, obs, out, config=config(batch_key="one"))
    assert png_size((out / "umap.png").read_bytes())[0] == PANEL
    save_umap(latent, obs, out, config=config(batch_key="absent"))
    log = (out / "run.log").read_text()
    assert "batch key 'one' has a single value" in log
    assert "batch key 'absent' is not an obs column" in log


def test_missing_label_key_is_logged_and_a_known_label_column_is_used(contract_dirs, without_umap):
    _, out = contract_dirs
    from multiverse.worker import setup_container_logging

    setup_container_logging(out)
    latent, obs = latent_and_obs()
    save_umap(latent, obs, out, color="cell_kind")
    assert "label key 'cell_kind' is not an obs column (columns: batch, label, one)" in (out / "run.log").read_text()
    assert contains_text(decode_plain_png((out / "umap.png").read_bytes()), "coloured by label")


def test_too_few_cells_for_a_umap_say_so(contract_dirs):
    _, out = contract_dirs
    save_umap(np.eye(3), None, out)
    assert embedding_module.embed_2d(np.eye(3), 0).fallback_reason == "3 cells are too few for a UMAP"


def test_random_state_comes_from_the_hyperparameter_then_the_seed(contract_dirs):
    from multiverse.worker.outputs import _random_state

    assert _random_state(None, config(seed=9)) == 9
    assert _random_state(None, config(seed=9, umap_random_state=2)) == 2
    assert _random_state(4, config(seed=9, umap_random_state=2)) == 4
    assert _random_state(None, None) == 0


def test_categorical_colouring_keeps_the_most_frequent_past_twenty_and_greys_missing():
    values = [f"c{i:02d}" for i in range(25) for _ in range(i + 1)] + ["nan", ""]
    colouring = categorical(values, len(values))
    names = [name for name, _ in colouring.legend]
    assert len(names) == 21 and names[-2:] == ["other (6 more)", "NA"]
    assert names[:19] == [f"c{i:02d}" for i in range(6, 25)]
    assert (colouring.colours[values.index("c00")] == OTHER).all()
    assert (colouring.colours[-1] == MISSING).all()
    assert (colouring.colours[values.index("c06")] == PALETTE[0]).all()
    with pytest.raises(ValueError, match="2 labels for 3 points"):
        categorical(["a", "b"], 3)


def test_text_mask_draws_unknown_characters_as_question_marks():
    assert text_mask("é").shape == (GLYPH_HEIGHT, GLYPH_WIDTH)
    assert (text_mask("é") == text_mask("?")).all()


# --- with umap-learn and matplotlib: in this interpreter when it has them, else in a model environment that does ---

UMAP_SCRIPT = r"""
import json, sys, hashlib
import numpy as np
from multiverse.worker import build_model_config, save_umap
from multiverse.worker.embedding import embed_2d
rng = np.random.default_rng(0)
groups = np.arange(90) % 3
latent = rng.normal(size=(90, 6)) + groups[:, None] * 4.0
obs = {"label": np.array([f"type{g}" for g in groups], dtype=object), "batch": np.array(["b1", "b2"] * 45, dtype=object)}
a, b, c = embed_2d(latent, 3), embed_2d(latent, 3), embed_2d(latent, 4)
out = sys.argv[1]
spec = {"seed": 3, "dataset_name": "tiny", "hyperparameters": {}, "label_key": "label", "batch_key": "batch"}
cfg = build_model_config("pca", spec, schema={})
hashes = []
for _ in range(2):
    save_umap(latent, obs, out, config=cfg)
    hashes.append(hashlib.sha256(open(out + "/umap.png", "rb").read()).hexdigest())
print(json.dumps({"method": a.method, "axes": a.axis_names, "same": bool(np.array_equal(a.coords, b.coords)),
    "other_seed_differs": not np.allclose(a.coords, c.coords), "shape": list(a.coords.shape), "hashes": hashes,
    "own_cluster": float(np.mean([np.linalg.norm(a.coords[i] - a.coords[groups == groups[i]].mean(0)) < np.linalg.norm(a.coords[i] - a.coords[groups != groups[i]].mean(0)) for i in range(90)]))}))
"""


def _has_umap(python: str) -> bool:
    probe = "import importlib.util as u, sys; sys.exit(0 if u.find_spec('umap') and u.find_spec('matplotlib') else 1)"
    return subprocess.run([python, "-c", probe], capture_output=True).returncode == 0


def umap_python():
    candidates = [sys.executable, os.environ.get("MULTIVERSE_UMAP_PYTHON")]
    envs = Path(os.environ.get("MULTIVERSE_ENVS_DIR") or Path.home() / ".multiverse" / "envs")
    candidates.append(str(envs / "pca-1.0.0" / "bin" / "python3"))
    for candidate in candidates:
        if candidate and Path(candidate).exists() and _has_umap(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def umap_run(tmp_path_factory):
    python = umap_python()
    if python is None:
        message = "no interpreter with umap-learn and matplotlib (multiverse models setup pca makes one)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path_factory.mktemp("umap-out")
    env = {**os.environ, "PYTHONPATH": str(WORKER_DIR), "MULTIVERSE_OUTPUT_DIR": str(out)}
    done = subprocess.run([python, "-c", UMAP_SCRIPT, str(out)], capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), out


def test_umap_coordinates_are_deterministic_for_a_seed(umap_run):
    result, _ = umap_run
    assert result["method"] == "UMAP" and result["axes"] == ["UMAP 1", "UMAP 2"]
    assert result["shape"] == [90, 2]
    assert result["same"] and result["other_seed_differs"]
    assert result["own_cluster"] > 0.95  # well-separated groups stay apart


def test_umap_png_has_two_panels_and_identical_bytes_for_a_seed(umap_run):
    result, out = umap_run
    assert result["hashes"][0] == result["hashes"][1]
    data = (out / "umap.png").read_bytes()
    assert png_size(data) == (1520, 520)  # two panels (label, batch) of 7.6 x 5.2 inches at 100 dpi


def test_the_environment_numba_cache_is_copied_to_a_writable_place_per_environment(tmp_path, monkeypatch):
    prefix = tmp_path / "env"
    (prefix / "numba-cache" / "umap_x").mkdir(parents=True)
    (prefix / "numba-cache" / "umap_x" / "f.nbi").write_text("index")
    monkeypatch.setattr(embedding_module.sys, "prefix", str(prefix))
    monkeypatch.setattr(embedding_module.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    for name in ("NUMBA_CACHE_DIR", "MPLCONFIGDIR"):  # set, then removed: monkeypatch restores them afterwards
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)
    embedding_module._writable_caches()
    target = Path(os.environ["NUMBA_CACHE_DIR"])
    assert target.parent == tmp_path / "tmp" and target.name.startswith("multiverse-numba-cache-")
    assert (target / "umap_x" / "f.nbi").read_text() == "index"
    assert os.environ["MPLCONFIGDIR"].startswith(str(tmp_path / "tmp"))
    monkeypatch.setattr(embedding_module.sys, "prefix", str(tmp_path / "other"))
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    embedding_module._writable_caches()
    assert Path(os.environ["NUMBA_CACHE_DIR"]) != target
