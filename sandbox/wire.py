"""Stripe's wire format: nested form parameters, typed parameter access, JSON error bodies."""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

from aiohttp import web

_KEY_PART = re.compile(r"\[([^\[\]]*)\]")


class StripeError(Exception):
    """An error answered with Stripe's JSON error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            err["code"] = self.code
            err["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            err["param"] = self.param
        err.update(self.extra)
        return {"error": err}

    def response(self) -> web.Response:
        return json_response(self.body(), status=self.status)


def missing(kind: str, ident: str, param: str = "id") -> StripeError:
    return StripeError(
        404, f"No such {kind}: '{ident}'", code="resource_missing", param=param
    )


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(body, indent=2),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _split_key(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    parts = [head]
    if rest:
        parts.extend(_KEY_PART.findall("[" + rest))
    return parts


def _listify(node: Any) -> Any:
    """Turn dicts whose keys are all indices (or the '' of `a[]`) into lists, recursively."""
    if not isinstance(node, dict):
        return node
    for k in list(node):
        node[k] = _listify(node[k])
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Decode `a[b][0][c]=v` and `a[]=v` pairs into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _split_key(key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                # `a[]=x`: append, numbered so _listify keeps order.
                part = str(len(node))
            if last:
                node[part] = value
            else:
                nxt = node.get(part)
                if not isinstance(nxt, dict):
                    nxt = {}
                    node[part] = nxt
                node = nxt
    return _listify(root)


async def read_params(request: web.Request) -> dict[str, Any]:
    """Parameters of a request: the query string, plus a form or JSON body."""
    params = decode_pairs(request.query.items())
    if request.method in ("POST", "DELETE") and request.can_read_body:
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise invalid(f"Invalid JSON body: {exc}") from None
                if not isinstance(body, dict):
                    raise invalid("The JSON body must be an object.")
                params.update(body)
            else:
                from urllib.parse import parse_qsl

                params.update(decode_pairs(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
    return params


class Params:
    """Typed access to decoded parameters, raising Stripe's 400s with the right `param`."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = dict(data)
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}[{key}]" if self.prefix else key

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def allow(self, *keys: str) -> None:
        for k in self.data:
            if k not in keys and k != "expand":
                raise invalid(f"Received unknown parameter: {self.name(k)}", param=self.name(k))

    def raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def str(self, key: str, default: str | None = None, required: bool = False) -> str | None:
        v = self.data.get(key)
        if v is None or v == "":
            if required:
                raise invalid(f"Missing required param: {self.name(key)}.", param=self.name(key), code="parameter_missing")
            return default
        if not isinstance(v, str):
            raise invalid(f"Invalid string: {v!r}", param=self.name(key))
        return v

    def int(self, key: str, default: int | None = None, required: bool = False) -> int | None:
        v = self.data.get(key)
        if v is None or v == "":
            if required:
                raise invalid(f"Missing required param: {self.name(key)}.", param=self.name(key), code="parameter_missing")
            return default
        if isinstance(v, bool):
            raise invalid(f"Invalid integer: {v}", param=self.name(key))
        if isinstance(v, int):
            return v
        if isinstance(v, str) and re.fullmatch(r"-?\d+", v.strip()):
            return int(v)
        raise invalid(f"Invalid integer: {v}", param=self.name(key))

    def bool(self, key: str, default: bool | None = None) -> bool | None:
        v = self.data.get(key)
        if v is None or v == "":
            return default
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        raise invalid(f"Invalid boolean: {v}", param=self.name(key))

    def float(self, key: str, default: float | None = None) -> float | None:
        """Only for non-money knobs (fault shares)."""
        v = self.data.get(key)
        if v is None or v == "":
            return default
        try:
            return float(v)
        except (TypeError, ValueError):
            raise invalid(f"Invalid number: {v}", param=self.name(key)) from None

    def sub(self, key: str) -> "Params":
        v = self.data.get(key)
        if v is None or v == "":
            v = {}
        if not isinstance(v, dict):
            raise invalid(f"Invalid object: {self.name(key)}", param=self.name(key))
        return Params(v, self.name(key))

    def list(self, key: str) -> list[Any]:
        v = self.data.get(key)
        if v is None or v == "":
            return []
        if isinstance(v, dict):
            v = list(v.values())
        if not isinstance(v, list):
            v = [v]
        return v

    def metadata(self, key: str = "metadata") -> dict[str, str] | None:
        """Metadata as given; None when absent. '' means clear all."""
        if key not in self.data:
            return None
        v = self.data[key]
        if v == "" or v is None:
            return {}
        if not isinstance(v, dict):
            raise invalid("Invalid metadata: must be a hash", param=self.name(key))
        for k, val in v.items():
            if len(str(k)) > 40:
                raise invalid("Metadata keys must be at most 40 characters.", param=f"{self.name(key)}[{k}]")
            if val is not None and len(str(val)) > 500:
                raise invalid("Metadata values must be at most 500 characters.", param=f"{self.name(key)}[{k}]")
        return {str(k): "" if val is None else str(val) for k, val in v.items()}

    def expand(self) -> list[str]:
        return [str(x) for x in self.list("expand")]


def merge_metadata(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    """Stripe's update semantics: keys merge, an empty value removes a key, `metadata=''` clears."""
    if update is None:
        return current
    if not update:
        return {}
    out = dict(current)
    for k, v in update.items():
        if v == "":
            out.pop(k, None)
        else:
            out[k] = v
    return out
