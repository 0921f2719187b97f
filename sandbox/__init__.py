"""An offline, stateful, Stripe-compatible test-mode server for Hall Treasurer's sandbox mode and tests."""
from __future__ import annotations

from .server import SandboxServer, SandboxThread, serve

__all__ = ["SandboxServer", "SandboxThread", "serve"]
