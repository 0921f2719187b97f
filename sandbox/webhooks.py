"""Signed webhook delivery to registered endpoints: an asyncio queue, retries with backoff, faults."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import aiohttp

from .events import EventBus
from .faults import Faults
from .store import Store, public


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value Stripe sends: t=<unix>,v1=<hex HMAC-SHA256>."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event_payload(ev: dict[str, Any]) -> bytes:
    return json.dumps(public(ev), indent=2).encode("utf-8")


def delivery_headers(payload: bytes, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": sign(payload, secret),
    }


@dataclass
class RetryPolicy:
    attempts: int = 3  # total attempts per delivery
    backoff_seconds: float = 0.2  # doubles after each failed attempt
    timeout_seconds: float = 5.0
    concurrency: int = 1  # deliveries in flight at once (Stripe itself sends many at a time)


@dataclass
class _Delivery:
    event_id: str
    endpoint_id: str
    payload: bytes
    generation: int
    attempt: int = 1


class WebhookDispatcher:
    def __init__(self, store: Store, bus: EventBus, faults: Faults, retry: RetryPolicy) -> None:
        self.store = store
        self.bus = bus
        self.faults = faults
        self.retry = retry
        self.log: deque[dict[str, Any]] = deque(maxlen=2000)
        self._queue: asyncio.Queue[_Delivery] | None = None
        self._outstanding = 0
        self._idle: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        # Bumped by reset(); deliveries from an older generation are forgotten.
        self._generation = 0
        bus.sinks.append(self.enqueue)

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._idle = asyncio.Event()
        self._idle.set()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.retry.timeout_seconds))
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._worker:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        if self._session:
            await self._session.close()

    def enqueue(self, ev: dict[str, Any]) -> None:
        if self._queue is None or not ev["_deliveries"]:
            return
        payload = event_payload(ev)
        for endpoint_id in ev["_deliveries"]:
            self._put(_Delivery(ev["id"], endpoint_id, payload, self._generation))

    def _put(self, delivery: _Delivery) -> None:
        assert self._queue is not None and self._idle is not None
        self._outstanding += 1
        self._idle.clear()
        self._queue.put_nowait(delivery)

    def reset(self) -> None:
        """Forget queued deliveries and pending retries (the sandbox was emptied)."""
        self._generation += 1
        for timer in self._timers:
            timer.cancel()
            self._done()
        self._timers.clear()
        self.log.clear()

    def _done(self) -> None:
        assert self._idle is not None
        self._outstanding -= 1
        if self._outstanding == 0:
            self._idle.set()

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery (and retry) has finished. False on timeout."""
        if self._idle is None:
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            if self.faults.shuffle and len(batch) > 1:
                self.faults.deliveries.shuffle(batch)
            if self.retry.concurrency <= 1:
                for delivery in batch:
                    await self._deliver_safely(delivery)
            else:
                slots = asyncio.Semaphore(self.retry.concurrency)

                async def one(delivery: _Delivery) -> None:
                    async with slots:
                        await self._deliver_safely(delivery)

                await asyncio.gather(*(one(d) for d in batch))

    async def _deliver_safely(self, delivery: _Delivery) -> None:
        try:
            await self._deliver(delivery)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let one delivery kill the worker
            self._record(delivery, None, f"internal: {exc!r}")
            self._done()

    async def _deliver(self, d: _Delivery) -> None:
        if d.generation != self._generation:
            self._done()
            return
        duplicate = False
        if d.attempt == 1:
            # Always draw both so a seed gives the same decisions whatever the shares are.
            dropped = self.faults.deliveries.random() < self.faults.drop
            duplicate = self.faults.deliveries.random() < self.faults.duplicate
            if dropped:
                self._record(d, None, "dropped")
                self._done()
                return
        if self.faults.delay_ms:
            await asyncio.sleep(self.faults.delay_ms / 1000)
        endpoint = self.store.get("webhook_endpoint", d.endpoint_id)
        if endpoint is None:
            self._done()
            return
        ok = await self._post(d, endpoint)
        if duplicate:
            ok = await self._post(d, endpoint) or ok
        if ok:
            self.bus.mark(d.event_id, d.endpoint_id, "delivered")
            self._done()
        elif d.attempt < self.retry.attempts:
            delay = self.retry.backoff_seconds * (2 ** (d.attempt - 1))
            retry = _Delivery(d.event_id, d.endpoint_id, d.payload, d.generation, d.attempt + 1)
            loop = asyncio.get_running_loop()

            def requeue() -> None:
                self._timers.discard(timer)
                assert self._queue is not None
                self._queue.put_nowait(retry)

            timer = loop.call_later(delay, requeue)
            self._timers.add(timer)
        else:
            self.bus.mark(d.event_id, d.endpoint_id, "failed")
            self._done()

    async def _post(self, d: _Delivery, endpoint: dict[str, Any]) -> bool:
        assert self._session is not None
        headers = delivery_headers(d.payload, endpoint["_secret"])
        try:
            async with self._session.post(endpoint["url"], data=d.payload, headers=headers, allow_redirects=False) as resp:
                await resp.read()
                status: int | None = resp.status
                error = None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            status, error = None, repr(exc)
        self._record(d, status, error)
        return status is not None and 200 <= status < 300

    def _record(self, d: _Delivery, status: int | None, error: str | None) -> None:
        if d.generation != self._generation:
            return
        self.log.append({"event": d.event_id, "endpoint": d.endpoint_id, "attempt": d.attempt,
                         "status": status, "error": error, "at": time.time()})
