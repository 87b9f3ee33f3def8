"""TLS for learnloop's listeners when ``security.tls_cert_file``/``tls_key_file`` are set.

One certificate/key pair (PEM) serves every listener: the uvicorn services and gateway
(``learnloop serve``, ``learnloop up``), RES and LPS under BentoML (HTTP) and RES's gRPC server,
and the consumers' Prometheus ports. Clients verify it with ``security.tls_ca_file`` (or the
system trust store). Without the settings every listener stays plain (local default).
"""

from __future__ import annotations

import ssl
from functools import lru_cache
from typing import Any

from learnloop.settings import Settings


def tls_enabled(settings: Settings) -> bool:
    """True when a certificate and key are configured."""
    return settings.security.tls_cert_file is not None


def uvicorn_tls_kwargs(settings: Settings) -> dict[str, Any]:
    """``uvicorn.run`` keyword arguments (TLS 1.2+ only) — empty without a certificate."""
    security = settings.security
    if security.tls_cert_file is None or security.tls_key_file is None:
        return {}
    return {
        "ssl_certfile": str(security.tls_cert_file),
        "ssl_keyfile": str(security.tls_key_file),
        "ssl_version": ssl.PROTOCOL_TLS_SERVER,
    }


def uvicorn_tls_argv(settings: Settings) -> list[str]:
    """The same as ``uvicorn`` command-line options."""
    kwargs = uvicorn_tls_kwargs(settings)
    if not kwargs:
        return []
    return ["--ssl-certfile", kwargs["ssl_certfile"], "--ssl-keyfile", kwargs["ssl_keyfile"]]


def bentoml_ssl_config(settings: Settings) -> dict[str, Any]:
    """The ``ssl`` part of a BentoML service config — empty without a certificate."""
    kwargs = uvicorn_tls_kwargs(settings)
    if not kwargs:
        return {}
    return {"enabled": True, "certfile": kwargs["ssl_certfile"], "keyfile": kwargs["ssl_keyfile"]}


def server_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A server context (TLS 1.2+) of the certificate and key — None without a certificate."""
    security = settings.security
    if security.tls_cert_file is None or security.tls_key_file is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(security.tls_cert_file, security.tls_key_file)
    return context


def client_ssl_context(settings: Settings) -> ssl.SSLContext:
    """A verifying client context trusting ``security.tls_ca_file`` (else the system store)."""
    ca = settings.security.tls_ca_file
    return _verifying_context(str(ca) if ca else None)


def client_verify(settings: Settings) -> ssl.SSLContext | bool:
    """httpx ``verify=`` for calls to learnloop's listeners: like :func:`client_ssl_context`
    but one shared context per CA file (loading a trust store costs milliseconds: not per
    request); httpx's default verification when neither TLS nor a CA is configured."""
    ca = settings.security.tls_ca_file
    if ca is None and not tls_enabled(settings):
        return True
    return _shared_context(str(ca) if ca else None)


def _verifying_context(ca: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


_shared_context = lru_cache(maxsize=8)(_verifying_context)


def grpc_server_credentials(settings: Settings) -> Any | None:
    """gRPC server credentials from the certificate and key (None: serve plaintext)."""
    security = settings.security
    if security.tls_cert_file is None or security.tls_key_file is None:
        return None
    import grpc

    pair = (security.tls_key_file.read_bytes(), security.tls_cert_file.read_bytes())
    return grpc.ssl_server_credentials([pair])


def grpc_channel_credentials(settings: Settings) -> Any | None:
    """gRPC client credentials verifying the server against ``tls_ca_file`` (None: plaintext)."""
    if not tls_enabled(settings):
        return None
    import grpc

    ca = settings.security.tls_ca_file
    return grpc.ssl_channel_credentials(root_certificates=ca.read_bytes() if ca else None)
