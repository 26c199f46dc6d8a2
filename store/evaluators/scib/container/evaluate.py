"""Entrypoint of the scib evaluator (store/evaluators/scib): see scib_eval/cli.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scib_eval.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
