"""Start and stop the real local servers learnloop runs on (broker, S3, PostgreSQL, Redis).

Used by ``learnloop up`` and by the test harness alike, so tests run against exactly what a
developer runs.
"""

from learnloop.localstack.process import ManagedProcess, free_port, wait_for_port
from learnloop.localstack.servers import (
    start_broker,
    start_postgres,
    start_redis,
    start_s3,
    tansu_binary,
)

__all__ = [
    "ManagedProcess",
    "free_port",
    "start_broker",
    "start_postgres",
    "start_redis",
    "start_s3",
    "tansu_binary",
    "wait_for_port",
]
