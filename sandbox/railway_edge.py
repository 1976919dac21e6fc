"""The Railway sandbox's edge: generated service domains (`*.up.railway.app`) answering HTTP.

A client reaches a service by sending its request to the edge server with the service domain in
the Host header (or by using the edge as an HTTP proxy for `http://<domain>/...`). The answers
follow Railway's edge: "Application not found" (404) for an unknown domain and for a service with
nothing running yet, "Application failed to respond" (502) when its deployment crashed, and
otherwise the service itself: its healthcheck path answers the health status the test set
(200 by default), every other path a small JSON document naming the deployment that answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.server import Request, RequestInfo, Response, json_response

__all__ = [
    "DEPLOYMENT_HEADER",
    "EDGE_HEADERS",
    "RailwayEdge",
    "Upstream",
    "edge_error",
    "host_of",
]

# Every edge answer says it came from the sandbox edge (a client can tell it from its own app).
EDGE_HEADERS = {"x-railway-edge": "sandbox"}
DEPLOYMENT_HEADER = "x-stagefleet-deployment-id"
_ERROR_MESSAGES = {
    404: "Application not found",
    405: "Method not allowed",
    502: "Application failed to respond",
}


@dataclass(frozen=True)
class Upstream:
    """The deployment a service domain reaches at the moment of a request."""

    service_name: str
    deployment_id: str
    crashed: bool
    # From the deployment's settings snapshot: a later settings change needs a redeploy.
    healthcheck_path: str | None
    health_status: int
    commit_hash: str | None


# Resolves a request's host (no port) to its upstream; None: nothing answers for that host.
Router = Callable[[str], Upstream | None]


def edge_error(status: int, message: str | None = None) -> dict[str, Any]:
    """The JSON body of an answer the edge makes itself (Railway's shape)."""
    return {"status": "error", "code": status, "message": message or _ERROR_MESSAGES.get(status, "Error")}


def host_of(request: Request) -> str:
    """The Host header without its port, lower-cased."""
    host = request.headers.get("host", "").strip().lower()
    name, _, port = host.rpartition(":")
    return name if name and port.isdigit() else host


def _normalised_path(path: str | None) -> str | None:
    if not path:
        return None
    return path if path.startswith("/") else f"/{path}"


class RailwayEdge:
    """The edge as a sandbox.server Application; `route` reads (and may wake) the Railway state."""

    def __init__(self, route: Router) -> None:
        self._route = route

    def describe(self, request: Request) -> RequestInfo:
        # Faults are matched on the host: a test can make one service's domain misbehave.
        return RequestInfo(key=host_of(request))

    def __call__(self, request: Request) -> Response:
        upstream = self._route(host_of(request))
        if upstream is None:
            return json_response(404, edge_error(404))
        if upstream.crashed:
            return json_response(502, edge_error(502))
        if request.method not in ("GET", "HEAD"):
            return json_response(405, edge_error(405))
        headers = {DEPLOYMENT_HEADER: upstream.deployment_id}
        if request.path == _normalised_path(upstream.healthcheck_path):
            status = upstream.health_status
            body = {
                "status": "ok" if status < 400 else "unhealthy",
                "deployment": upstream.deployment_id,
                "commit": upstream.commit_hash,
            }
            return json_response(status, body, headers)
        return json_response(200, {"service": upstream.service_name, "deployment": upstream.deployment_id}, headers)
