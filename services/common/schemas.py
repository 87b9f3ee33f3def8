"""Response bodies shared by several services."""

from __future__ import annotations

from pydantic import BaseModel


class Jwk(BaseModel):
    """A public RSA signing key."""

    kty: str
    kid: str
    use: str
    alg: str
    n: str
    e: str


class Jwks(BaseModel):
    """A JSON Web Key Set."""

    keys: list[Jwk]
