"""Regenerate the gRPC stubs of ``recommender.proto`` (``python -m serving.proto.generate``).

Needs ``grpcio-tools`` (a dev dependency); the generated modules are committed so the runtime
image needs neither protoc nor grpcio-tools. Imports in the generated service module are made
package-relative so the stubs import as ``serving.proto.recommender_pb2_grpc``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO = "recommender.proto"


def generate(out_dir: Path = HERE) -> list[Path]:
    """Write ``recommender_pb2.py``, ``.pyi`` and ``recommender_pb2_grpc.py`` into ``out_dir``."""
    from grpc_tools import protoc

    args = [
        "grpc_tools.protoc",
        f"-I{HERE}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        str(HERE / PROTO),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {HERE / PROTO}")
    stub = out_dir / "recommender_pb2_grpc.py"
    stub.write_text(
        stub.read_text().replace(
            "import recommender_pb2 as recommender__pb2",
            "from serving.proto import recommender_pb2 as recommender__pb2",
        )
    )
    return sorted(out_dir.glob("recommender_pb2*"))


if __name__ == "__main__":
    for path in generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
