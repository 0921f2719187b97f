"""Shared plumbing for /v1 resources: fetch-or-404, filtered lists, updates that emit *.updated events."""
from __future__ import annotations

from typing import Any, Mapping

from .core import Sandbox
from .handlers import ApiFn
from .listing import paginate
from .wire import Params, invalid, missing

Args = Mapping[str, str]


def get_or_404(core: Sandbox, kind: str, ident: str, label: str) -> dict[str, Any]:
    obj = core.store.get(kind, ident)
    if obj is None:
        raise missing(label, ident)
    return obj


def list_of(core: Sandbox, kind: str, p: Params, url: str, label: str, **filters: Any) -> dict[str, Any]:
    items = [o for o in core.store.all(kind) if all(v is None or o.get(k) == v for k, v in filters.items())]
    return paginate(items, p, url, core.store, label)


def apply_update(core: Sandbox, obj: dict[str, Any], changes: dict[str, Any], event_type: str) -> dict[str, Any]:
    previous = {k: obj.get(k) for k, v in changes.items() if obj.get(k) != v}
    obj.update(changes)
    if previous:
        core.bus.emit(event_type, obj, previous)
    return obj


def items_list(owner: dict[str, Any], p: Params, url: str) -> dict[str, Any]:
    limit = p.int("limit", 10)
    assert limit is not None
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    items = owner["_line_items"]
    start = 0
    after = p.str("starting_after")
    if after:
        ids = [li["id"] for li in items]
        if after not in ids:
            raise missing("line item", after, "starting_after")
        start = ids.index(after) + 1
    page = items[start:start + limit]
    return {"object": "list", "data": page, "has_more": start + limit < len(items), "url": url}


def retriever(kind: str, label: str) -> ApiFn:
    def fn(core: Sandbox, p: Params, args: Args) -> dict[str, Any]:
        return get_or_404(core, kind, args["id"], label)

    return fn
