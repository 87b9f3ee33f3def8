"""The learnloop web app: server-rendered, accessible pages for learners, instructors and data
scientists, mounted into the gateway under ``/app`` (see :func:`webapp.mount.mount_webapp`).

Pages call the platform's own HTTP API (through the gateway app, with the user's token from an
httpOnly cookie) and RES/LPS over HTTP; front-end libraries (htmx, KaTeX) are fetched from the
npm registry by ``scripts/web-assets.sh`` into ``webapp/static/vendor``.
"""
