"""Turning plain functions into Stripe API handlers: params, idempotency, expand, errors."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Mapping

from aiohttp import web

from .core import Sandbox
from .events import REQUEST
from .listing import expand_fields
from .store import public
from .wire import Params, StripeError, json_response, read_params

CORE: web.AppKey[Sandbox] = web.AppKey("sandbox_core", Sandbox)
REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id", str)
API_KEY: web.RequestKey[str] = web.RequestKey("api_key", str)

IDEMPOTENCY_TTL = 24 * 3600

# fn(core, params, path_args) -> a stored object or a list object
ApiFn = Callable[[Sandbox, Params, Mapping[str, str]], dict[str, Any]]


def _fingerprint(request: web.Request, params: dict[str, Any]) -> str:
    raw = json.dumps([request.method, request.path, params], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def api(fn: ApiFn) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        core = request.app[CORE]
        core.refresh()
        params = await read_params(request)
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if key:
            saved = core.store.idempotency.get(key)
            if saved is not None and saved.get("at", 0) < core.store.now() - IDEMPOTENCY_TTL:
                saved = None  # Stripe forgets keys after 24 hours
            if saved is not None:
                if saved["fingerprint"] != _fingerprint(request, params):
                    return StripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    ).response()
                return json_response(saved["body"], saved["status"], {"Idempotent-Replayed": "true",
                                                                       "Original-Request": saved["request_id"]})
        token = REQUEST.set((request.get(REQUEST_ID), key))
        try:
            p = Params(params)
            result = fn(core, p, request.match_info)
            if result.get("object") != "list":
                result = expand_fields(core.store, public(result), p.expand())
            status, body = 200, result
        except StripeError as exc:
            status, body = exc.status, exc.body()
        finally:
            REQUEST.reset(token)
        # Stripe saves the outcome once an endpoint has started executing; we save successes and declines.
        if key and status in (200, 402):
            core.store.idempotency[key] = {"at": core.store.now(), "fingerprint": _fingerprint(request, params),
                                           "status": status,
                                           "body": body, "request_id": request.get(REQUEST_ID)}
        return json_response(body, status)

    return handler
