"""What every screen shares: the hall, this computer's settings, Stripe, the relay."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from treasurer import credentials
from treasurer.errors import UserFacingError
from treasurer.gateway import Gateway
from treasurer.hall import Hall

from .settings import AppSettings

MODES = ("sandbox", "test", "live", "none")
NO_STRIPE = ("Payment links need Stripe: store a Stripe key in Settings, or start the app in sandbox mode "
             "(treasurer --sandbox) to try it offline. Slips can still be printed for check or cash.")


@dataclasses.dataclass
class StripeSetup:
    """How this session talks to Stripe (what the composition root passes as ``args.stripe``)."""

    mode: str = "none"
    api_key: str | None = None
    api_base: str | None = None


@dataclasses.dataclass
class AppContext:
    hall: Hall
    settings: AppSettings
    stripe: StripeSetup
    gateway: Gateway | None = None
    relay: Any | None = None        # relay.service.Relay when running; status() and listeners

    _member_rows: list | None = dataclasses.field(default=None, repr=False)
    _roll_generation: int = dataclasses.field(default=0, repr=False)

    def member_rows(self) -> list:
        """The roll with standings, computed once per refresh and shared by the screens that need it."""
        if self._member_rows is None:
            from .queries import member_rows

            self._member_rows = member_rows(self.hall)
        return self._member_rows

    def forget_cached(self) -> None:
        self._member_rows = None
        self._roll_generation += 1

    def keep_member_rows(self, rows: list, generation: int) -> None:
        """The roll read ahead in the background, kept unless the books changed since it was read."""
        if generation == self._roll_generation and self._member_rows is None:
            self._member_rows = rows

    def update_member_rows(self, rows: list) -> None:
        """Some members read again (after relay events): the kept roll stays current without a reload."""
        if self._member_rows is None:
            return
        fresh = {r.id: r for r in rows}
        self._member_rows = [fresh.pop(r.id, r) for r in self._member_rows] + list(fresh.values())

    @property
    def has_member_rows(self) -> bool:
        return self._member_rows is not None

    @property
    def roll_generation(self) -> int:
        return self._roll_generation

    def require_gateway(self) -> Gateway:
        if self.gateway is None:
            raise UserFacingError(NO_STRIPE)
        return self.gateway

    @property
    def mode(self) -> str:
        return self.stripe.mode


def stripe_from_args(args: Any, hall: Hall) -> StripeSetup:
    given = getattr(args, "stripe", None)
    if given is not None:
        mode = getattr(given, "mode", "none") or "none"
        return StripeSetup(mode if mode in MODES else "none", getattr(given, "api_key", None),
                           getattr(given, "api_base", None))
    key = credentials.api_key()
    if not key:
        return StripeSetup("none")
    base = os.environ.get("TREASURER_STRIPE_API_BASE") or hall.setting("stripe_api_base") or None
    try:
        mode = credentials.key_mode(key)
    except UserFacingError:
        return StripeSetup("none")
    if base and _is_local(base):
        mode = "sandbox"
    return StripeSetup(mode, key, base)


def gateway_for(setup: StripeSetup) -> Gateway | None:
    if setup.mode == "none" or not setup.api_key:
        return None
    return Gateway(setup.api_key, setup.api_base)


def _is_local(url: str) -> bool:
    return any(host in url for host in ("://127.0.0.1", "://localhost", "://[::1]"))
