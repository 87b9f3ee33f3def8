"""``learnloop catalog import`` (the whole shipped pack, idempotent) and ``learnloop users``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from learnloop.cli import main
from learnloop.settings import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(
    tmp_path: Path,
    dataset_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[object]:
    """Run ``learnloop ARGS`` in this process on a fresh data dir: (exit code, output)."""
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEARNLOOP_DATASET_DIR", str(dataset_dir))
    monkeypatch.setenv("LEARNLOOP_LOG_JSON", "false")

    def run(*args: str) -> tuple[int, str]:
        get_settings.cache_clear()
        monkeypatch.setattr("sys.argv", ["learnloop", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, " ".join((captured.out + captured.err).split())

    yield run
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def database_url() -> str:
    """Not used: the CLI runs on its own SQLite file (overrides the parametrised fixture)."""
    return ""


def test_catalog_import_of_the_whole_pack_is_idempotent(cli: object, tmp_path: Path) -> None:
    started = time.perf_counter()
    code, output = cli("catalog", "import")  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    assert code == 0, output
    assert "imported 18 courses, 626 lessons, 12814 items, 1232 skills" in output
    engine = create_engine(f"sqlite:///{tmp_path / 'learnloop.db'}")
    with engine.connect() as connection:
        items = connection.execute(text("SELECT count(*) FROM ccs_items")).scalar()
        tagged = connection.execute(
            text("SELECT count(DISTINCT item_id) FROM ccs_item_skills")
        ).scalar()
        credited = connection.execute(
            text("SELECT count(*) FROM ccs_items WHERE attribution LIKE '%CC BY 4.0%'")
        ).scalar()
    engine.dispose()
    assert items == 12814 and credited == 12814 and tagged and tagged > 12000
    code, output = cli("catalog", "import")  # type: ignore[operator]
    assert code == 0 and "already imported" in output
    code, output = cli("catalog", "import", str(tmp_path / "nope"))  # type: ignore[operator]
    assert code == 2 and "does not exist" in output
    print(f"full content-pack import through the CLI: {elapsed:.1f} s")


def test_users_create_admin_and_rotate_keys(cli: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLOOP_NEW_USER_PASSWORD", "a long admin password")
    code, output = cli(
        "users", "create", "--email", "root@example.com", "--role", "admin", "--role", "instructor"
    )  # type: ignore[operator]
    assert code == 0, output
    assert "with roles admin, instructor" in output and "a long admin password" not in output
    code, output = cli("users", "create", "--email", "root@example.com")  # type: ignore[operator]
    assert code == 2 and "already exists" in output
    code, output = cli("users", "create", "--email", "x@example.com", "--role", "root")  # type: ignore[operator]
    assert code == 2 and "unknown role" in output
    code, output = cli("users", "rotate-keys")  # type: ignore[operator]
    assert code == 0 and "published keys: 2" in output


def test_users_new_key_feeds_provided_keys_which_rotate_keys_leaves_alone(
    cli: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key written by `users new-key` into the folder a secret would mount signs; with
    auth.manage_keys false `users rotate-keys` is one clear line, and nothing is written."""
    identity = tmp_path / "provided" / "identity"
    code, output = cli("users", "new-key", "--out", str(identity))  # type: ignore[operator]
    (written,) = identity.glob("*.pem")
    assert code == 0 and written.stem in output
    monkeypatch.setenv("LEARNLOOP_AUTH__KEY_DIR", str(tmp_path / "provided"))
    monkeypatch.setenv("LEARNLOOP_AUTH__MANAGE_KEYS", "false")
    code, output = cli("users", "rotate-keys")  # type: ignore[operator]
    assert code == 2 and "auth.manage_keys is false" in output, output
    assert "Traceback" not in output and list(identity.glob("*.pem")) == [written]
