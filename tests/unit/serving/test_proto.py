from __future__ import annotations

from pathlib import Path

from serving.proto.generate import HERE, generate


def test_committed_stubs_match_the_proto(tmp_path: Path) -> None:
    generated = generate(tmp_path)
    assert [p.name for p in generated] == [
        "recommender_pb2.py",
        "recommender_pb2.pyi",
        "recommender_pb2_grpc.py",
    ]
    for path in generated:
        assert path.read_text() == (HERE / path.name).read_text(), (
            f"{path.name} is stale: run python -m serving.proto.generate"
        )
