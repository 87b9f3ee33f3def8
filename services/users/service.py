"""UMS domain logic: registration, login, token rotation, profiles, roles, audit."""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.db import utcnow
from services.common.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TooManyRequestsError,
    UnauthenticatedError,
)
from services.common.principal import Principal, Role
from services.users import repository
from services.users.models import RefreshToken, User
from services.users.schemas import TokenPair, UserCreate, UserPublic, UserUpdate
from services.users.tokens import AccessTokenIssuer, hash_refresh_token, new_refresh_token

BAD_CREDENTIALS = "incorrect email or password"


class Passwords:
    """argon2id hashing with the configured cost; unknown users cost as much as known ones."""

    def __init__(self, *, time_cost: int, memory_kib: int):
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._dummy = self.hasher.hash("not-a-real-password-used-for-timing")

    def hash(self, password: str) -> str:
        """The argon2id hash of ``password``."""
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches (always spends one verification)."""
        try:
            return self.hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash used older cost parameters."""
        return self.hasher.check_needs_rehash(password_hash)


class FailureThrottle:
    """At most ``limit`` failures per key in a sliding window of ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float = 900.0):
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return failures

    def check(self, key: str) -> None:
        """Raise 429 while ``key`` has too many recent failures."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(key, now)
            if len(failures) >= self.limit:
                wait = int(self.window_s - (now - failures[0])) + 1
                raise TooManyRequestsError(
                    "too many failed logins; try again later", retry_after=wait
                )

    def fail(self, key: str) -> None:
        """Record a failure."""
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def clear(self, key: str) -> None:
        """Forget failures after a success."""
        with self._lock:
            self._failures.pop(key, None)


def to_public(user: User) -> UserPublic:
    """The API view of a user."""
    return UserPublic(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        locale=user.locale,
        roles=[Role(r) for r in user.roles],
        is_active=user.is_active,
        federated=user.external_issuer is not None,
        created_at=user.created_at,
    )


