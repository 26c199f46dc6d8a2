"""The pbmc68k-reduced converter on a small file in the same legacy h5ad layout (compound obs/var datasets)."""
import h5py
import numpy as np
import pytest

from multiverse.datasets.pbmc68k_reduced import convert


def legacy_h5ad(path, n_cells=6, n_genes=4, negative=False):
    rng = np.random.default_rng(0)
    dense = rng.integers(0, 3, size=(n_cells, n_genes)).astype(np.float32)
    if negative:
        dense[0, 0] = -1.0
    indptr, indices, data = [0], [], []
    for row in dense:
        nz = np.nonzero(row)[0]
        indices.extend(nz.tolist())
        data.extend(row[nz].tolist())
        indptr.append(len(indices))
    with h5py.File(path, "w") as f:
        f["X"] = dense
        obs = np.zeros(n_cells, dtype=[("index", "S16"), ("bulk_labels", "i1"), ("n_genes", "<i8"), ("percent_mito", "<f4"),
                                       ("n_counts", "<f4"), ("phase", "i1"), ("louvain", "i1")])
        obs["index"] = [f"cell{i}".encode() for i in range(n_cells)]
        obs["bulk_labels"] = [i % 2 for i in range(n_cells)]
        obs["phase"] = [i % 3 for i in range(n_cells)]
        f["obs"] = obs
        raw = f.create_group("raw.X")
        raw.attrs["h5sparse_format"] = "csr"
        raw.attrs["h5sparse_shape"] = np.array([n_cells, n_genes])
        raw["data"] = np.array(data, dtype=np.float32)
        raw["indices"] = np.array(indices, dtype=np.int32)
        raw["indptr"] = np.array(indptr, dtype=np.int32)
        var = np.zeros(n_genes, dtype=[("index", "S13")])
        var["index"] = [f"gene{i}".encode() for i in range(n_genes)]
        f["raw.var"] = var
        f["uns/bulk_labels_categories"] = np.array([b"T cell", b"B cell"])
        f["uns/louvain_categories"] = np.array([b"0"])
        f["uns/phase_categories"] = np.array([b"G1", b"S", b"G2M"])
    return dense


def test_converts_to_a_single_modality_h5mu(tmp_path):
    dense = legacy_h5ad(tmp_path / "in.h5ad")
    with h5py.File(tmp_path / "in.h5ad", "r") as h5ad:
        figures = convert(h5ad, tmp_path / "out.h5mu")
    assert figures == {"cells": 6, "genes": 4, "cell_types": 2, "nnz": int((dense != 0).sum())}
    with open(tmp_path / "out.h5mu", "rb") as f:
        assert f.read(6) == b"MuData"
    with h5py.File(tmp_path / "out.h5mu", "r") as f:
        assert f.attrs["encoding-type"] == "MuData"
        x = f["mod/rna/X"]
        assert x.attrs["encoding-type"] == "csr_matrix"
        assert list(x.attrs["shape"]) == [6, 4]
        rebuilt = np.zeros((6, 4), dtype=np.float32)
        for r in range(6):
            lo, hi = x["indptr"][r], x["indptr"][r + 1]
            rebuilt[r, x["indices"][lo:hi]] = x["data"][lo:hi]
        np.testing.assert_array_equal(rebuilt, dense)
        assert [c.decode() for c in f["obs/cell_type/categories"][()]] == ["T cell", "B cell"]
        assert list(f["obs/cell_type/codes"][()]) == [0, 1, 0, 1, 0, 1]
        assert [c.decode() for c in f["obs/_index"][()]] == [f"cell{i}" for i in range(6)]
        assert [c.decode() for c in f["mod/rna/var/_index"][()]] == ["gene0", "gene1", "gene2", "gene3"]


def test_the_same_input_gives_the_same_bytes(tmp_path):
    legacy_h5ad(tmp_path / "in.h5ad")
    with h5py.File(tmp_path / "in.h5ad", "r") as h5ad:
        convert(h5ad, tmp_path / "a.h5mu")
        convert(h5ad, tmp_path / "b.h5mu")
    assert (tmp_path / "a.h5mu").read_bytes() == (tmp_path / "b.h5mu").read_bytes()


def test_negative_expression_is_refused(tmp_path):
    legacy_h5ad(tmp_path / "in.h5ad", negative=True)
    with h5py.File(tmp_path / "in.h5ad", "r") as h5ad, pytest.raises(SystemExit, match="non-negative"):
        convert(h5ad, tmp_path / "out.h5mu")


def test_gem_group_comes_from_the_barcode_suffix_and_bulk_labels_keeps_scanpys_name(tmp_path):
    legacy_h5ad(tmp_path / "in.h5ad")
    with h5py.File(tmp_path / "in.h5ad", "r+") as f:
        obs = f["obs"][()]
        del f["obs"]
        obs = obs.astype([("index", "S20")] + [(n, obs.dtype[n]) for n in obs.dtype.names if n != "index"])
        obs["index"] = [f"AAAC{i}-{(i % 3) * 4 + 2}".encode() for i in range(6)]  # GEM groups 2, 6, 10
        f["obs"] = obs
    with h5py.File(tmp_path / "in.h5ad", "r") as h5ad:
        convert(h5ad, tmp_path / "out.h5mu")
    with h5py.File(tmp_path / "out.h5mu", "r") as f:
        assert [c.decode() for c in f["obs/gem_group/categories"][()]] == ["2", "6", "10"]  # numeric order
        assert list(f["obs/gem_group/codes"][()]) == [0, 1, 2, 0, 1, 2]
        assert [c.decode() for c in f["obs/bulk_labels/categories"][()]] == ["T cell", "B cell"]
        assert list(f["obs/bulk_labels/codes"][()]) == list(f["obs/cell_type/codes"][()])
        assert "gem_group" in [c.decode() if isinstance(c, bytes) else c for c in f["obs"].attrs["column-order"]]


def test_barcodes_without_a_suffix_give_no_gem_group(tmp_path):
    legacy_h5ad(tmp_path / "in.h5ad")
    with h5py.File(tmp_path / "in.h5ad", "r") as h5ad:
        convert(h5ad, tmp_path / "out.h5mu")
    with h5py.File(tmp_path / "out.h5mu", "r") as f:
        assert "gem_group" not in f["obs"]
