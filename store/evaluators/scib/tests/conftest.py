"""The evaluator's tests run in its own environment (scib-metrics, jax):
    ~/.multiverse/envs/scib-evaluator-1.0.0/bin/python3 -m pytest -q store/evaluators/scib/tests
One persistent JAX/numba cache ($MV_TEST_JAX_CACHE, default ~/.cache/multiverse/scib-evaluator-test-cache) keeps
the JIT warm across runs."""
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "container"))


@pytest.fixture(scope="session")
def jax_cache() -> Path:
    path = Path(os.environ.get("MV_TEST_JAX_CACHE", Path.home() / ".cache" / "multiverse" / "scib-evaluator-test-cache"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def pbmc(tmp_path_factory) -> Path:
    import fixtures

    return fixtures.pbmc68k_reduced(tmp_path_factory.mktemp("pbmc"))
