"""Regenerate the Python stubs in clients/python from protos/.

Usage: python scripts/gen_protos.py [--out DIR]

Also lays the third-party imports (google/api, google/rpc, google/protobuf) under
.build/proto-deps so that `buf lint` and other tools can resolve them without a
copy in the repository.
"""
import argparse
import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
DEFAULT_OUT = ROOT / "clients" / "python"
DEPS = ROOT / ".build" / "proto-deps"


def third_party_include_dirs():
    """Folders holding google/protobuf/*.proto and google/api/*.proto."""
    well_known = Path(str(resources.files("grpc_tools") / "_proto"))
    import google.api.annotations_pb2 as annotations

    googleapis = Path(annotations.__file__).resolve().parent.parent.parent
    return [well_known, googleapis]


def lay_out_deps():
    """Copy the imported third-party protos into .build/proto-deps (git-ignored) for buf."""
    if DEPS.exists():
        shutil.rmtree(DEPS)
    _, googleapis = third_party_include_dirs()
    for sub in ("google/api", "google/rpc"):
        for proto in (googleapis / sub).glob("*.proto"):
            target = DEPS / sub / proto.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(proto, target)


def generate(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    includes = [f"-I{PROTOS}"] + [f"-I{d}" for d in third_party_include_dirs()]
    args = ["protoc", *includes, f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}", *sources]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")
    # Generated modules import each other as llamastack.<api>.<version>; make every folder a package.
    for folder in (out / "llamastack").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__":
            (folder / "__init__.py").touch()
    (out / "llamastack" / "__init__.py").touch()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if args.out == DEFAULT_OUT and (DEFAULT_OUT / "llamastack").exists():
        shutil.rmtree(DEFAULT_OUT / "llamastack")
    generate(args.out)
    lay_out_deps()


if __name__ == "__main__":
    main()
