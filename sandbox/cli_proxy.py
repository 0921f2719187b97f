"""What `stripe listen` talks to: POST /v1/stripecli/sessions and the stripecli-devproxy-v1 websocket."""
from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from .core import Sandbox
from .handlers import API_KEY
from .objects import API_VERSION
from .store import random_token
from .webhooks import delivery_headers, event_payload
from .wire import json_response

SUBPROTOCOL = "stripecli-devproxy-v1"
WS_PATH = "/_stripecli/websocket"
# The CLI drops and re-dials its websocket every `reconnect_delay` seconds; events sent meanwhile would
# be lost, so ask for a long interval.
RECONNECT_DELAY = 3600


class _Connection:
    def __init__(self, ws: web.WebSocketResponse, secret: str) -> None:
        self.ws = ws
        self.secret = secret
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.sending = False  # a batch taken off the queue is not yet all sent


class CliHub:
    def __init__(self, core: Sandbox) -> None:
        self.core = core
        self.sessions: dict[str, str] = {}  # websocket_id -> signing secret
        self.connections: set[_Connection] = set()
        self.replies: deque[dict[str, Any]] = deque(maxlen=1000)
        # What the faults made of each event sent to a connection: copies 0 (dropped), 1 or 2 (duplicated).
        self.log: deque[dict[str, Any]] = deque(maxlen=5000)
        self.totals = {"events": 0, "dropped": 0, "duplicated": 0, "sent": 0}
        self._seq = 0
        core.bus.sinks.append(self.broadcast)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/stripecli/sessions", self.create_session)
        app.router.add_get(WS_PATH, self.websocket)
        app.router.add_get("/_sandbox/cli", self.status)

    async def status(self, request: web.Request) -> web.Response:
        """What `stripe listen` clients are connected, what was sent to them (after faults) and what they
        answered (webhook_response messages)."""
        pending = sum(conn.queue.qsize() + (1 if conn.sending else 0) for conn in self.connections)
        return json_response({"sessions": len(self.sessions), "connections": len(self.connections),
                              "replies": list(self.replies), **self.totals, "pending": pending,
                              "log": list(self.log)})

    def secret_for(self, api_key: str) -> str:
        # One stable secret per API key, like Stripe's per-device secret, so `--print-secret` matches `listen`.
        return self.core.store.cli_secrets.setdefault(api_key, "whsec_" + random_token(32))

    async def create_session(self, request: web.Request) -> web.Response:
        secret = self.secret_for(request[API_KEY])
        websocket_id = "cliws_" + random_token(20)
        self.sessions[websocket_id] = secret
        host = request.host
        return json_response({
            "secret": secret,
            "websocket_url": f"ws://{host}{WS_PATH}",
            "websocket_id": websocket_id,
            "websocket_authorized_feature": "webhook-payloads",
            "reconnect_delay": RECONNECT_DELAY,
            "default_version": API_VERSION,
            "latest_version": API_VERSION,
            "device_token": "",
            "display_connect_filter_warning": False,
        })

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        secret = self.sessions.get(request.headers.get("Websocket-Id", ""))
        if secret is None:
            return json_response({"error": {"message": "Unknown WebSocket ID."}}, status=400)
        ws = web.WebSocketResponse(protocols=[SUBPROTOCOL], heartbeat=None)
        await ws.prepare(request)
        conn = _Connection(ws, secret)
        self.connections.add(conn)
        writer = asyncio.create_task(self._write(conn))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    with contextlib.suppress(ValueError):
                        self.replies.append(json.loads(msg.data))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.connections.discard(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _write(self, conn: _Connection) -> None:
        faults = self.core.faults
        while True:
            batch = [await conn.queue.get()]
            conn.sending = True
            while not conn.queue.empty():
                batch.append(conn.queue.get_nowait())
            if faults.cli and faults.shuffle and len(batch) > 1:
                faults.cli_order.shuffle(batch)
            for message in batch:
                if faults.cli and faults.delay_ms:
                    await asyncio.sleep(faults.delay_ms / 1000)
                await conn.ws.send_str(message)
                self.totals["sent"] += 1
            conn.sending = False

    def broadcast(self, ev: dict[str, Any]) -> None:
        if not self.connections:
            return
        payload = event_payload(ev)
        for conn in list(self.connections):
            # Decided here, in the order events happen, so a seed gives the same pattern whatever the timing.
            copies = self.core.faults.cli_copies(ev["type"])
            self._seq += 1
            self.log.append({"seq": self._seq, "event": ev["id"], "type": ev["type"], "copies": copies})
            self.totals["events"] += 1
            self.totals["dropped"] += copies == 0
            self.totals["duplicated"] += copies == 2
            message = json.dumps({
                "type": "webhook_event",
                "webhook_id": "we_cli_" + random_token(16),
                "webhook_conversation_id": "wc_" + random_token(16),
                "event_payload": payload.decode("utf-8"),
                "endpoint": {"api_version": None},
                "http_headers": delivery_headers(payload, conn.secret),
            })
            for _ in range(copies):
                conn.queue.put_nowait(message)

    async def close(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close()
