"""The operator's endpoints: /healthz, /readyz and /metrics (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from imgtree.entrypoints.http.openapi.builders import STRING, json_body, obj
from imgtree.entrypoints.http.openapi.operations import NONE, errors, ok, op

OPERATIONS = "operations"
OPERATIONS_TAG = {
    "name": OPERATIONS,
    "description": "Health probes and Prometheus metrics, for load balancers and monitoring.",
}

_CHECK = {
    "type": "string",
    "description": '"ok", or a short reason the check failed (e.g. "cannot reach the '
    'database (OperationalError)", "timed out after 2s").',
}
_READY = obj(
    {
        "status": {"type": "string", "enum": ["ok", "unavailable"]},
        "checks": {
            "type": "object",
            "description": "One entry per check this deployment runs: `database` (reachable "
            "and migrated to this release; SQL backends), `storage` (a small write and "
            "delete), `processing` (the decode pool accepts jobs).",
            "additionalProperties": _CHECK,
        },
    }
)


def ops_paths() -> dict[str, Any]:
    return {
        "/healthz": {
            "get": op(
                OPERATIONS,
                "getHealth",
                "The process is up and answering (liveness)",
                {"200": ok(None, "Up.", content=json_body(obj({"status": {"const": "ok"}})))},
                security=NONE,
            )
        },
        "/readyz": {
            "get": op(
                OPERATIONS,
                "getReadiness",
                "The instance can serve: database, storage and decode pool (readiness)",
                {
                    "200": ok(None, "Every check passed.", content=json_body(_READY)),
                    "503": {
                        "description": "A check failed; `checks` names it with its reason.",
                        "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                        "content": json_body(_READY),
                    },
                },
                security=NONE,
                description="Unauthenticated and cheap: each check is bounded by a short "
                "timeout, the storage check remembered for 2 s.",
            )
        },
        "/metrics": {
            "get": op(
                OPERATIONS,
                "getMetrics",
                "Prometheus metrics (text exposition format)",
                {
                    "200": ok(
                        None,
                        "Every worker's metrics, summed.",
                        content={"text/plain": {"schema": STRING}},
                    ),
                    **{k: v for k, v in errors(403).items() if k == "403"},
                },
                security=[{}, {"bearerAuth": []}],
                description="Answered to loopback clients (after IMGTREE_TRUSTED_PROXIES); "
                "others need `Authorization: Bearer <IMGTREE_METRICS_TOKEN>` (403 otherwise).",
            )
        },
    }
