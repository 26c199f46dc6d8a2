"""multiverse.worker: everything a model container needs to honour the multiverse contract.

    from multiverse.worker import (OUTPUT_DIR, load_input_mudata, load_job_spec, build_model_config,
        save_embeddings, save_umap, anndata_concatenate, setup_container_logging, get_logger,
        EpochLogger, resolve_device)
"""
from .data import LiteAnnData, LiteMuData, anndata_concatenate, load_input_mudata, read_h5mu_lite
from .epoch_logger import EpochLogger, read_metrics_jsonl
from .job_spec import ContractError, build_model_config, load_job_spec, resolve_device, schema_defaults, seed_everything
from .logging_setup import get_logger, setup_container_logging
from .outputs import save_embeddings, save_metrics, save_umap
from .paths import OUTPUT_DIR, input_file, output_dir

__all__ = [
    "OUTPUT_DIR",
    "ContractError",
    "EpochLogger",
    "LiteAnnData",
    "LiteMuData",
    "anndata_concatenate",
    "build_model_config",
    "get_logger",
    "input_file",
    "load_input_mudata",
    "load_job_spec",
    "output_dir",
    "read_h5mu_lite",
    "read_metrics_jsonl",
    "resolve_device",
    "save_embeddings",
    "save_metrics",
    "save_umap",
    "schema_defaults",
    "seed_everything",
    "setup_container_logging",
]
