"""The scib evaluator: scib-metrics' Benchmarker over a launch's cohort, with controls (EVAL_CONTRACT.md)."""
