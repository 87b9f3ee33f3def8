"""TLS on every listener when a certificate is configured: a CA and a server certificate are
made here with ``cryptography``; clients verify against that CA, a foreign CA and plaintext fail.
Covers ``learnloop serve`` (uvicorn services and gateway), the ``learnloop up`` gateway argv,
RES's gRPC server with LPS's client credentials, RES and LPS as real ``bentoml serve`` processes
(with the launcher's readiness wait, the gateway's RES client and the ``learnloop simulate``
traffic driver) and a consumer's Prometheus port."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import re
import shutil
import socket
import ssl
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from testkit.serving_env import serving_env

from learnloop.commands.ingest import serve_metrics
from learnloop.commands.serve import serving_process, wait_ready
from learnloop.localstack import ManagedProcess, free_port
from learnloop.settings import Settings
from learnloop.web.security_tls import (
    client_ssl_context,
    client_verify,
    grpc_channel_credentials,
    grpc_server_credentials,
    uvicorn_tls_argv,
)
from services.gateway.recommendations import RecommendationsRequest, ResProxy
from serving.res.grpc_server import start_grpc_server
from serving.traffic import TrafficConfig, TrafficDriver

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path
    rogue_ca: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


_CA_USAGE = x509.KeyUsage(
    digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
    key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
    decipher_only=False,
)  # fmt: skip


def _ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _ca("learnloop test CA")
    _rogue_key, rogue_cert = _ca("someone else's CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("learnloop.local"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Pki(
        ca=folder / "ca.pem", cert=folder / "server.pem", key=folder / "server.key",
        rogue_ca=folder / "rogue.pem",
    )  # fmt: skip
    paths.ca.write_bytes(_pem(ca_cert))
    paths.rogue_ca.write_bytes(_pem(rogue_cert))
    paths.cert.write_bytes(_pem(cert))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths.key.chmod(0o600)
    return paths


def _settings(pki: Pki, tmp_path: Path, ca: Path | None = None) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path,
        security={"tls_cert_file": pki.cert, "tls_key_file": pki.key, "tls_ca_file": ca or pki.ca},
    )


def test_settings_and_launcher_switch_to_https(pki: Pki, tmp_path: Path) -> None:
    settings = _settings(pki, tmp_path)
    assert settings.api_base_url.startswith("https://")
    assert uvicorn_tls_argv(settings) == [
        "--ssl-certfile", str(pki.cert), "--ssl-keyfile", str(pki.key),
    ]  # fmt: skip
    assert uvicorn_tls_argv(Settings(env="test", data_dir=tmp_path)) == []
    with pytest.raises(ValueError, match="go together"):
        Settings(env="test", data_dir=tmp_path, security={"tls_cert_file": pki.cert})


def test_learnloop_serve_listens_with_tls_only(
    pki: Pki, tmp_path: Path, broker: ManagedProcess
) -> None:
    port = free_port()
    env = {
        "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{broker.port}",
        "LEARNLOOP_ENV": "test",
        "LEARNLOOP_DATA_DIR": str(tmp_path),
        "LEARNLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'users.db'}",
        "LEARNLOOP_AUTH__ARGON2_TIME_COST": "1",
        "LEARNLOOP_AUTH__ARGON2_MEMORY_KIB": "1024",
        "LEARNLOOP_SECURITY__TLS_CERT_FILE": str(pki.cert),
        "LEARNLOOP_SECURITY__TLS_KEY_FILE": str(pki.key),
    }
    argv = [sys.executable, "-m", "learnloop.cli", "serve", "users", "--port", str(port)]
    process = ManagedProcess(
        "users-tls", argv, port=port, log_path=tmp_path / "users.log", env=env,
        startup_timeout=120,
    )  # fmt: skip
    with process:
        url = f"https://127.0.0.1:{port}"
        trusted = client_ssl_context(_settings(pki, tmp_path))
        with httpx.Client(verify=trusted, timeout=10) as client:
            answer = client.get(f"{url}/healthz")
            assert answer.status_code == 200
            assert answer.headers["strict-transport-security"].startswith("max-age=")
            version = answer.extensions["network_stream"].get_extra_info("ssl_object").version()
            assert version in ("TLSv1.2", "TLSv1.3")
            oidc = client.get(f"{url}/.well-known/openid-configuration").json()
            assert oidc["jwks_uri"].startswith("https://")
        rogue = client_ssl_context(_settings(pki, tmp_path, ca=pki.rogue_ca))
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{url}/healthz", verify=rogue, timeout=10)
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)  # no plaintext
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(pki.ca)
        old.maximum_version = ssl.TLSVersion.TLSv1_1
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/healthz", verify=old, timeout=10)  # no TLS 1.0/1.1


async def _ready(address: str, credentials: Any | None) -> bool:
    channel = (
        grpc.aio.insecure_channel(address)
        if credentials is None
        else grpc.aio.secure_channel(address, credentials)
    )
    try:
        await asyncio.wait_for(channel.channel_ready(), timeout=3)
        return True
    except TimeoutError:
        return False
    finally:
        await channel.close()


def test_grpc_server_uses_tls_and_clients_verify_it(pki: Pki, tmp_path: Path) -> None:
    settings = _settings(pki, tmp_path)
    address = f"127.0.0.1:{free_port()}"

    async def scenario() -> tuple[bool, bool, bool]:
        runtime: Any = object()  # no call reaches the servicer: only handshakes are tested
        server = await start_grpc_server(runtime, address, grpc_server_credentials(settings))
        try:
            return (
                await _ready(address, grpc_channel_credentials(settings)),
                await _ready(
                    address, grpc_channel_credentials(_settings(pki, tmp_path, pki.rogue_ca))
                ),
                await _ready(address, None),
            )
        finally:
            await server.stop(0)

    verified, rogue, plaintext = asyncio.run(scenario())
    assert verified and not rogue and not plaintext


def _tls11_refusal(port: int, ca: Path) -> str:
    """Handshake offering only TLS 1.1 (the client's security level lowered so that it can
    offer it at all): the error text of the failed handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        pytest.raises(ssl.SSLError) as refused,
    ):
        context.wrap_socket(raw, server_hostname="127.0.0.1")
    return str(refused.value)


