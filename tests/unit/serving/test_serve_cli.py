from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from learnloop.cli import app
from learnloop.commands.serve import bentoml_argv, bentoml_env
from learnloop.settings import Settings


def test_res_and_lps_get_their_own_bentoml_home(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    res = bentoml_env(settings, "res", {"PATH": "/bin"})
    lps = bentoml_env(settings, "lps", {"PATH": "/bin", "BENTOML_HOME": "/srv/bento"})
    assert res["BENTOML_HOME"] == str(tmp_path.resolve() / "bentoml" / "res")
    assert lps["BENTOML_HOME"] == "/srv/bento/lps"
    assert res["BENTOML_DO_NOT_TRACK"] == "true" and res["PATH"] == "/bin"


def test_bentoml_command_line() -> None:
    argv = bentoml_argv("lps", "0.0.0.0", 8000)
    assert argv[1:5] == ["-m", "bentoml", "serve", "serving.lps.service:LPS"]
    assert argv[argv.index("--port") + 1] == "8000" and argv[argv.index("--host") + 1] == "0.0.0.0"


def test_unknown_service_is_refused() -> None:
    result = CliRunner().invoke(app, ["serve", "nonsense"])
    assert result.exit_code == 2 and "nonsense" in result.output


def test_bentoml_service_config_turns_on_https_with_a_certificate(tmp_path: Path) -> None:
    from serving.bento import service_config

    plain = service_config(Settings(data_dir=tmp_path, serving={"workers": 3}))
    assert "ssl" not in plain and plain["workers"] == 3
    assert plain["logging"] == {"access": {"enabled": False}}
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    tls = Settings(data_dir=tmp_path, security={"tls_cert_file": cert, "tls_key_file": key})
    assert service_config(tls)["ssl"] == {
        "enabled": True, "certfile": str(cert), "keyfile": str(key),
    }  # fmt: skip
    assert tls.res_url.startswith("https://") and tls.lps_url.startswith("https://")
    assert Settings(data_dir=tmp_path).res_url.startswith("http://")
