"""A real little OIDC provider / LTI 1.3 platform on a loopback port, with its own RSA keys.

It serves ``/.well-known/openid-configuration`` and ``/jwks`` (so learnloop can trust it as an
external issuer or LTI platform), signs whatever tokens a test asks for, runs an OAuth2 token
endpoint that checks learnloop's ``private_key_jwt`` client assertions, and an AGS score
endpoint that records what it receives.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class OidcPlatform:
    """Start with ``with OidcPlatform() as platform:``; ``platform.url`` is its issuer."""

    def __init__(self, *, kid: str = "platform-key-1"):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid
        self.tool_jwks: dict[str, Any] | None = None
        self.tool_client_id: str | None = None
        self.issued_tokens: set[str] = set()
        self.scores: list[dict[str, Any]] = []
        self.token_requests: list[dict[str, str]] = []
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL (also the ``iss`` of its tokens)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> OidcPlatform:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def jwks(self) -> dict[str, Any]:
        """The platform's public keys."""
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign(self, claims: dict[str, Any], *, kid: str | None = None, key: Any = None) -> str:
        """An RS256 token with ``claims`` (iat/exp added unless given)."""
        now = int(time.time())
        payload = {"iat": now, "exp": now + 300, **claims}
        return jwt.encode(
            payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                return None

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                platform.requests.append(f"GET {path}")
                if path == "/.well-known/openid-configuration":
                    self._json(
                        200,
                        {
                            "issuer": platform.url,
                            "jwks_uri": f"{platform.url}/jwks",
                            "token_endpoint": f"{platform.url}/token",
                            "authorization_endpoint": f"{platform.url}/auth",
                            "response_types_supported": ["id_token"],
                            "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                        },
                    )
                elif path == "/jwks":
                    self._json(200, platform.jwks())
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                platform.requests.append(f"POST {path}")
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if path == "/token":
                    self._token(raw)
                elif path.endswith("/scores"):
                    self._score(path, raw)
                else:
                    self._json(404, {"error": "not found"})

            def _token(self, raw: bytes) -> None:
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                platform.token_requests.append(form)
                if form.get("grant_type") != "client_credentials" or platform.tool_jwks is None:
                    self._json(400, {"error": "unsupported_grant_type"})
                    return
                try:
                    header = jwt.get_unverified_header(form["client_assertion"])
                    keys = {k["kid"]: k for k in platform.tool_jwks["keys"]}
                    key = RSAAlgorithm.from_jwk(json.dumps(keys[header["kid"]]))
                    claims = jwt.decode(
                        form["client_assertion"],
                        key,  # type: ignore[arg-type]
                        algorithms=["RS256"],
                        audience=f"{platform.url}/token",
                        issuer=platform.tool_client_id,
                    )
                    assert claims["sub"] == platform.tool_client_id
                except Exception as exc:
                    self._json(401, {"error": "invalid_client", "error_description": str(exc)})
                    return
                token = uuid.uuid4().hex
                platform.issued_tokens.add(token)
                self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

            def _score(self, path: str, raw: bytes) -> None:
                auth = self.headers.get("Authorization", "")
                if auth.removeprefix("Bearer ") not in platform.issued_tokens:
                    self._json(401, {"error": "invalid_token"})
                    return
                if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                    self._json(415, {"error": "wrong content type"})
                    return
                platform.scores.append({"path": path, **json.loads(raw)})
                self._json(200, {})

        return Handler
