"""UMS request and response bodies (secrets such as password hashes never appear in XPublic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.common.principal import Role
from services.common.schemas import Jwk, Jwks

PASSWORD_MIN, PASSWORD_MAX = 10, 128
__all__ = ["Jwk", "Jwks"]  # re-exported for UMS routes


class UserBase(BaseModel):
    """Fields a user may see and set about themselves."""

    full_name: str | None = Field(default=None, max_length=255)
    locale: str | None = Field(
        default=None, max_length=16, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$"
    )


class UserCreate(UserBase):
    """Self-registration (always with the learner role)."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class UserUpdate(UserBase):
    """Profile changes; a password change needs the current password."""

    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(default=None, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    current_password: str | None = Field(default=None, max_length=PASSWORD_MAX)


class UserPublic(UserBase):
    """A user as returned by the API."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str | None
    roles: list[Role]
    is_active: bool
    federated: bool
    created_at: datetime


class UsersPublic(BaseModel):
    """A page of users."""

    data: list[UserPublic]
    count: int


class RolesUpdate(BaseModel):
    """Replace a user's roles."""

    model_config = ConfigDict(extra="forbid")

    roles: list[Role] = Field(min_length=1, max_length=4)


class LoginRequest(BaseModel):
    """Password login."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class RefreshRequest(BaseModel):
    """A refresh token to rotate (or revoke, on logout)."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=16, max_length=256)


class TokenPair(BaseModel):
    """An access token (RS256 JWT) and its rotating refresh token."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth token type
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class OpenIDConfiguration(BaseModel):
    """The OIDC discovery document of learnloop's issuer."""

    issuer: str
    jwks_uri: str
    token_endpoint: str
    userinfo_endpoint: str
    response_types_supported: list[str]
    subject_types_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    grant_types_supported: list[str]
    claims_supported: list[str]


class UserInfo(BaseModel):
    """OIDC userinfo of the caller."""

    sub: str
    email: str | None = None
    name: str | None = None
    roles: list[Role]


class StoreStatus(BaseModel):
    """One store's handling of a privacy request."""

    status: Literal["pending", "done", "failed", "not_supported"]
    counts: dict[str, int] = Field(default_factory=dict)
    detail: str | None = None
    completed_at: datetime | None = None


class PrivacyRequestPublic(BaseModel):
    """An erasure request and where each store stands."""

    request_id: str
    subject: str = Field(description="Pseudonym of the erased subject.")
    requested_at: datetime
    completed_at: datetime | None
    stores: dict[str, StoreStatus]


class AuditEntryPublic(BaseModel):
    """One audit log entry (people as pseudonyms)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    action: str
    actor: str | None
    subject: str | None
    request_id: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    """A page of audit entries, newest first."""

    data: list[AuditEntryPublic]
    count: int


class SubjectExport(BaseModel):
    """Everything learnloop holds about one subject, per store."""

    subject_id: str
    generated_at: datetime
    stores: dict[str, dict[str, Any]]
    missing: dict[str, str] = Field(
        default_factory=dict, description="Stores that could not be read, with the reason."
    )
