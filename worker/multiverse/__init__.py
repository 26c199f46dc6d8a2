"""multiverse: the Python side of the multiverse benchmark reconciler (the worker SDK lives in multiverse.worker)."""
