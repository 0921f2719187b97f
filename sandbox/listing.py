"""Stripe list objects: newest first, limit, cursors, created ranges, expand."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .store import Store, public
from .wire import Params, invalid, missing


def order_key(obj: dict[str, Any]) -> tuple[int, int]:
    return (int(obj.get("created", 0)), int(obj.get("_seq", 0)))


def created_filter(params: Params) -> Callable[[dict[str, Any]], bool]:
    raw = params.raw("created")
    if raw is None or raw == "":
        return lambda obj: True
    if not isinstance(raw, dict):
        exact = params.int("created")
        return lambda obj: obj.get("created") == exact
    bounds = params.sub("created")
    bounds.allow("gt", "gte", "lt", "lte")
    gt, gte, lt, lte = (bounds.int(k) for k in ("gt", "gte", "lt", "lte"))

    def ok(obj: dict[str, Any]) -> bool:
        c = obj.get("created", 0)
        return (
            (gt is None or c > gt)
            and (gte is None or c >= gte)
            and (lt is None or c < lt)
            and (lte is None or c <= lte)
        )

    return ok


def paginate(
    items: Iterable[dict[str, Any]],
    params: Params,
    url: str,
    store: Store,
    kind_name: str,
) -> dict[str, Any]:
    limit = params.int("limit", 10)
    assert limit is not None
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    after = params.str("starting_after")
    before = params.str("ending_before")
    if after and before:
        raise invalid("You may only specify one of these parameters: starting_after, ending_before.", param="ending_before")
    keep = created_filter(params)
    ordered = sorted((o for o in items if keep(o)), key=order_key, reverse=True)

    def position(cursor: str, param: str) -> int:
        for i, obj in enumerate(ordered):
            if obj["id"] == cursor:
                return i
        # Stripe 404s a cursor it does not know (or one that is filtered out).
        raise missing(kind_name, cursor, param=param)

    if after:
        start = position(after, "starting_after") + 1
        page = ordered[start : start + limit]
        has_more = start + limit < len(ordered)
    elif before:
        end = position(before, "ending_before")
        start = max(0, end - limit)
        page = ordered[start:end]
        has_more = start > 0
    else:
        page = ordered[:limit]
        has_more = limit < len(ordered)
    expand = [e[len("data.") :] for e in params.expand() if e.startswith("data.")]
    return {
        "object": "list",
        "data": [expand_fields(store, public(o), expand) for o in page],
        "has_more": has_more,
        "url": url,
    }


def expand_fields(store: Store, obj: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """Replace id strings by the objects they name, for each dotted path in `expand`."""
    for path in paths:
        _expand_path(store, obj, path.split("."))
    return obj


def _expand_path(store: Store, node: Any, parts: list[str]) -> None:
    if not parts or not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    value = node.get(head)
    if isinstance(value, str):
        found = store.find(value)
        if found is None:
            return
        node[head] = value = public(found)
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str) and store.find(item) is not None:
                value[i] = item = public(store.find(item))  # type: ignore[arg-type]
            _expand_path(store, item, rest)
    else:
        _expand_path(store, value, rest)
