"""Generate Python code and type stubs from the contracts in ``protos/``.

``python -m plugboard.codegen`` regenerates ``plugboard/<package>/v1/*_pb2.py``, ``*_pb2.pyi``,
``*_pb2_grpc.py`` and ``*_pb2_grpc.pyi`` with grpcio-tools and mypy-protobuf. The proto package path is
the Python import path (``plugboard.catalog.v1`` lives in ``protos/plugboard/catalog/v1``), so the
generated imports work without any ``sys.path`` tricks.

``python -m plugboard.codegen --check`` generates into a temporary directory and exits non-zero when the
committed files differ, so CI fails on stale generated code.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
GENERATED_PACKAGES = ("plugboard/catalog", "plugboard/instance", "plugboard/history", "plugboard/gateway")
SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")
# Package roots that are also hand-written packages (``plugboard.history`` is the change-history
# mechanism; its protos live in ``plugboard/history/v1``): their ``__init__.py`` is not generated.
HAND_WRITTEN_INITS = frozenset({"plugboard/history/__init__.py"})


def proto_files() -> list[str]:
    """Every Plugboard .proto file, relative to ``protos/`` (vendored google/ protos excluded)."""
    return sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "plugboard").rglob("*.proto"))


def generate(out_dir: Path) -> None:
    """Run protoc on every Plugboard proto, writing the Python package tree under ``out_dir``."""
    from grpc_tools import protoc  # dev dependency: imported only when generating
    import grpc_tools

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    mypy_grpc = Path(sysconfig.get_path("scripts")) / "protoc-gen-mypy_grpc"
    if not mypy_grpc.exists():
        raise SystemExit(f"protoc-gen-mypy_grpc not found at {mypy_grpc}: pip install -e '.[dev]'")
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--plugin=protoc-gen-mypy_grpc={mypy_grpc}",
        f"--mypy_grpc_out={out_dir}",
        *proto_files(),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for package in GENERATED_PACKAGES:
        for directory in [out_dir / package, *[d for d in (out_dir / package).rglob("*") if d.is_dir()]]:
            init = directory / "__init__.py"
            if str(init.relative_to(out_dir)) in HAND_WRITTEN_INITS:
                continue
            if not init.exists():
                init.write_text(f'"""Generated from protos/{directory.relative_to(out_dir)}: do not edit."""\n')


def generated_files(base: Path) -> set[str]:
    """Generated files (relative paths) present under ``base``."""
    found: set[str] = set()
    for package in GENERATED_PACKAGES:
        root = base / package
        if root.exists():
            found |= {
                str(p.relative_to(base))
                for p in root.rglob("*")
                if p.is_file() and (p.name.endswith(SUFFIXES) or p.name == "__init__.py")
                and str(p.relative_to(base)) not in HAND_WRITTEN_INITS
            }
    return found


def check() -> int:
    """Return 0 when the committed generated code matches a fresh generation, 1 otherwise."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        expected, actual = generated_files(fresh), generated_files(ROOT)
        stale = sorted(
            rel for rel in expected & actual if not filecmp.cmp(fresh / rel, ROOT / rel, shallow=False)
        )
        missing, extra = sorted(expected - actual), sorted(actual - expected)
    for label, names in (("stale", stale), ("missing", missing), ("not generated from any proto", extra)):
        for name in names:
            print(f"{label}: {name}", file=sys.stderr)
    if stale or missing or extra:
        print("generated code is out of date: run `make gen` and commit the result", file=sys.stderr)
        return 1
    print(f"generated code is up to date ({len(expected)} files)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugboard.codegen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when committed code is stale")
    options = parser.parse_args(argv)
    if options.check:
        return check()
    for package in GENERATED_PACKAGES:  # drop files of protos that were removed or renamed
        for rel in generated_files(ROOT):
            if rel.startswith(package) and not rel.endswith("__init__.py"):
                (ROOT / rel).unlink()
    generate(ROOT)
    print(f"generated {len(generated_files(ROOT))} files from {len(proto_files())} protos")
    return 0


if __name__ == "__main__":
    sys.exit(main())
