"""Who a request comes from, for rate limits: client IP (proxy-aware) and authenticated user."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

from starlette.types import Scope

from services.common.deps import PRINCIPAL_STATE_KEY
from services.common.principal import Principal


def client_ip_key(trusted_proxies: Sequence[str]) -> Callable[[Scope], str | None]:
    """Key function: the peer address, or the last untrusted X-Forwarded-For hop when the peer
    is a trusted proxy (so clients cannot spoof their address past a proxy)."""
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    def key(scope: Scope) -> str | None:
        client = scope.get("client")
        peer = client[0] if client else "unknown"
        if networks and trusted(peer):
            for name, value in scope.get("headers", []):
                if name == b"x-forwarded-for":
                    hops = [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
                    for hop in reversed(hops):
                        if not trusted(hop):
                            return f"ip:{hop}"
        return f"ip:{peer}"

    return key


def user_key(scope: Scope) -> str | None:
    """Key function: the authenticated subject (None for anonymous requests)."""
    principal = scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    return f"user:{principal.subject}" if isinstance(principal, Principal) else None
