"""/v1 events and webhook endpoints."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from . import objects
from .crud import Args, get_or_404, list_of
from .core import Sandbox
from .events import EVENT_RETENTION_SECONDS, delivery_success
from .handlers import api
from .listing import paginate
from .store import public
from .wire import Params, invalid, merge_metadata, missing



def _type_matcher(pattern: str) -> Any:
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return lambda t: t.startswith(prefix)
    return lambda t: t == pattern


def list_events(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("limit", "starting_after", "ending_before", "created", "type", "types", "delivery_success")
    oldest = core.store.now() - EVENT_RETENTION_SECONDS
    items = [e for e in core.store.all("event") if e["created"] >= oldest]
    kind, kinds = p.str("type"), [str(t) for t in p.list("types")]
    if kind and kinds:
        raise invalid("You may only specify one of these parameters: type, types.", param="types")
    if len(kinds) > 20:
        raise invalid("You may pass at most 20 types.", param="types")
    if kind or kinds:
        matchers = [_type_matcher(t) for t in ([kind] if kind else kinds)]
        items = [e for e in items if any(m(e["type"]) for m in matchers)]
    wanted = p.bool("delivery_success")
    if wanted is not None:
        items = [e for e in items if delivery_success(e) == wanted]
    return paginate(items, p, "/v1/events", core.store, "event")


def retrieve_event(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    ev = core.store.get("event", a["id"])
    if ev is None or ev["created"] < core.store.now() - EVENT_RETENTION_SECONDS:
        raise missing("event", a["id"])
    return ev


def _enabled_events(p: Params) -> list[str]:
    events = [str(e) for e in p.list("enabled_events")]
    if not events:
        raise invalid("Missing required param: enabled_events.", param="enabled_events", code="parameter_missing")
    return events


def create_endpoint(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("url", "enabled_events", "description", "metadata", "api_version", "connect")
    url = p.str("url", required=True)
    assert url is not None
    if not url.startswith(("http://", "https://")):
        raise invalid(f"Invalid URL: {url}", param="url", code="url_invalid")
    we = objects.webhook_endpoint(core.store.created(), url, _enabled_events(p), description=p.str("description"),
                                  metadata=p.metadata() or {}, api_version=p.str("api_version"))
    core.store.add(we)
    out = public(we)
    out["secret"] = we["_secret"]  # only the create response reveals the secret, as on Stripe
    return out


def update_endpoint(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("url", "enabled_events", "description", "metadata", "disabled")
    we = get_or_404(core, "webhook_endpoint", a["id"], "webhook_endpoint")
    if "url" in p:
        we["url"] = p.str("url")
    if "enabled_events" in p:
        we["enabled_events"] = _enabled_events(p)
    if "description" in p:
        we["description"] = p.str("description")
    if "metadata" in p:
        we["metadata"] = merge_metadata(we["metadata"], p.metadata())
    if "disabled" in p:
        we["status"] = "disabled" if p.bool("disabled") else "enabled"
    return we


def delete_endpoint(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    we = get_or_404(core, "webhook_endpoint", a["id"], "webhook_endpoint")
    core.store.remove("webhook_endpoint", we["id"])
    return {"id": we["id"], "object": "webhook_endpoint", "deleted": True}


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/events", api(list_events))
    r.add_get("/v1/events/{id}", api(retrieve_event))
    r.add_post("/v1/webhook_endpoints", api(create_endpoint))
    r.add_get("/v1/webhook_endpoints", api(lambda c, p, a: list_of(c, "webhook_endpoint", p, "/v1/webhook_endpoints",
                                                                "webhook_endpoint")))
    r.add_get("/v1/webhook_endpoints/{id}", api(lambda c, p, a: get_or_404(c, "webhook_endpoint", a["id"],
                                                                     "webhook_endpoint")))
    r.add_post("/v1/webhook_endpoints/{id}", api(update_endpoint))
    r.add_delete("/v1/webhook_endpoints/{id}", api(delete_endpoint))
