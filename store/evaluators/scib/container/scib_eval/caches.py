"""Compilation caches, set before jax or numba is imported.

JIT compilation dominates a small evaluation (pynndescent's numba functions, scib-metrics' jax functions), so:
- jax: JAX_COMPILATION_CACHE_DIR (the host mounts a writable persistent directory) is honoured, caching every
  compiled function (no minimum compile time or size).
- numba: NUMBA_CACHE_DIR when set; else <JAX_COMPILATION_CACHE_DIR>/numba when that is set (persistent too); else a
  directory under the temporary directory. An empty numba cache is seeded from the environment's own prebuilt one
  (<sys.prefix>/numba-cache, made by scripts/setup-evaluator.sh and the Dockerfile), as the worker SDK does.
- matplotlib: MPLCONFIGDIR under the temporary directory (HOME may be unwritable in a sandbox).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile

PREBUILT_NUMBA_CACHE = "numba-cache"


def configure() -> None:
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    base = tempfile.gettempdir()
    jax_cache = os.environ.get("JAX_COMPILATION_CACHE_DIR")
    if jax_cache:
        os.makedirs(jax_cache, exist_ok=True)
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    if "NUMBA_CACHE_DIR" not in os.environ:
        if jax_cache:
            target = os.path.join(jax_cache, "numba")
        else:
            target = os.path.join(base, f"multiverse-numba-cache-{hashlib.sha256(sys.prefix.encode()).hexdigest()[:12]}")
        prebuilt = os.path.join(sys.prefix, PREBUILT_NUMBA_CACHE)
        if os.path.isdir(prebuilt) and not (os.path.isdir(target) and os.listdir(target)):
            try:
                shutil.copytree(prebuilt, target, dirs_exist_ok=True)
            except OSError:
                pass  # numba compiles what it cannot find
        os.environ["NUMBA_CACHE_DIR"] = target
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(base, "multiverse-matplotlib"))
    os.environ.setdefault("MPLBACKEND", "Agg")