def register_user(session: Session, *, data: UserCreate, passwords: Passwords) -> User:
    """Create a learner account; 409 when the e-mail is taken."""
    email = data.email.lower()
    if repository.get_user_by_email(session, email=email) is not None:
        raise ConflictError("a user with this email already exists", field="email")
    user = User(
        id=str(uuid.uuid4()),
        email=email,
        full_name=data.full_name,
        locale=data.locale,
        password_hash=passwords.hash(data.password),
        roles=[Role.LEARNER.value],
        is_active=True,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    try:
        with session.begin_nested():
            repository.create_user(session, user=user)
    except IntegrityError:
        raise ConflictError("a user with this email already exists", field="email") from None
    return user


def create_user_with_roles(
    session: Session, *, data: UserCreate, roles: list[Role], passwords: Passwords
) -> User:
    """Create an account with explicit roles (administrative bootstrap, CLI)."""
    user = register_user(session, data=data, passwords=passwords)
    user.roles = sorted({r.value for r in roles})
    return user


def authenticate(session: Session, *, email: str, password: str, passwords: Passwords) -> User:
    """The user whose password matches, else 401 (same answer and cost for unknown e-mails)."""
    user = repository.get_user_by_email(session, email=email)
    if not passwords.verify(user.password_hash if user else None, password) or user is None:
        raise UnauthenticatedError(BAD_CREDENTIALS)
    if not user.is_active:
        raise UnauthenticatedError("account disabled")
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    return user


def issue_tokens(
    session: Session,
    *,
    user: User,
    issuer: AccessTokenIssuer,
    refresh_ttl_s: int,
    family_id: str | None = None,
    parent_id: str | None = None,
) -> TokenPair:
    """A new access token and a refresh token (new family unless rotating one)."""
    family = family_id or str(uuid.uuid4())
    raw = new_refresh_token()
    now = utcnow()
    repository.add_refresh_token(
        session,
        token=RefreshToken(
            id=str(uuid.uuid4()),
            user_id=user.id,
            family_id=family,
            token_hash=hash_refresh_token(raw),
            parent_id=parent_id,
            issued_at=now,
            expires_at=now + timedelta(seconds=refresh_ttl_s),
        ),
    )
    access = issuer.issue(subject=user.id, roles=user.roles, session_id=family)
    return TokenPair(
        access_token=access,
        expires_in=issuer.ttl_s,
        refresh_token=raw,
        refresh_expires_in=refresh_ttl_s,
    )


class RefreshTokenReuseError(UnauthenticatedError):
    """A rotated refresh token was presented again: the whole family was revoked."""


def rotate_refresh_token(
    session: Session, *, raw_token: str, issuer: AccessTokenIssuer, refresh_ttl_s: int
) -> tuple[TokenPair, User]:
    """Exchange a refresh token for a new pair; reuse of a rotated token revokes the family."""
    token = repository.get_refresh_token(session, token_hash=hash_refresh_token(raw_token))
    if token is None:
        raise UnauthenticatedError("invalid refresh token", field="refresh_token")
    if token.revoked_at is not None:
        raise UnauthenticatedError("refresh token revoked", field="refresh_token")
    now = utcnow()
    if token.used_at is not None or not repository.mark_refresh_token_used(
        session, token_id=token.id, at=now
    ):
        repository.revoke_family(session, family_id=token.family_id, reason="reuse_detected")
        session.commit()  # the revocation must survive the error response
        raise RefreshTokenReuseError(
            "refresh token already used; every session of this login was revoked",
            field="refresh_token",
        )
    if token.expires_at <= now:
        raise UnauthenticatedError("refresh token expired", field="refresh_token")
    user = repository.get_user(session, user_id=token.user_id)
    if user is None or not user.is_active:
        raise UnauthenticatedError("account disabled")
    pair = issue_tokens(
        session,
        user=user,
        issuer=issuer,
        refresh_ttl_s=refresh_ttl_s,
        family_id=token.family_id,
        parent_id=token.id,
    )
    return pair, user


def revoke_refresh_token(session: Session, *, raw_token: str) -> None:
    """Log out: revoke the token's whole family (unknown tokens are ignored)."""
    token = repository.get_refresh_token(session, token_hash=hash_refresh_token(raw_token))
    if token is not None:
        repository.revoke_family(session, family_id=token.family_id, reason="logout")


def get_user_or_404(session: Session, *, user_id: str) -> User:
    """A user by id, or 404."""
    user = repository.get_user(session, user_id=user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    return user


def ensure_federated_user(session: Session, *, principal: Principal) -> User:
    """The local record of a federated user, created on first sight (just-in-time)."""
    user = repository.get_user(session, user_id=principal.subject)
    if user is not None:
        return user
    email = principal.claims.get("email")
    name = principal.claims.get("name")
    user = User(
        id=principal.subject,
        email=None,
        full_name=name if isinstance(name, str) else None,
        password_hash=None,
        roles=sorted(r.value for r in principal.roles),
        is_active=True,
        external_issuer=principal.issuer,
        external_subject=principal.external_subject,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    if isinstance(email, str) and repository.get_user_by_email(session, email=email) is None:
        user.email = email.lower()
    repository.create_user(session, user=user)
    return user


def update_user(session: Session, *, user: User, data: UserUpdate, passwords: Passwords) -> User:
    """Apply a profile update; changing the password needs the current one."""
    changes = data.model_dump(exclude_unset=True)
    if "password" in changes and changes["password"] is not None:
        if user.password_hash is None:
            raise InvalidInputError("federated accounts have no password here", field="password")
        if not passwords.verify(user.password_hash, changes.get("current_password") or ""):
            raise InvalidInputError("current password is wrong", field="current_password")
        user.password_hash = passwords.hash(changes["password"])
    for name in ("full_name", "locale"):
        if name in changes:
            setattr(user, name, changes[name])
    user.updated_at = utcnow()
    return user


def export_user(session: Session, *, user_id: str) -> dict[str, object]:
    """Everything UMS holds about a user (profile and login sessions; no secrets)."""
    user = repository.get_user(session, user_id=user_id)
    if user is None:
        return {}
    tokens = repository.list_refresh_tokens(session, user_id=user_id)
    return {
        "profile": to_public(user).model_dump(mode="json"),
        "sessions": [
            {
                "session_id": t.family_id,
                "issued_at": t.issued_at.isoformat(),
                "expires_at": t.expires_at.isoformat(),
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in tokens
        ],
    }
