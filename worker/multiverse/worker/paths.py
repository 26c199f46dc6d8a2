"""Contract paths. Inside a container they are /input and /output; outside, environment variables redirect them
so that the same model code runs in tests, in the local executor and in a container."""
import os
from pathlib import Path


def input_dir() -> Path:
    return Path(os.environ.get("MULTIVERSE_INPUT_DIR", "/input"))


def output_dir() -> Path:
    return Path(os.environ.get("MULTIVERSE_OUTPUT_DIR", "/output"))


def input_file() -> Path:
    return Path(os.environ.get("MULTIVERSE_INPUT_FILE", str(input_dir() / "data.h5mu")))


OUTPUT_DIR = str(output_dir())
