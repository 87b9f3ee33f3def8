"""Container HEALTHCHECK: GET /healthz of this container's HTTP listener, exit 0 when it is 2xx.

The URL is ``$HEALTHCHECK_URL`` or ``http://127.0.0.1:$LEARNLOOP_API__PORT/healthz``. Standard
library only, so the runtime image needs no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    """Probe the health endpoint once; return the process exit code."""
    port = os.environ.get("LEARNLOOP_API__PORT", "8000")
    url = os.environ.get("HEALTHCHECK_URL", f"http://127.0.0.1:{port}/healthz")
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        print(f"refusing non-local health URL {url}", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 (loopback only)
            return 0 if 200 <= response.status < 300 else 1
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