def _assert_tls_only(url: str, port: int, pki: Pki, settings: Settings) -> httpx.Response:
    """``url`` answers over TLS 1.2+ verified against the test CA; a foreign CA, plaintext
    and TLS 1.1 are refused. Returns the verified answer."""
    with httpx.stream("GET", url, verify=client_verify(settings), timeout=10) as answer:
        version = answer.extensions["network_stream"].get_extra_info("ssl_object").version()
        answer.read()
    assert version in ("TLSv1.2", "TLSv1.3")
    rogue = client_ssl_context(_settings(pki, settings.data_dir, ca=pki.rogue_ca))
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url, verify=rogue, timeout=10)
    with pytest.raises(httpx.HTTPError):
        httpx.get(url.replace("https://", "http://"), timeout=10)
    # the server refuses: a protocol-version alert (threaded servers) or a close without one
    # (asyncio's SSL transport); never the client's own "no protocols available"
    assert re.search("TLSV1_ALERT_PROTOCOL_VERSION|UNEXPECTED_EOF", _tls11_refusal(port, pki.ca))
    return answer


@pytest.fixture(scope="module")
def tls_serving(
    pki: Pki,
    dataset_dir: Path,
    mlflow_db_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Settings]:
    """RES and LPS as ``bentoml serve`` processes with the test certificate (empty registry:
    RES serves its default models), awaited by the launcher's readiness check over https."""
    workdir = tmp_path_factory.mktemp("tls-serving")
    shutil.copy(mlflow_db_template, workdir / "mlflow.db")
    ports = {name: free_port() for name in ("res", "lps", "grpc")}
    env = {
        **serving_env(workdir, dataset_dir, ports),
        "LEARNLOOP_SERVING__REPLAN_CONSUMER": "false",
        "LEARNLOOP_SECURITY__TLS_CERT_FILE": str(pki.cert),
        "LEARNLOOP_SECURITY__TLS_KEY_FILE": str(pki.key),
        "LEARNLOOP_SECURITY__TLS_CA_FILE": str(pki.ca),
    }
    settings = Settings(
        data_dir=workdir / "var",
        dataset_dir=dataset_dir,
        serving={"res_port": ports["res"], "lps_port": ports["lps"], "grpc_port": ports["grpc"]},
        security={"tls_cert_file": pki.cert, "tls_key_file": pki.key, "tls_ca_file": pki.ca},
    )
    processes = [
        serving_process(name, settings, port=ports[name], log_path=workdir / f"{name}.log", env=env)
        for name in ("res", "lps")
    ]
    try:
        with ThreadPoolExecutor(2) as pool:  # start() waits for the port: start both at once
            list(pool.map(ManagedProcess.start, processes))
        for process, url in zip(processes, (settings.res_url, settings.lps_url), strict=True):
            wait_ready(process, url, verify=client_verify(settings))
        yield settings
    finally:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(ManagedProcess.stop, processes))


@pytest.mark.slow
def test_res_and_lps_serve_https_only(tls_serving: Settings, pki: Pki) -> None:
    settings = tls_serving
    serving = settings.serving
    for url, port in ((settings.res_url, serving.res_port), (settings.lps_url, serving.lps_port)):
        assert url.startswith("https://")
        assert _assert_tls_only(f"{url}/readyz", port, pki, settings).status_code == 200


@pytest.mark.slow
def test_gateway_and_traffic_driver_verify_res_and_lps(
    tls_serving: Settings, pki: Pki, dataset_dir: Path
) -> None:
    settings = tls_serving
    body = RecommendationsRequest(learner_id="tls-learner", k=3)
    answer = asyncio.run(ResProxy.from_settings(settings).ask(body))
    assert answer is not None and answer.source == "res" and answer.items
    rogue = settings.model_copy(
        update={"security": settings.security.model_copy(update={"tls_ca_file": pki.rogue_ca})}
    )
    assert asyncio.run(ResProxy.from_settings(rogue).ask(body)) is None  # degraded, not trusted

    # no gateway here: events go to LPS, whose 404 shows that call was verified and answered
    config = TrafficConfig(
        api_url=settings.lps_url, res_url=settings.res_url, lps_url=settings.lps_url,
        course_id="openstax-college-algebra", learners=3, rate=10, duration_s=1.0,
        verify=client_verify(settings),
    )  # fmt: skip
    stats = asyncio.run(TrafficDriver(config, dataset_dir / "content").run())
    assert stats.res_errors == 0 and stats.steps > 0
    assert stats.paths == 3 and stats.path_errors == 0
    assert stats.events_rejected == stats.steps and stats.events_accepted == 0


def test_consumer_metrics_port_serves_tls_only(pki: Pki, tmp_path: Path) -> None:
    settings = _settings(pki, tmp_path)
    port = free_port()
    server = serve_metrics(settings, port)
    try:
        url = f"{settings.url_scheme}://127.0.0.1:{port}/metrics"
        answer = _assert_tls_only(url, port, pki, settings)
        assert answer.status_code == 200 and "python_info" in answer.text
        with socket.create_connection(("127.0.0.1", port)):  # connects, never says hello
            scrape = httpx.get(url, verify=client_verify(settings), timeout=5)
            assert scrape.status_code == 200  # handshakes run per connection: no stall
    finally:
        server.shutdown()
        server.server_close()
