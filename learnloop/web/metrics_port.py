"""A consumer's Prometheus ``/metrics`` port, over TLS when ``security.tls_cert_file`` is set.

Other WSGI apps can be mounted on it by path prefix (:attr:`routes` of the returned server),
e.g. the feature consumer's GDPR export of its own state.

prometheus_client's own TLS server wraps its listening socket, so every handshake runs in its
accept loop: one client that connects and stays silent stalls every scrape. Here each
connection gets its own thread first and shakes hands there, under a timeout.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler

from prometheus_client import REGISTRY, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from learnloop.settings import Settings
from learnloop.web.security_tls import server_ssl_context

logger = logging.getLogger(__name__)
HANDSHAKE_TIMEOUT_S = 10.0
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log for scrapes."""


class _MetricsServer(ThreadingWSGIServer):
    """Thread per connection; with ``tls`` the handshake runs in that thread."""

    tls: ssl.SSLContext | None = None
    routes: dict[str, WSGIApp]

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(HANDSHAKE_TIMEOUT_S)
        with self.tls.wrap_socket(request, server_side=True) as secured:
            super().finish_request(secured, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("metrics connection from %s failed", client_address, exc_info=True)


def start_metrics_port(settings: Settings, port: int, host: str | None = None) -> Any:
    """Serve the default registry on ``host`` (default ``api.host``, the pod IP in Kubernetes)
    ``:port`` in a daemon thread; returns the server (``shutdown()``, ``server_close()``)."""
    host = host or settings.api.host
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    server_class = type("MetricsServer", (_MetricsServer,), {"address_family": family})
    server = server_class((host, port), _QuietHandler)
    server.tls = server_ssl_context(settings)
    server.routes = {}
    server.set_app(_dispatch(server.routes, make_wsgi_app(REGISTRY)))
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server


def _dispatch(routes: dict[str, WSGIApp], default: WSGIApp) -> WSGIApp:
    """The app of the longest mounted prefix of the request path, else ``default``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        prefixes = [p for p in routes if path.startswith(p)]
        chosen = routes[max(prefixes, key=len)] if prefixes else default
        return chosen(environ, start_response)

    return app
