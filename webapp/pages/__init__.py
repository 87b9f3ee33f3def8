"""The web app's page routers."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """Every page router (mounted under ``/app``)."""
    from webapp.pages import auth, instructor, learner, science

    return [auth.router, learner.router, instructor.router, science.router]
