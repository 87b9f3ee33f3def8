"""The container image definition: hadolint, structure, and that it ships what the app needs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from testkit.infra import DOCKERFILE, REPO, Tools, run

DIGEST_PIN = re.compile(r"^FROM (\S+):(\S+)@sha256:([0-9a-f]{64})(?: AS (\w+))?$", re.M)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_reports_nothing(tools: Tools) -> None:
    result = run([tools.hadolint, "--failure-threshold", "info", DOCKERFILE])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_every_stage_uses_the_same_digest_pinned_python_base() -> None:
    stages = DIGEST_PIN.findall(DOCKERFILE.read_text())
    froms = [args for word, args in instructions() if word == "FROM"]
    assert len(stages) == len(froms) >= 2, "multi-stage, every FROM pinned by digest"
    assert {(image, tag, digest) for image, tag, digest, _ in stages} == {
        (stages[0][0], stages[0][1], stages[0][2])
    }
    assert stages[0][0] == "python" and stages[0][1].startswith("3.11-slim")
    assert [name for *_, name in stages] == ["build", "runtime"]


def test_runtime_stage_is_non_root_with_healthcheck_and_learnloop_entrypoint() -> None:
    steps = instructions()
    start = next(i for i, (w, a) in enumerate(steps) if w == "FROM" and "runtime" in a)
    runtime = steps[start:]
    words = [w for w, _ in runtime]
    user = next(a for w, a in runtime if w == "USER")
    assert user.split(":")[0] not in {"0", "root"} and int(user.split(":")[0]) >= 10000
    assert words.index("USER") < words.index("ENTRYPOINT"), "USER before the entrypoint"
    assert "HEALTHCHECK" in words
    assert next(a for w, a in runtime if w == "ENTRYPOINT") == '["learnloop"]'
    assert next(a for w, a in runtime if w == "CMD") == '["serve", "gateway"]'
    assert not any(w == "RUN" and "apt-get" in a for w, a in runtime), "no package installs"
    copied_from_build = [a for w, a in runtime if w == "COPY" and a.startswith("--from=build")]
    assert copied_from_build, "runtime takes the venv from the build stage"


def test_torch_cpu_wheel_is_installed_before_the_locked_dependencies() -> None:
    runs = [a for w, a in instructions() if w == "RUN"]
    torch = next(i for i, a in enumerate(runs) if "torch==" in a and "whl/cpu" in a)
    lock = next(i for i, a in enumerate(runs) if "lock" in a and "uv pip install" in a)
    assert torch < lock
    pinned = re.search(r"torch==([\d.]+)", runs[torch])
    assert pinned and f"torch=={pinned.group(1)}" in (REPO / "requirements/lock.txt").read_text()
    assert "grep -v '^torch=='" in runs[lock], "the lock's bare torch pin must not reach uv"


def test_copied_sources_exist_and_pass_the_dockerignore() -> None:
    sources = []
    for word, args in instructions():
        if word == "COPY" and not args.startswith("--from"):
            sources.extend(args.split()[:-1])
    assert sources
    allowed = [
        line[1:].rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]
    for source in sources:
        assert (REPO / source).exists(), source
        assert any(source == a or source.startswith(a + "/") for a in allowed), (
            f"{source} is excluded by .dockerignore"
        )
    ignored_first = (REPO / ".dockerignore").read_text().split("\n!")[0]
    assert ignored_first.strip().endswith("**"), ".dockerignore starts from 'exclude everything'"


def test_healthcheck_script_probes_a_live_server(tmp_path: Path) -> None:
    """The HEALTHCHECK command against a real HTTP server: 0 when healthy, 1 when not."""
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "-d", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        port = re.search(r"port (\d+)", line)
        assert port, line
        (tmp_path / "healthz").write_text("ok")
        script = REPO / "infra" / "docker" / "healthcheck.py"
        env = {"LEARNLOOP_API__PORT": port.group(1), "PATH": "/usr/bin:/bin"}
        assert run([sys.executable, script], env=env).returncode == 0
        (tmp_path / "healthz").unlink()
        assert run([sys.executable, script], env=env).returncode == 1
        remote = {**env, "HEALTHCHECK_URL": "http://203.0.113.9/healthz"}
        assert run([sys.executable, script], env=remote).returncode == 2
    finally:
        server.terminate()
        server.wait(timeout=10)


# Shared libraries of python:3.11-slim-bookworm (Debian's essential set plus CPython's own
# runtime dependencies). Anything else a wheel needs must be bundled in the wheel, or the
# runtime stage would need an apt-get install.
SLIM_BASE_LIBRARIES = {
    "ld-linux-x86-64.so.2",
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libresolv.so.2",
    "libutil.so.1",
    "libgcc_s.so.1",
    "libstdc++.so.6",
    "libz.so.1",
    "libcrypt.so.1",
    "libssl.so.3",
    "libcrypto.so.3",
    "libffi.so.8",
    "libsqlite3.so.0",
    "libbz2.so.1.0",
    "liblzma.so.5",
    "libexpat.so.1",
    "libuuid.so.1",
}
# CUDA libraries needed only by optional GPU extension modules (never loaded on CPU).
GPU_ONLY = re.compile(r"^(libcu\w*|libnv\w*|librmm|librapids_\w*)\.so")


def test_locked_wheels_need_no_system_library_beyond_the_slim_base() -> None:
    """The runtime stage installs no Debian packages; the venv built from the same lock shows
    every native extension finds its libraries in the wheels or in the base image."""
    site = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    shared = [p for p in (site / "site-packages").rglob("*.so*") if p.is_file()]
    assert len(shared) > 100, "expected the project's venv with its native wheels"
    bundled = {p.name for p in shared}
    needed: dict[str, set[str]] = {}
    for start in range(0, len(shared), 200):
        batch = shared[start : start + 200]
        out = subprocess.run(
            ["readelf", "-d", "-W", *map(str, batch)], capture_output=True, text=True, check=False
        ).stdout
        current = ""
        for line in out.splitlines():
            if line.startswith("File: "):
                current = line.removeprefix("File: ")
            elif "(NEEDED)" in line:
                library = line.rsplit("[", 1)[1].rstrip("]")
                needed.setdefault(library, set()).add(current)
    missing = {
        library: sorted(users)[:3]
        for library, users in needed.items()
        if library not in bundled | SLIM_BASE_LIBRARIES and not GPU_ONLY.match(library)
    }
    assert not missing, f"add the Debian package to the runtime stage, or bundle it: {missing}"
