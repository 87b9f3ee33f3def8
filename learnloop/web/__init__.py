"""HTTP plumbing shared by every service: problem details, request ids, health, metrics,
security headers, rate limits, cacheable reads and the OpenAPI error documentation."""

from learnloop.web.caching import cached_json, etag_for
from learnloop.web.factory import create_service_app
from learnloop.web.health import ReadinessCheck, health_router
from learnloop.web.metrics import MetricsMiddleware, metrics_router
from learnloop.web.middleware import RequestContextMiddleware
from learnloop.web.openapi import document_problems, install_openapi, problem_responses
from learnloop.web.problems import FieldProblem, Problem, ProblemError, install_problem_handlers
from learnloop.web.ratelimit import (
    MemoryRateLimiter,
    RateLimiter,
    RateLimitMiddleware,
    RedisRateLimiter,
)
from learnloop.web.security import SecurityHeadersMiddleware

__all__ = [
    "FieldProblem",
    "MemoryRateLimiter",
    "MetricsMiddleware",
    "Problem",
    "ProblemError",
    "RateLimitMiddleware",
    "RateLimiter",
    "ReadinessCheck",
    "RedisRateLimiter",
    "RequestContextMiddleware",
    "SecurityHeadersMiddleware",
    "cached_json",
    "create_service_app",
    "document_problems",
    "etag_for",
    "health_router",
    "install_openapi",
    "install_problem_handlers",
    "metrics_router",
    "problem_responses",
]
