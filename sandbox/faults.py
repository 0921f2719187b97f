"""Fault injection knobs, each drawing from its own seeded random stream so runs reproduce."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .wire import Params, invalid


@dataclass
class Faults:
    drop: float = 0.0
    duplicate: float = 0.0
    shuffle: bool = False
    delay_ms: int = 0
    rate_limit: float = 0.0
    seed: int | None = None
    # Whether drop/duplicate/shuffle/delay_ms also apply to events sent to `stripe listen` (the CLI websocket).
    cli: bool = True
    deliveries: random.Random = field(default_factory=random.Random, repr=False)
    api: random.Random = field(default_factory=random.Random, repr=False)
    # The CLI path has its own streams (from the same seed), so a connected `stripe listen` never changes which
    # webhook deliveries a seed drops, and the shuffle (whose batches depend on timing) never changes which CLI
    # events are dropped or doubled. Drop/duplicate draw from one stream per event type: the n-th event of a type
    # meets the same fate however events that the client itself causes (a relay switching off a paid link) fall
    # in between.
    cli_deliveries: dict[str, random.Random] = field(default_factory=dict, repr=False)
    cli_order: random.Random = field(default_factory=random.Random, repr=False)

    def configure(self, params: Params) -> None:
        params.allow("drop", "duplicate", "shuffle", "delay_ms", "rate_limit", "seed", "cli")
        for name in ("drop", "duplicate", "rate_limit"):
            value = params.float(name, getattr(self, name))
            assert value is not None
            if not 0.0 <= value <= 1.0:
                raise invalid(f"{name} must be between 0 and 1", param=name)
            setattr(self, name, value)
        self.shuffle = bool(params.bool("shuffle", self.shuffle))
        self.cli = bool(params.bool("cli", self.cli))
        delay = params.int("delay_ms", self.delay_ms)
        assert delay is not None
        if delay < 0:
            raise invalid("delay_ms must not be negative", param="delay_ms")
        self.delay_ms = delay
        if "seed" in params:
            self.seed = params.int("seed")
        # Reseeding on every change makes "same settings, same seed" give the same faults.
        self.deliveries = random.Random(f"deliveries:{self.seed}") if self.seed is not None else random.Random()
        self.api = random.Random(f"api:{self.seed}") if self.seed is not None else random.Random()
        self.cli_deliveries = {}
        self.cli_order = self._stream("cli-order")

    def _stream(self, name: str) -> random.Random:
        return random.Random(f"{name}:{self.seed}") if self.seed is not None else random.Random()

    def reset(self) -> None:
        self.drop = self.duplicate = self.rate_limit = 0.0
        self.shuffle = False
        self.delay_ms = 0
        self.seed = None
        self.cli = True
        self.deliveries = random.Random()
        self.api = random.Random()
        self.cli_deliveries = {}
        self.cli_order = random.Random()

    def rate_limited(self) -> bool:
        return self.rate_limit > 0 and self.api.random() < self.rate_limit

    def cli_copies(self, event_type: str) -> int:
        """How many times the CLI path sends one event: 0 (dropped), 1, or 2 (duplicated)."""
        if not self.cli:
            return 1
        stream = self.cli_deliveries.get(event_type)
        if stream is None:
            stream = self.cli_deliveries[event_type] = self._stream(f"cli:{event_type}")
        # Always draw both so a seed gives the same decisions whatever the shares are.
        dropped = stream.random() < self.drop
        duplicate = stream.random() < self.duplicate
        return 0 if dropped else 2 if duplicate else 1

    def as_json(self) -> dict[str, Any]:
        return {"drop": self.drop, "duplicate": self.duplicate, "shuffle": self.shuffle,
                "delay_ms": self.delay_ms, "rate_limit": self.rate_limit, "seed": self.seed, "cli": self.cli}
