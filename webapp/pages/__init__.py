"""The web app's page routers."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """Every page router (mounted under ``/app``)."""
    from webapp.pages import auth, instructor, learner, science, sso

    return [auth.router, sso.router, learner.router, instructor.router, science.router]
