"""``learnloop users``: bootstrap accounts and manage the identity issuer's keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from learnloop.console import CliError, console
from learnloop.settings import get_settings

app = typer.Typer(
    help="Users and identity: create accounts, rotate signing keys.", no_args_is_help=True
)
PASSWORD_ENV = "LEARNLOOP_NEW_USER_PASSWORD"  # noqa: S105 - the name of a variable


@app.command("create")
def create(
    email: Annotated[str, typer.Option(help="E-mail (login).")],
    role: Annotated[
        list[str], typer.Option(help="Role(s): learner, instructor, data_scientist, admin.")
    ] = ["learner"],  # noqa: B006 - typer needs a literal default
    full_name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create an account with roles (e.g. the first admin). The password is read from
    LEARNLOOP_NEW_USER_PASSWORD or prompted for; it is never echoed or logged."""
    from pydantic import ValidationError

    from services.common.db import Database
    from services.common.errors import ConflictError
    from services.common.migrate import upgrade_database
    from services.common.principal import Role
    from services.users.schemas import UserCreate
    from services.users.service import Passwords, create_user_with_roles

    unknown = [r for r in role if r not in Role._value2member_map_]
    if unknown:
        raise CliError(f"unknown role(s) {', '.join(unknown)}; allowed: {', '.join(Role)}")
    password = os.environ.get(PASSWORD_ENV) or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )
    try:
        data = UserCreate(email=email, password=password, full_name=full_name)
    except ValidationError as exc:
        raise CliError("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from None
    settings = get_settings()
    upgrade_database(settings.sqlalchemy_url)
    db = Database(settings.sqlalchemy_url)
    passwords = Passwords(
        time_cost=settings.auth.argon2_time_cost, memory_kib=settings.auth.argon2_memory_kib
    )
    try:
        with db.session() as session:
            user = create_user_with_roles(
                session, data=data, roles=[Role(r) for r in role], passwords=passwords
            )
            user_id, roles = user.id, user.roles
    except ConflictError as exc:
        raise CliError(exc.detail) from None
    finally:
        db.dispose()
    console.print(f"created user {user_id} with roles {', '.join(roles)}")


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Start signing tokens with a new key (old keys stay published until retired)."""
    from services.common.keys import KeysNotManagedError
    from services.common.platform import Platform

    platform = Platform.from_settings(get_settings())
    try:
        platform.keys.ensure()
        key = platform.keys.rotate()
    except KeysNotManagedError as exc:
        raise CliError(str(exc)) from None
    finally:
        platform.db.dispose()
    console.print(f"signing with {key.kid}; published keys: {len(platform.keys.jwks()['keys'])}")


@app.command("new-key")
def new_key(
    out: Annotated[Path, typer.Option(help="Folder to write <kid>.pem into (created, mode 0700).")],
) -> None:
    """Write a new signing key file, for keys provided from a secret (auth.manage_keys false).

    Add the file to the secret the identity service mounts; keep the old key there until
    every token it signed has expired (the access token lifetime).
    """
    from services.common.keys import KeyStore

    key = KeyStore(out, rotation_s=0, grace_s=0).rotate()
    console.print(f"wrote {out / (key.kid + '.pem')} (kid {key.kid})")
