"""Signing keys: rotation keeps old keys published until retired, files are private."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from services.common.auth import TokenVerifier
from services.common.keys import KeysNotManagedError, KeyStore
from services.users.tokens import AccessTokenIssuer


def test_keys_are_created_once_and_private(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", rotation_s=3600, grace_s=60)
    first = store.ensure()
    again = KeyStore(tmp_path / "keys", rotation_s=3600, grace_s=60).ensure()
    assert first.kid == again.kid
    pem = tmp_path / "keys" / f"{first.kid}.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_rotation_signs_with_the_new_key_and_old_tokens_stay_valid(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", rotation_s=3600, grace_s=60)
    store.ensure()
    issuer = AccessTokenIssuer(keys=store, issuer="https://i", audience="a", ttl_s=300)
    verifier = TokenVerifier(issuer="https://i", audience="a", keys=store)
    old_token = issuer.issue(subject="u", roles=["learner"])
    old_kid = store.active().kid
    time.sleep(1.01)  # kids carry the creation second
    new = store.rotate()
    assert store.active().kid == new.kid != old_kid
    assert [k["kid"] for k in store.jwks()["keys"]] == [new.kid, old_kid]
    assert verifier.verify(old_token).subject == "u"
    assert verifier.verify(issuer.issue(subject="v", roles=[])).subject == "v"


def test_retired_keys_are_pruned(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", rotation_s=10, grace_s=5)
    old = store.ensure()
    path = tmp_path / "keys" / f"{old.kid}.pem"
    past = time.time() - 100
    os.utime(path, (past, past))
    fresh = KeyStore(tmp_path / "keys", rotation_s=10, grace_s=5).ensure()  # rotates: too old
    assert fresh.kid != old.kid
    assert not path.exists()


def test_a_second_process_sees_a_rotated_key(tmp_path: Path) -> None:
    writer = KeyStore(tmp_path / "keys", rotation_s=3600, grace_s=60)
    reader = KeyStore(tmp_path / "keys", rotation_s=3600, grace_s=60)
    writer.ensure()
    reader.ensure()
    time.sleep(1.01)
    new = writer.rotate()
    assert reader.get(new.kid) is not None


@pytest.mark.parametrize("kid", ["../../etc/passwd", "a/b", "", "x" * 200])
def test_hostile_kids_do_not_touch_the_filesystem(tmp_path: Path, kid: str) -> None:
    store = KeyStore(tmp_path / "keys", rotation_s=3600, grace_s=60)
    store.ensure()
    assert store.get(kid) is None


def _provided_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str]:
    """Two keys written as an operator would (``learnloop users new-key``), an hour apart."""
    folder = tmp_path / "secret"
    writer = KeyStore(folder, rotation_s=0, grace_s=0)
    monkeypatch.setattr("services.common.keys.time.time", lambda: 1_700_000_000.0)
    older = writer.rotate().kid
    monkeypatch.setattr("services.common.keys.time.time", lambda: 1_700_003_600.0)
    newer = writer.rotate().kid
    monkeypatch.undo()
    # a mounted Secret's files carry the mount time, in no useful order
    os.utime(folder / f"{newer}.pem", (1, 1))
    os.utime(folder / f"{older}.pem", (2, 2))
    return folder, older, newer


def test_provided_keys_are_only_read_and_the_newest_kid_signs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, older, newer = _provided_folder(tmp_path, monkeypatch)
    files = sorted(folder.iterdir())
    store = KeyStore(folder, rotation_s=1, grace_s=0, managed=False)
    assert store.ensure().kid == newer  # by the kid's time, and no rotation although "expired"
    assert sorted(folder.iterdir()) == files  # nothing created or pruned
    assert [k["kid"] for k in store.jwks()["keys"]] == [newer, older]
    with pytest.raises(KeysNotManagedError, match=r"auth\.manage_keys is false"):
        store.rotate()
    assert sorted(folder.iterdir()) == files
    issuer = AccessTokenIssuer(keys=store, issuer="https://i", audience="a", ttl_s=300)
    token = issuer.issue(subject="u", roles=["learner"])
    verifier = TokenVerifier(issuer="https://i", audience="a", keys=store)
    assert verifier.verify(token).subject == "u"


def test_a_start_without_provided_keys_fails_naming_the_folder(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "empty", rotation_s=3600, grace_s=60, managed=False)
    with pytest.raises(KeysNotManagedError, match=r"no signing key in .*empty.*new-key"):
        store.ensure()
    assert not (tmp_path / "empty").exists()
