"""Wire format and batch decoding of the stream (real confluent-kafka Message objects)."""

from __future__ import annotations

import json

from confluent_kafka import Message
from testkit.events import make_events

from features.streaming import decode_batch, encode, parse_learning_bytes
from features.streaming.consumer import BatchConsumer
from features.streaming.dlq import header, source_of


def _message(value: bytes | None, offset: int, partition: int = 0) -> Message:
    return Message(topic="T", partition=partition, offset=offset, key=b"k", value=value)


def test_encode_keys_by_learner_and_round_trips() -> None:
    event = make_events(1)[0]
    message = encode(event, "T")
    assert message.key == event.learner_id and message.topic == "T"
    assert "null" not in message.value.decode()  # compact: no None fields
    assert parse_learning_bytes(message.value) == event


def test_decode_batch_splits_events_and_dead_letters_with_reasons() -> None:
    events = make_events(3)
    batch = [
        _message(encode(events[0], "T").value, 0),
        _message(b'{"learner_id": "x", "verb": "flew"}', 1),
        _message(None, 2),
        _message(b"\xff\xfe", 3),
        _message(encode(events[1], "T").value, 4),
    ]
    decoded = decode_batch(batch, parse_learning_bytes)
    assert decoded.events == events[:2]
    assert [m.offset() for m in decoded.messages] == [0, 4]
    reasons = {source_of(d.message)[2]: d.reason for d in decoded.dead_letters}
    assert "verb: unknown verb 'flew'" in reasons[1]
    assert "timestamp: field required" in reasons[1]
    assert reasons[2] == "(root): empty message value"
    assert "Invalid JSON" in reasons[3]


def test_commit_positions_are_last_offset_plus_one_per_partition() -> None:
    batch = [_message(b"{}", o, p) for p, o in [(0, 5), (1, 9), (0, 6), (1, 10), (0, 7)]]
    last = BatchConsumer._positions(batch, first=False)
    first = BatchConsumer._positions(batch, first=True)
    assert sorted((tp.partition, tp.offset) for tp in last) == [(0, 8), (1, 11)]
    assert sorted((tp.partition, tp.offset) for tp in first) == [(0, 5), (1, 9)]


def test_header_lookup_decodes_utf8() -> None:
    message = Message(topic="T", value=b"{}", headers=[("dlq.reason", b"bad field")])
    assert header(message, "dlq.reason") == "bad field"
    assert header(message, "missing") is None
    assert json.loads(message.value()) == {}
