"""The evaluator end to end on pbmc68k-reduced (700 cells, gem_group batches, bulk_labels), through its entrypoint:
two real PCA embeddings, a NaN one, a wrong-sized one, a missing one, not-ready members, the controls, the
not_applicable rules (no batch key, one batch, no label key) and determinism (two runs, byte-identical JSON).
The whole launch is evaluated twice ("fast" metrics, to keep the test short); every test reads those two runs."""
import json

import numpy as np
import pytest

import fixtures as fx


@pytest.fixture(scope="module")
def launch(pbmc, tmp_path_factory, jax_cache):
    work = tmp_path_factory.mktemp("launch")
    bundles = work / "bundles"
    pca0 = fx.pca_embedding(pbmc, 20, 0)
    nan = pca0.copy()
    nan[3, 2] = np.nan
    members = [fx.write_bundle(bundles, "pca-s0", pca0), fx.write_bundle(bundles, "pca-s1", fx.pca_embedding(pbmc, 16, 1)),
               fx.write_bundle(bundles, "pca-nan", nan), fx.write_bundle(bundles, "pca-short", pca0[:-5]),
               fx.write_bundle(bundles, "pca-gone", None)]
    not_ready = [
        {"member_id": "mofa-s0", "run_id": "mofa-s0", "model": "mofa", "seed": 0, "status": "training_failed", "reason": "exit code 1"},
        {"member_id": "mofa-s1", "run_id": "mofa-s1", "model": "mofa", "seed": 1, "status": "bad_artifact_manifest", "reason": "checksum mismatch"},
        {"member_id": "mofa-s2", "run_id": "mofa-s2", "model": "mofa", "seed": 2, "status": "running"},
    ]
    one = lambda name: [fx.write_bundle(bundles, name, pca0)]  # noqa: E731
    datasets = [
        fx.dataset_entry("pbmc68k-reduced", pbmc, members, not_ready=not_ready),
        fx.dataset_entry("no-batch-key", pbmc, one("nb-pca"), batch_key=None),
        fx.dataset_entry("one-batch", pbmc, one("ob-pca"), batch_key="batch"),
        fx.dataset_entry("no-label-key", pbmc, one("nl-pca"), label_key=None),
    ]
    config = fx.config(datasets, metrics="fast", seed=0)
    runs = []
    for name in ("first", "second"):
        output = work / name
        result = fx.run_evaluator(config, output, jax_cache)
        assert result.returncode == 0, result.stderr[-4000:]
        runs.append(output)
    return runs


def load(output, name):
    return json.loads((output / name).read_text())


def member(output, member_id):
    return load(output, f"evaluations/{member_id}.json")


def dataset(output, slug):
    return next(d for d in load(output, "evaluation_report.json")["datasets"] if d["slug"] == slug)


def test_every_member_has_a_document_with_its_status(launch):
    out = launch[0]
    statuses = {p.stem: json.loads(p.read_text())["status"] for p in (out / "evaluations").glob("*.json")}
    assert statuses == {
        "pca-s0": "done", "pca-s1": "done", "pca-nan": "evaluation_failed", "pca-short": "obs_mismatch",
        "pca-gone": "no_embeddings", "mofa-s0": "training_failed", "mofa-s1": "bad_manifest", "mofa-s2": "not_ready",
        "nb-pca": "done", "ob-pca": "done", "nl-pca": "done",
    }


def test_a_done_member_has_every_metric_scores_and_its_trace(launch):
    doc = member(launch[0], "pca-s0")
    assert doc["schema_version"] == 1 and doc["embedding"]["shape"] == [700, 20]
    assert [m["name"] for m in doc["metrics"]] == ["nmi_ari_cluster_labels_kmeans_nmi", "nmi_ari_cluster_labels_kmeans_ari", "silhouette_label",
                                                   "clisi_knn", "ilisi_knn", "graph_connectivity", "pcr_comparison"]
    assert all(m["status"] == "ok" and isinstance(m["value"], float) for m in doc["metrics"])
    scores = doc["scores"]
    assert scores["total"] == pytest.approx(0.6 * scores["bio_conservation"] + 0.4 * scores["batch_correction"], abs=2e-6)
    assert doc["keys"]["found_in"] == "obs" and doc["keys"]["n_batches"] == 8 and doc["keys"]["n_labels"] == 10
    assert doc["traced_to"]["embedding_sha256"] and doc["traced_to"]["dataset_fingerprint"] == "sha256:test"
    assert doc["versions"]["scib_metrics"] == "0.5.10" and doc["versions"]["pandas"] == "2.3.3"
    assert doc["resources"]["peak_rss_bytes"] > 0


