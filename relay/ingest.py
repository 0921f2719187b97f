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
    """One database thread does all the relay's writing, storing before processing.

    Two writers in one process would only queue on SQLite's lock (and its busy
    handler sleeps coarsely), so acknowledgements would wait behind processing;
    one thread that always stores what has arrived first, then processes a small
    chunk, keeps acknowledgements fast and the processing steady.
    """

    PROCESS_CHUNK = 8

    def __init__(self, hall: Hall, gateway: Gateway | None,
                 on_processed: Callable[[dict[str, Outcome]], None] | None = None):
        self.hall = hall
        self.gateway = gateway
        self.on_processed = on_processed
        self._incoming: list[tuple[inbox.Incoming, asyncio.Future]] = []
        self._to_process: list[str] = []
        self._jobs: list[tuple[Callable, tuple, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="relay-db")
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._work(), name="relay-db")
        # Events stored before a crash but never processed.
        self._to_process.extend(await self.run_in_ledger_thread(inbox.waiting, self.hall, ("pending",), 100_000))
        self._wake.set()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._pool.shutdown(wait=True)

    async def store(self, event: inbox.Incoming) -> bool:
        """Durably stored when this returns; True if the event id was new."""
        future = asyncio.get_running_loop().create_future()
        self._incoming.append((event, future))
        self._wake.set()
        return await future

    async def run_in_ledger_thread(self, fn, *args):
        """Run ``fn`` in the relay's database thread, between its other work."""
        future = asyncio.get_running_loop().create_future()
        self._jobs.append((fn, args, future))
        self._wake.set()
        return await future

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not (self._incoming or self._jobs or self._to_process):
                self._wake.clear()
                await self._wake.wait()
            if self._incoming:
                batch, self._incoming = self._incoming[:MAX_BATCH], self._incoming[MAX_BATCH:]
                await self._store(loop, batch)
            elif self._jobs:
                fn, args, future = self._jobs.pop(0)
                try:
                    result = await loop.run_in_executor(self._pool, fn, *args)
                except Exception as exc:
                    if not future.done():
                        future.set_exception(exc)
                else:
                    if not future.done():
                        future.set_result(result)
            else:
                ids, self._to_process = self._to_process[:self.PROCESS_CHUNK], self._to_process[self.PROCESS_CHUNK:]
                await self._process(loop, ids)

    async def _store(self, loop, batch) -> None:
        try:
            fresh = await loop.run_in_executor(self._pool, inbox.store_many, self.hall, [e for e, _ in batch])
        except Exception as exc:
            if len(batch) > 1:  # one bad event must not fail the others stored with it
                for one in batch:
                    await self._store(loop, [one])
                return
            log.error("could not store %s: %s", batch[0][0].id, exc)
            if not batch[0][1].done():  # nothing is acknowledged: Stripe sends it again
                batch[0][1].set_exception(exc)
            return
        for (event, future), is_new in zip(batch, fresh):
            if is_new:
                self._to_process.append(event.id)
            if not future.done():
                future.set_result(is_new)

    async def _process(self, loop, ids: list[str]) -> None:
        try:
            results = await loop.run_in_executor(self._pool, sync.process_events, self.hall, self.gateway, ids)
        except Exception:
            log.exception("processing %d events failed; they stay pending for the next catch-up", len(ids))
            return
        for event_id, outcome in results.items():
            log.info("%s %s %s", event_id, outcome.outcome, outcome.detail)
        if self.on_processed:
            self.on_processed(results)

    async def catch_up(self, source: str = "poll") -> sync.CatchUp:
        """One Events API catch-up, in the database thread (so it never races the processing of webhooks)."""
        if self.gateway is None:
            raise RuntimeError("no Stripe gateway")
        report = await self.run_in_ledger_thread(sync.catch_up, self.hall, self.gateway, source)
        if self.on_processed and report.new:
            self.on_processed({})
        return report
