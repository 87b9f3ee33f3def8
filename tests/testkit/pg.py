"""A fresh database on the session's PostgreSQL server."""

from __future__ import annotations

import time
import uuid

import psycopg


def create_database(port: int, prefix: str = "t", *, timeout_s: float = 30.0) -> str:
    """Create a uniquely named database and return its SQLAlchemy URL.

    Retries while the server still refuses connections ("the database system is starting
    up"): its port opens before it accepts sessions.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(
                host="127.0.0.1",
                port=port,
                user="learnloop",
                dbname="postgres",
                autocommit=True,
                connect_timeout=5,
            ) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            return f"postgresql+psycopg://learnloop@127.0.0.1:{port}/{name}"
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
