"""HTTP plumbing shared by every service: problem details, request ids, health, metrics."""

from learnloop.web.factory import create_service_app
from learnloop.web.health import ReadinessCheck, health_router
from learnloop.web.metrics import MetricsMiddleware, metrics_router
from learnloop.web.middleware import RequestContextMiddleware
from learnloop.web.problems import Problem, ProblemError, install_problem_handlers

__all__ = [
    "MetricsMiddleware",
    "Problem",
    "ProblemError",
    "ReadinessCheck",
    "RequestContextMiddleware",
    "create_service_app",
    "health_router",
    "install_problem_handlers",
    "metrics_router",
]
