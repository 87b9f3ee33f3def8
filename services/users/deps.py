"""UMS dependencies: token issuer, login throttle, outbox relay, subject handler."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.deps import PlatformDep
from services.common.outbox import OutboxRelay
from services.users.privacy import UsersSubjectHandler
from services.users.service import FailureThrottle, Passwords
from services.users.throttle import RedisFailureThrottle
from services.users.tokens import AccessTokenIssuer

ISSUER = "users.issuer"
THROTTLE = "users.login_throttle"
OUTBOX = "users.outbox"
SUBJECTS = "users.subjects"
PASSWORDS = "users.passwords"


def get_issuer(platform: PlatformDep) -> AccessTokenIssuer:
    """Signer of access tokens."""
    return platform.resource(ISSUER, AccessTokenIssuer)


def get_throttle(platform: PlatformDep) -> FailureThrottle | RedisFailureThrottle:
    """Failed-login throttle (per process, or shared through Redis)."""
    throttle = platform.resources[THROTTLE]
    assert isinstance(throttle, FailureThrottle | RedisFailureThrottle)
    return throttle


def get_outbox(platform: PlatformDep) -> OutboxRelay:
    """Relay of UMS events."""
    return platform.resource(OUTBOX, OutboxRelay)


def get_subjects(platform: PlatformDep) -> UsersSubjectHandler:
    """UMS privacy handler."""
    return platform.resource(SUBJECTS, UsersSubjectHandler)


def get_passwords(platform: PlatformDep) -> Passwords:
    """Password hashing."""
    return platform.resource(PASSWORDS, Passwords)


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
IssuerDep = Annotated[AccessTokenIssuer, Depends(get_issuer)]
ThrottleDep = Annotated[FailureThrottle | RedisFailureThrottle, Depends(get_throttle)]
OutboxDep = Annotated[OutboxRelay, Depends(get_outbox)]
SubjectsDep = Annotated[UsersSubjectHandler, Depends(get_subjects)]
