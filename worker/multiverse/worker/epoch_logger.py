"""EpochLogger: per-epoch metrics to metrics.jsonl (one fsynced line per epoch, so it survives a crash) and,
when the orchestrator injected MLFLOW_RUN_ID and MLFLOW_TRACKING_URI, to that same MLflow run over the
tracking REST API. Tracking trouble degrades to JSONL-only with a warning; it never fails the model."""
import json
import math
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from .logging_setup import get_logger
from .paths import output_dir

_log = get_logger("epoch_logger")


class EpochLogger:
    def __init__(self, out_dir: Optional[Union[str, Path]] = None, run_id: Optional[str] = None, tracking_uri: Optional[str] = None, timeout: float = 5.0):
        self.path = Path(out_dir if out_dir is not None else output_dir()) / "metrics.jsonl"
        self.run_id = run_id if run_id is not None else os.environ.get("MLFLOW_RUN_ID")
        self.tracking_uri = (tracking_uri if tracking_uri is not None else os.environ.get("MLFLOW_TRACKING_URI", "")).rstrip("/")
        self.timeout = timeout
        self.mlflow_enabled = bool(self.run_id and self.tracking_uri.startswith(("http://", "https://")))
        self._file = None
        if not self.mlflow_enabled:
            reason = "MLFLOW_RUN_ID is not set" if not self.run_id else f"tracking URI {self.tracking_uri or '(unset)'} is not an HTTP server"
            _log.warning("MLflow tracking disabled (%s): epoch metrics go to %s only", reason, self.path)

    def __enter__(self) -> "EpochLogger":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def log(self, step: int, **metrics: float) -> None:
        finite = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) and math.isfinite(float(v))}
        dropped = sorted(set(metrics) - set(finite))
        record: Dict[str, Any] = {"step": int(step), "timestamp": time.time(), "metrics": finite}
        if dropped:
            record["non_finite"] = dropped
        if self._file is None:
            self.__enter__()
        assert self._file is not None
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        if self.mlflow_enabled:
            self._log_mlflow(step, finite)

    def _log_mlflow(self, step: int, metrics: Dict[str, float]) -> None:
        now = int(time.time() * 1000)
        body = {"run_id": self.run_id, "metrics": [{"key": k, "value": v, "timestamp": now, "step": int(step)} for k, v in metrics.items()]}
        request = urllib.request.Request(
            f"{self.tracking_uri}/api/2.0/mlflow/runs/log-batch",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as error:
            self.mlflow_enabled = False
            _log.warning("MLflow at %s unreachable (%s): continuing with %s only", self.tracking_uri, error, self.path)


def read_metrics_jsonl(path: Union[str, Path]) -> List[Dict[str, Any]]:
    """Every complete line; a torn last line (crash mid-write) is skipped."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