def test_nan_and_obs_mismatch_are_statuses_never_numbers(launch):
    nan = member(launch[0], "pca-nan")
    assert "non-finite" in nan["reason"]
    assert all(m["value"] is None for m in nan["metrics"]) and nan["scores"]["total"] is None
    short = member(launch[0], "pca-short")
    assert "695 rows" in short["reason"] and "700 cells" in short["reason"]
    assert member(launch[0], "mofa-s1")["reason"] == "checksum mismatch"
    rows = {r["id"]: r for r in dataset(launch[0], "pbmc68k-reduced")["tables"]["raw"]["rows"]}
    for name, status in (("pca-nan", "evaluation_failed"), ("pca-short", "obs_mismatch"), ("mofa-s0", "training_failed")):
        assert rows[name]["status"] == status and rows[name]["total"] is None
        assert all(v is None for v in rows[name]["metrics"].values())


def test_controls_are_in_both_tables_and_the_random_one_has_the_members_median_dimensions(launch):
    section = dataset(launch[0], "pbmc68k-reduced")
    for table in ("raw", "scaled"):
        done = {r["id"] for r in section["tables"][table]["rows"] if r["status"] == "done"}
        assert done == {"pca-s0", "pca-s1", "control:unintegrated", "control:random"}
        assert len(section["tables"][table]["rows"]) == 10 and section["tables"][table]["label"] == table
    assert section["controls"] == ["control:unintegrated", "control:random"]
    controls = {c["name"]: c for c in section["control_details"]}
    assert controls["control:unintegrated"]["shape"] == [700, 50]
    assert controls["control:random"]["shape"] == [700, 16]  # the lower median of 20 and 16
    raw = {r["id"]: r for r in section["tables"]["raw"]["rows"]}
    assert raw["pca-s0"]["bio_conservation"] > raw["control:random"]["bio_conservation"] + 0.2
    scaled = {r["id"]: r for r in section["tables"]["scaled"]["rows"] if r["status"] == "done"}
    for name in section["metric_names"]:
        column = [scaled[e]["metrics"][name] for e in scaled]
        assert min(column) == 0.0 and max(column) in (0.0, 1.0)
    assert section["batch_key"] == "gem_group" and section["label_key"] == "bulk_labels"
    assert len(section["ranking"]) == 10 and set(section["ranking"][:4]) == set(scaled)
    totals = [scaled[i]["total"] for i in section["ranking"][:4]]
    assert totals == sorted(totals, reverse=True)
    assert section["ranking"][4:] == sorted(section["ranking"][4:])  # null totals last, by id


def test_no_batch_key_makes_the_batch_metrics_not_applicable_and_the_total_null(launch):
    doc = member(launch[0], "nb-pca")
    for m in doc["metrics"]:
        if m["category"] == "batch_correction":
            assert m["status"] == "not_applicable" and m["value"] is None and m["reason"].startswith("no batch key")
        else:
            assert m["status"] == "ok"
    assert doc["scores"]["batch_correction"] is None and doc["scores"]["total"] is None
    assert "not applicable" in doc["scores"]["reasons"]["total"]
    assert isinstance(doc["scores"]["bio_conservation"], float)
    section = dataset(launch[0], "no-batch-key")
    assert any(w.startswith("no batch key") for w in section["warnings"])


def test_one_batch_is_not_enough(launch):
    doc = member(launch[0], "ob-pca")
    assert doc["keys"]["n_batches"] == 1
    batch = [m for m in doc["metrics"] if m["category"] == "batch_correction"]
    assert batch and all(m["status"] == "not_applicable" and "1 batch" in m["reason"] for m in batch)
    assert doc["scores"]["total"] is None


def test_no_label_key_makes_the_bio_metrics_not_applicable(launch):
    doc = member(launch[0], "nl-pca")
    by_name = {m["name"]: m for m in doc["metrics"]}
    for m in doc["metrics"]:
        if m["category"] == "bio_conservation" or m["name"] == "graph_connectivity":
            assert m["status"] == "not_applicable" and m["reason"].startswith("no label key")
    assert by_name["ilisi_knn"]["status"] == "ok" and by_name["pcr_comparison"]["status"] == "ok"
    assert doc["scores"]["bio_conservation"] is None and doc["scores"]["total"] is None


def test_plots_are_written_per_dataset(launch):
    plots = launch[0] / "plots" / "dataset_pbmc68k-reduced"
    for name in ("results_table.png", "results_table_scaled.png", "umap_grid.png"):
        assert (plots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_two_runs_give_byte_identical_json_but_for_resources(launch):
    first, second = launch
    assert (first / "evaluation_report.json").read_bytes() == (second / "evaluation_report.json").read_bytes()
    names = sorted(p.name for p in (first / "evaluations").glob("*.json"))
    assert names == sorted(p.name for p in (second / "evaluations").glob("*.json"))
    for name in names:
        a, b = (json.loads((run / "evaluations" / name).read_text()) for run in (first, second))
        a.pop("resources"), b.pop("resources")
        assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True), name
        # never a NaN or Infinity literal (a number that is not one)
        json.loads((first / "evaluations" / name).read_text(), parse_constant=lambda literal: pytest.fail(f"{name}: {literal}"))
