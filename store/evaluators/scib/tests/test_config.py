"""eval_config.json validation: every bad field is named (in-process, and exit 2 from the entrypoint)."""
import copy
import subprocess
import sys

import pytest

from fixtures import EVALUATOR
from scib_eval.config import ConfigError, load_config, parse_config

GOOD = {
    "schema_version": 1, "launch_id": "L1", "metrics": "default", "seed": 0,
    "datasets": [{"slug": "pbmc68k-reduced", "path": "/data/pbmc68k-reduced.h5mu", "fingerprint": "f", "batch_key": None,
                  "label_key": "bulk_labels",
                  "members": [{"member_id": "r1", "run_id": "r1", "attempt_id": "a1", "model": "pca", "seed": 0, "params": {},
                               "bundle_dir": "/bundles/r1", "embedding_path": "/bundles/r1/embeddings.h5",
                               "manifest_sha256": "m", "embedding_sha256": "e"}],
                  "not_ready": [{"member_id": "r2", "run_id": "r2", "model": "mofa", "seed": 1, "status": "training_failed", "reason": "exit 1"}]}],
}


def mutated(path, value):
    doc = copy.deepcopy(GOOD)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def test_a_good_config_parses():
    config = parse_config(GOOD)
    assert config.metrics == "default" and config.seed == 0
    dataset = config.datasets[0]
    assert dataset.batch_key is None and dataset.label_key == "bulk_labels"
    assert dataset.members[0].embedding_path == "/bundles/r1/embeddings.h5"
    assert dataset.not_ready[0].status == "training_failed"


def test_embedding_path_defaults_to_the_bundles_embeddings_h5():
    config = parse_config(mutated(["datasets", 0, "members", 0, "embedding_path"], KeyError))
    assert config.datasets[0].members[0].embedding_path == "/bundles/r1/embeddings.h5"


@pytest.mark.parametrize("path, value, field", [
    (["schema_version"], 2, "schema_version"),
    (["schema_version"], KeyError, "schema_version"),
    (["launch_id"], "", "(root).launch_id"),
    (["metrics"], "everything", "metrics"),
    (["seed"], -1, "seed"),
    (["seed"], "0", "(root).seed"),
    (["datasets"], KeyError, "datasets"),
    (["datasets"], {}, "(root).datasets"),
    (["datasets", 0, "slug"], "Not A Slug", "datasets[0].slug"),
    (["datasets", 0, "path"], KeyError, "datasets[0].path"),
    (["datasets", 0, "batch_key"], 3, "datasets[0].batch_key"),
    (["datasets", 0, "members"], KeyError, "datasets[0].members"),
    (["datasets", 0, "members", 0, "member_id"], "../escape", "datasets[0].members[0].member_id"),
    (["datasets", 0, "members", 0, "model"], KeyError, "datasets[0].members[0].model"),
    (["datasets", 0, "members", 0, "params"], [1], "datasets[0].members[0].params"),
    (["datasets", 0, "not_ready", 0, "status"], "ready", "datasets[0].not_ready[0].status"),
    (["datasets", 0, "not_ready", 0, "status"], "exploded", "datasets[0].not_ready[0].status"),
    (["datasets", 0, "not_ready", 0, "member_id"], "r1", "datasets[0].not_ready[0].member_id"),
])
def test_a_bad_field_is_named(path, value, field):
    with pytest.raises(ConfigError) as raised:
        parse_config(mutated(path, value))
    assert raised.value.field == field
    assert field in str(raised.value)


def test_a_ready_member_needs_an_embedding_path_or_bundle_dir():
    doc = mutated(["datasets", 0, "members", 0, "embedding_path"], KeyError)
    del doc["datasets"][0]["members"][0]["bundle_dir"]
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.members\[0\]\.embedding_path"):
        parse_config(doc)


def test_not_json_names_the_line(tmp_path):
    path = tmp_path / "eval_config.json"
    path.write_text('{"schema_version": 1,\n "launch_id": }')
    with pytest.raises(ConfigError, match="line 2"):
        load_config(path)


def test_the_entrypoint_exits_2_naming_the_field(tmp_path):
    import json

    path = tmp_path / "eval_config.json"
    path.write_text(json.dumps(mutated(["metrics"], "everything")))
    result = subprocess.run([sys.executable, str(EVALUATOR), str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "metrics" in result.stderr and "everything" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "evaluation_report.json").exists()


def test_a_missing_config_file_exits_2(tmp_path):
    result = subprocess.run([sys.executable, str(EVALUATOR), str(tmp_path / "nope.json")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "cannot read" in result.stderr
