"""The contract's operations, as (VERB, path) pairs: the 2025 document, the 2024 draft
(as the shared spec_coverage tool reads it, since the draft is not valid YAML) and the
stable companions the contract leans on."""
from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SPEC_2025 = SHARED / "specs" / "llama-stack-experimental-2025-10.yaml"
SPEC_COVERAGE = SHARED / "tools" / "spec_coverage.py"

VERBS = ("get", "post", "put", "delete", "patch")
# The stable spec's routes that the contract leans on (specs/README.md, "Reference only").
COMPANIONS = [
    ("GET", "/v1/models"),
    ("GET", "/v1/models/{model_id}"),
    ("GET", "/v1/health"),
    ("GET", "/v1/version"),
    ("GET", "/v1/inspect/routes"),
]


def load_spec_coverage():
    spec = importlib.util.spec_from_file_location("spec_coverage", SPEC_COVERAGE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def spec_2025_operations() -> list[tuple[str, str]]:
    spec = yaml.safe_load(SPEC_2025.read_text())
    return [(verb.upper(), path) for path, item in spec["paths"].items() for verb in VERBS if verb in item]


def spec_2024_operations() -> list[tuple[str, str]]:
    return list(load_spec_coverage().SPEC_2024)


def normalize(path: str) -> str:
    """`{x=*}` and `{x}` name the same variable; a trailing slash is not significant."""
    return re.sub(r"\{([^}=]+)=[^}]*\}", r"{\1}", path).rstrip("/") or "/"
