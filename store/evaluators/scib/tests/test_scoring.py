"""Aggregation, scaling, ranking and the not_applicable rules (pure: no scib-metrics run)."""
import numpy as np
import pytest

from scib_eval.metrics import PRESET_FUNCTIONS, KeyVerdict, MetricResult, applicability, preset_metrics
from scib_eval.scoring import Row, rank_ids, raw_values, scaled_values, scores_of


def results(values: dict, preset="default", status=None):
    out = []
    for spec in preset_metrics(preset):
        v = values.get(spec.name)
        st = (status or {}).get(spec.name, "ok" if v is not None else "not_applicable")
        out.append(MetricResult(spec, v if st == "ok" else None, st, None if st == "ok" else "why"))
    return out


def test_the_default_preset_is_the_benchmarkers_default():
    from dataclasses import asdict

    from scib_metrics.benchmark import BatchCorrection, BioConservation

    defaults = {k for k, v in {**asdict(BioConservation()), **asdict(BatchCorrection())}.items() if v}
    assert set(PRESET_FUNCTIONS["default"]) == defaults
    every = set(asdict(BioConservation())) | set(asdict(BatchCorrection()))
    assert set(PRESET_FUNCTIONS["all"]) == every
    assert set(PRESET_FUNCTIONS["fast"]) < set(PRESET_FUNCTIONS["default"])


def test_total_is_point_six_bio_plus_point_four_batch():
    names = [m.name for m in preset_metrics("default")]
    bio = [n for n in names if n in ("isolated_labels", "nmi_ari_cluster_labels_kmeans_nmi", "nmi_ari_cluster_labels_kmeans_ari", "silhouette_label", "clisi_knn")]
    values = {n: 0.5 for n in bio}
    values.update({n: 1.0 for n in names if n not in bio})
    r = results(values)
    scores = scores_of(r, raw_values(Row("a", "member", r)))
    assert scores.bio_conservation.value == 0.5 and scores.batch_correction.value == 1.0
    assert scores.total.value == pytest.approx(0.7)


def test_no_batch_makes_every_batch_metric_and_isolated_labels_not_applicable_and_the_total_null():
    keys = KeyVerdict(labels=np.array(["a", "b"]), batches=None, label_problem=None, batch_problem="no batch key: ...")
    verdicts = {m.name: applicability(m, keys) for m in preset_metrics("all")}
    for m in preset_metrics("all"):
        if m.category == "batch_correction" or m.name == "isolated_labels":
            assert verdicts[m.name] == "no batch key: ..."
        else:
            assert verdicts[m.name] is None
    r = results({"nmi_ari_cluster_labels_kmeans_nmi": 0.4, "nmi_ari_cluster_labels_kmeans_ari": 0.6, "silhouette_label": 0.5, "clisi_knn": 0.5})
    scores = scores_of(r, raw_values(Row("a", "member", r)))
    assert scores.bio_conservation.value == 0.5
    assert scores.batch_correction.value is None and "not applicable" in scores.batch_correction.reason
    assert scores.total.value is None and "batch_correction" in scores.total.reason


def test_no_labels_leaves_only_ilisi_and_pcr():
    keys = KeyVerdict(labels=None, batches=np.array(["1", "2"]), label_problem="no label key", batch_problem=None)
    applicable = [m.name for m in preset_metrics("all") if applicability(m, keys) is None]
    assert applicable == ["ilisi_knn", "pcr_comparison"]


def test_a_failed_metric_nulls_its_category_never_a_number():
    names = [m.name for m in preset_metrics("fast")]
    r = results({n: 0.5 for n in names}, preset="fast", status={"silhouette_label": "failed"})
    scores = scores_of(r, raw_values(Row("a", "member", r)))
    assert scores.bio_conservation.value is None and "silhouette_label" in scores.bio_conservation.reason
    assert scores.batch_correction.value == 0.5 and scores.total.value is None


def test_min_max_scaling_over_rows_and_constant_metrics_scale_to_zero():
    names = [m.name for m in preset_metrics("fast")]
    rows = []
    for i, base in enumerate((0.2, 0.4, 0.8)):
        values = {n: base for n in names}
        values["pcr_comparison"] = 0.3  # constant
        rows.append(Row(f"r{i}", "member", results(values, preset="fast")))
    scaled, warnings = scaled_values(rows, preset_metrics("fast"))
    assert scaled["r0"]["silhouette_label"] == 0.0 and scaled["r2"]["silhouette_label"] == 1.0
    assert scaled["r1"]["silhouette_label"] == pytest.approx(1 / 3, abs=1e-6)
    assert all(scaled[r]["pcr_comparison"] == 0.0 for r in ("r0", "r1", "r2"))
    assert any("pcr_comparison" in w for w in warnings)


def test_ranking_by_total_with_ties_broken_by_id_and_null_totals_last():
    assert rank_ids({"b": 0.5, "a": 0.5, "c": 0.9, "e": None, "d": None}) == ["c", "a", "b", "d", "e"]


def test_numerically_constant_latent_dimensions_are_found_and_only_those():
    from scib_eval.dataset import varying_dimensions

    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(50, 5)).astype(np.float32)
    matrix[:, 1] = 3.0                                   # a pruned factor: exactly constant
    matrix[:, 3] = 1e-14 * rng.normal(size=50)           # numerically constant (float noise)
    matrix[:, 4] *= 1e-3                                 # small but real spread: kept
    assert varying_dimensions(matrix).tolist() == [True, False, True, False, True]
    assert not varying_dimensions(np.ones((10, 3), dtype=np.float32)).any()
