"""Reusable Kafka plumbing: topics, idempotent producer, batch consumer, dead letters.

Every consumer in learnloop is at-least-once with an idempotent effect: it commits offsets only
after its effect is durable, and dedupes on ``event_id``. Messages that fail validation go to
``<topic>.dlq`` with the reason and the original payload; they are never dropped silently.

Produce (e.g. from a service; the future resolves when the broker acknowledged)::

    from features.streaming import EventProducer, encode, ensure_topics
    from learnloop.settings import get_settings

    kafka = get_settings().kafka
    ensure_topics(kafka)                                   # idempotent, from settings
    with EventProducer(kafka, delivery_timeout_s=5) as producer:
        producer.send_all([encode(event, kafka.learning_event_topic)])  # raises DeliveryError
        # in async code: await producer.send_all_async([...])
        # BrokerUnavailableError -> answer 503 + Retry-After, never "accepted"

Consume (offsets committed only after ``handle`` returns; raising retries the batch)::

    from features.streaming import (BatchConsumer, DeadLetterPublisher, decode_batch,
                                    parse_progress_bytes)

    consumer = BatchConsumer(kafka, group_id="progress-tracker",
                             topics=[kafka.progress_update_topic])
    dead_letters = DeadLetterPublisher(kafka, producer, group_id="progress-tracker")

    def handle(messages):
        batch = decode_batch(messages, parse_progress_bytes)
        apply_idempotently(batch.events)          # e.g. upsert keyed on event_id
        dead_letters.publish(batch.dead_letters)  # waits for the broker

    consumer.run(handle)      # until consumer.stop() (call it from a SIGTERM handler)
"""

from features.streaming.codec import (
    Decoded,
    decode_batch,
    encode,
    parse_learning_bytes,
    parse_progress_bytes,
)
from features.streaming.consumer import (
    BatchConsumer,
    BatchHandler,
    MissingTopicError,
    PartitionSlice,
    consumer_config,
    tune_gc,
)
from features.streaming.dlq import REASON_HEADER, DeadLetter, DeadLetterPublisher, header
from features.streaming.producer import (
    BrokerUnavailableError,
    Delivery,
    DeliveryError,
    EventProducer,
    OutgoingMessage,
)
from features.streaming.topics import (
    TopicSpec,
    dead_letter_topic,
    ensure_topics,
    platform_topics,
    topic_ids,
)

__all__ = [
    "REASON_HEADER",
    "BatchConsumer",
    "BatchHandler",
    "BrokerUnavailableError",
    "DeadLetter",
    "DeadLetterPublisher",
    "Decoded",
    "Delivery",
    "DeliveryError",
    "EventProducer",
    "MissingTopicError",
    "OutgoingMessage",
    "PartitionSlice",
    "TopicSpec",
    "consumer_config",
    "dead_letter_topic",
    "decode_batch",
    "encode",
    "ensure_topics",
    "header",
    "parse_learning_bytes",
    "parse_progress_bytes",
    "platform_topics",
    "topic_ids",
    "tune_gc",
]
