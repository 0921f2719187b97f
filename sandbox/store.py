"""In-memory state: objects by type, creation order, the sandbox clock, JSON save/load."""
from __future__ import annotations

import copy
import json
import os
import secrets
import string
import time
from pathlib import Path
from typing import Any, Iterator

# Object type (the `object` field) -> id prefix.
PREFIXES: dict[str, str] = {
    "product": "prod_",
    "price": "price_",
    "payment_link": "plink_",
    "checkout.session": "cs_test_",
    "customer": "cus_",
    "payment_intent": "pi_",
    "charge": "ch_",
    "refund": "re_",
    "dispute": "dp_",
    "balance_transaction": "txn_",
    "payout": "po_",
    "webhook_endpoint": "we_",
    "event": "evt_",
}
_ALPHABET = string.ascii_letters + string.digits


def random_token(n: int = 24) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def new_id(prefix: str) -> str:
    return prefix + random_token(58 if prefix == "cs_test_" else 24)


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy without the sandbox's private bookkeeping keys (those starting with '_')."""
    return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}


class Store:
    """All sandbox state. Only ever touched from the server's event loop thread."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in PREFIXES}
        self.sequence = 0
        self.clock_offset = 0
        self.last_created = 0
        # Idempotency-Key -> {"fingerprint", "status", "body"}
        self.idempotency: dict[str, dict[str, Any]] = {}
        # API key -> the `stripe listen` signing secret (stable, like a device's secret on Stripe).
        self.cli_secrets: dict[str, str] = {}

    # clock
    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    def created(self) -> int:
        """A `created` timestamp that never goes backwards."""
        self.last_created = max(self.last_created, self.now())
        return self.last_created

    # objects
    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.sequence += 1
        obj["_seq"] = self.sequence
        self.objects[obj["object"]][obj["id"]] = obj
        return obj

    def get(self, kind: str, ident: str) -> dict[str, Any] | None:
        return self.objects[kind].get(ident)

    def find(self, ident: str) -> dict[str, Any] | None:
        """Any object by id, guessing its type from the prefix (for `expand`)."""
        if not isinstance(ident, str):
            return None
        for kind, prefix in PREFIXES.items():
            if ident.startswith(prefix) and ident in self.objects[kind]:
                return self.objects[kind][ident]
        return None

    def all(self, kind: str) -> Iterator[dict[str, Any]]:
        return iter(list(self.objects[kind].values()))

    def remove(self, kind: str, ident: str) -> None:
        self.objects[kind].pop(ident, None)

    def counts(self) -> dict[str, int]:
        return {kind: len(objs) for kind, objs in self.objects.items()}

    # persistence
    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "objects": self.objects,
            "sequence": self.sequence,
            "clock_offset": self.clock_offset,
            "last_created": self.last_created,
            "cli_secrets": self.cli_secrets,
            "idempotency": self.idempotency,
        }

    def load_json(self, data: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        for kind, objs in data.get("objects", {}).items():
            if kind in self.objects:
                self.objects[kind] = objs
        self.sequence = int(data.get("sequence", 0))
        self.clock_offset = int(data.get("clock_offset", 0))
        self.last_created = int(data.get("last_created", 0))
        self.cli_secrets = dict(data.get("cli_secrets", {}))
        self.idempotency = dict(data.get("idempotency", {}))

    def save(self, path: str | os.PathLike[str]) -> None:
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json()), encoding="utf-8")
        os.replace(tmp, target)

    def load(self, path: str | os.PathLike[str]) -> bool:
        target = Path(path)
        if not target.exists():
            return False
        self.load_json(json.loads(target.read_text(encoding="utf-8")))
        return True
