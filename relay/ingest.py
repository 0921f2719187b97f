"""From the network to the books: group-committed storing, then processing, off the event loop.

Storing and processing run in worker threads so that the event loop (Qt's, in
the GUI) never waits on the database.  Concurrent webhooks are stored in one
transaction together (group commit), so acknowledging many events costs few
fsyncs; each is acknowledged only after its commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from treasurer import inbox, sync
from treasurer.gateway import Gateway
from treasurer.hall import Hall
from treasurer.recording import Outcome

log = logging.getLogger(__name__)
MAX_BATCH = 256


class Ingest:
    def __init__(self, hall: Hall, gateway: Gateway | None,
                 on_processed: Callable[[dict[str, Outcome]], None] | None = None):
        self.hall = hall
        self.gateway = gateway
        self.on_processed = on_processed
        self._incoming: asyncio.Queue[tuple[inbox.Incoming, asyncio.Future]] = asyncio.Queue()
        self._to_process: asyncio.Queue[str] = asyncio.Queue()
        self._store_pool = ThreadPoolExecutor(1, thread_name_prefix="inbox")
        self._ledger_pool = ThreadPoolExecutor(1, thread_name_prefix="ledger")
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._store_loop(), name="inbox-writer"),
                       asyncio.create_task(self._process_loop(), name="ledger-writer")]
        # Events stored before a crash but never processed.
        for event_id in await self._in_ledger_thread(inbox.waiting, self.hall, ("pending",), 100_000):
            self._to_process.put_nowait(event_id)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._store_pool.shutdown(wait=True)
        self._ledger_pool.shutdown(wait=True)

    async def store(self, event: inbox.Incoming) -> bool:
        """Durably stored when this returns; True if the event id was new."""
        future = asyncio.get_running_loop().create_future()
        await self._incoming.put((event, future))
        return await future

    async def _store_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._incoming.get()]
            while not self._incoming.empty() and len(batch) < MAX_BATCH:
                batch.append(self._incoming.get_nowait())
            events = [e for e, _ in batch]
            try:
                fresh = await loop.run_in_executor(self._store_pool, inbox.store_many, self.hall, events)
            except Exception as exc:  # the disk or the database refused: nothing is acknowledged
                log.error("could not store %d events: %s", len(batch), exc)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (event, future), is_new in zip(batch, fresh):
                if is_new:
                    self._to_process.put_nowait(event.id)
                if not future.done():
                    future.set_result(is_new)

    async def _process_loop(self) -> None:
        while True:
            ids = [await self._to_process.get()]
            while not self._to_process.empty() and len(ids) < MAX_BATCH:
                ids.append(self._to_process.get_nowait())
            try:
                results = await self._in_ledger_thread(sync.process_events, self.hall, self.gateway, ids)
            except Exception:
                log.exception("processing %d events failed; they stay pending for the next catch-up", len(ids))
                continue
            for event_id, outcome in results.items():
                log.info("%s %s %s", event_id, outcome.outcome, outcome.detail)
            if self.on_processed:
                self.on_processed(results)

    async def _in_ledger_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._ledger_pool, fn, *args)

    async def catch_up(self, source: str = "poll") -> sync.CatchUp:
        """One Events API catch-up, in the ledger thread (so it never races the processing of webhooks)."""
        if self.gateway is None:
            raise RuntimeError("no Stripe gateway")
        report = await self._in_ledger_thread(sync.catch_up, self.hall, self.gateway, source)
        if self.on_processed and report.new:
            self.on_processed({})
        return report

    async def run_in_ledger_thread(self, fn, *args):
        return await self._in_ledger_thread(fn, *args)
