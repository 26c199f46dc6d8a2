"""The evaluator's command line: python3 container/evaluate.py [eval_config.json]

The config path is the argument, else $MV_EVAL_CONFIG, else /output/eval_config.json. Outputs go to
$MV_EVAL_OUTPUT_DIR, else the config file's directory (/output). Exit 0 when the outputs are written (members may
still be evaluation_failed), 2 for a bad config (stderr names the field), 1 when it could not run at all.
"""
from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from . import caches
from .config import ConfigError, load_config


def _log(message: str) -> None:
    print(f"[scib-evaluator] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        print("usage: evaluate.py [eval_config.json]", file=sys.stderr)
        return 2
    config_path = Path(args[0] if args else os.environ.get("MV_EVAL_CONFIG", "/output/eval_config.json"))
    try:
        config = load_config(config_path)
    except ConfigError as error:
        print(str(error), file=sys.stderr)
        return 2
    output = Path(os.environ.get("MV_EVAL_OUTPUT_DIR") or config_path.parent)
    caches.configure()
    try:
        from .launch import evaluate_launch

        threads = int(os.environ.get("MV_EVAL_THREADS") or os.cpu_count() or 1)
        evaluate_launch(config, output, max(1, threads), _log)
    except Exception:  # an evaluator bug: say so, with the trace for its developers
        _log("the evaluation could not run:")
        traceback.print_exc()
        return 1
    return 0
