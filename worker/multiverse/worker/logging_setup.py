"""run.log: the model's structured log inside /output, honouring MULTIVERSE_LOG_LEVEL."""
import logging
import os
import sys
from pathlib import Path
from typing import Optional, Union

from .paths import output_dir

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_configured = False


def setup_container_logging(out_dir: Optional[Union[str, Path]] = None, level: Optional[str] = None) -> logging.Logger:
    """Log to <out_dir>/run.log and to stderr (which the orchestrator captures as container.log)."""
    global _configured
    target = Path(out_dir) if out_dir is not None else output_dir()
    target.mkdir(parents=True, exist_ok=True)
    name = (level or os.environ.get("MULTIVERSE_LOG_LEVEL") or "INFO").upper()
    numeric = getattr(logging, name, None)
    if not isinstance(numeric, int):
        numeric = logging.INFO
    root = logging.getLogger("multiverse")
    root.setLevel(numeric)
    if not _configured:
        file_handler = logging.FileHandler(target / "run.log", encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        stream_handler = logging.StreamHandler(sys.stderr)
        stream_handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(file_handler)
        root.addHandler(stream_handler)
        root.propagate = False
        _configured = True
    return root


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"multiverse.{name}")


def _reset_for_tests() -> None:
    global _configured
    root = logging.getLogger("multiverse")
    for handler in list(root.handlers):
        handler.close()
        root.removeHandler(handler)
    _configured = False
