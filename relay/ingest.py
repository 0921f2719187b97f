"""From the network to the books: group-committed storing, then processing, off the event loop.

Storing and processing run in worker threads so that the event loop (Qt's, in
the GUI) never waits on the database.  Concurrent webhooks are stored in one
transaction together (group commit), so acknowledging many events costs few
fsyncs; each is acknowledged only after its commit.  Calls to Stripe (reading
the Events API, fetching what a held event needs, switching off paid slips'
links) run in a second thread, so a slow network never delays an acknowledgement.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from treasurer import inbox, payment_links, sync
from treasurer.errors import UserFacingError
from treasurer.gateway import Gateway, GatewayError
from treasurer.hall import Hall
from treasurer.recording import Outcome

log = logging.getLogger(__name__)
MAX_BATCH = 256


class Ingest:
    """One database thread does all the relay's writing, storing before processing.

    Two writers in one process would only queue on SQLite's lock (and its busy
    handler sleeps coarsely), so acknowledgements would wait behind processing.
    One thread stores what has arrived first (many requests, one commit), then
    processes stored events in batches, each batch one transaction
    (``sync.process_events``): the commit, the write lock and the transaction's
    setup are paid once per batch rather than once per event.

    While webhooks keep arriving, processing waits for a lull (``QUIET``
    seconds without a new arrival) so that acknowledgements do not queue behind
    it and the batches grow; an event never waits longer than ``MAX_DELAY`` for
    that lull.  A batch is sized to take about ``SLICE`` seconds (from the time
    the last batches took per event), so an acknowledgement waits at most about
    that long behind one.
    """

    QUIET = 0.02
    MAX_DELAY = 1.0
    SLICE = 0.2
    MAX_PROCESS_BATCH = 500
    READ_AHEAD = 4                  # pages of the Events API read ahead of the one being stored

    def __init__(self, hall: Hall, gateway: Gateway | None,
                 on_processed: Callable[[dict[str, Outcome]], None] | None = None):
        self.hall = hall
        self.gateway = gateway
        self.on_processed = on_processed
        self._incoming: list[tuple[inbox.Incoming, asyncio.Future]] = []
        self._to_process: list[str] = []
        self._since: float | None = None        # when the oldest event waiting to be processed was stored
        self._last_arrival = 0.0
        self._stored_at = 0.0                     # when the last store finished
        self._reading = False                     # a catch-up is reading pages from the Events API
        self._per_event = 0.001                  # seconds one event's processing took, recently
        self._jobs: list[tuple[Callable, tuple, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="relay-db")
        self._net = ThreadPoolExecutor(1, thread_name_prefix="relay-stripe")
        self._catching_up = asyncio.Lock()
        self._follow_ups: set[asyncio.Task] = set()
        self._waiters: list[_Waiter] = []
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._work(), name="relay-db")
        # Events stored before a crash but never processed.
        self._add_to_process(await self.run_in_ledger_thread(inbox.waiting, self.hall, ("pending",), 100_000))
        self._wake.set()

    async def stop(self) -> None:
        for task in list(self._follow_ups):
            task.cancel()
        await asyncio.gather(*self._follow_ups, return_exceptions=True)
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._pool.shutdown(wait=True)
        self._net.shutdown(wait=True, cancel_futures=True)

    async def store(self, event: inbox.Incoming) -> bool:
        """Durably stored when this returns; True if the event id was new."""
        future = asyncio.get_running_loop().create_future()
        self._incoming.append((event, future))
        self._last_arrival = time.monotonic()
        self._wake.set()
        return await future

    async def run_in_ledger_thread(self, fn, *args):
        """Run ``fn`` in the relay's database thread, between its other work."""
        future = asyncio.get_running_loop().create_future()
        self._jobs.append((fn, args, future))
        self._wake.set()
        return await future

    async def on_stripe(self, fn, *args):
        """Run ``fn`` (a call to Stripe) in the relay's network thread."""
        return await asyncio.get_running_loop().run_in_executor(self._net, fn, *args)

    def _queue(self, ids: list[str], waiter: _Waiter | None = None) -> None:
        if waiter is not None and ids:
            waiter.remaining.update(ids)
            waiter.done.clear()
        queued = set(self._to_process)
        self._add_to_process([i for i in ids if i not in queued])
        self._wake.set()

    def _add_to_process(self, ids: list[str]) -> None:
        if ids and not self._to_process:
            self._since = time.monotonic()
        self._to_process.extend(ids)

    def _lull(self) -> float:
        """Seconds to wait before processing, to let a burst of webhooks be acknowledged first (0: process now).

        A lull is ``QUIET`` seconds in which nothing arrived while this thread was free to store it: counted from
        the last arrival or the end of the last store, whichever is later (a store that took longer than
        ``QUIET``, waiting on the disk, is not a lull: the senders were waiting for its acknowledgements).
        """
        now = time.monotonic()
        quiet_in = max(self._last_arrival, self._stored_at) + self.QUIET - now
        if self._reading and len(self._to_process) < self.MAX_PROCESS_BATCH:
            quiet_in = self.MAX_DELAY     # a catch-up reading pages: process in full batches (or when overdue)
        overdue_in = (self._since or now) + self.MAX_DELAY - now
        return max(0.0, min(quiet_in, overdue_in))

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not (self._incoming or self._jobs or self._to_process):
                self._wake.clear()
                await self._wake.wait()
                continue
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
            elif (wait := self._lull()) > 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except TimeoutError:
                    pass
            else:
                size = max(1, min(self.MAX_PROCESS_BATCH, int(self.SLICE / self._per_event)))
                ids, self._to_process = self._to_process[:size], self._to_process[size:]
                self._since = time.monotonic() if self._to_process else None
                started = time.perf_counter()
                await self._process(loop, ids)
                took = (time.perf_counter() - started) / len(ids)
                self._per_event = 0.7 * self._per_event + 0.3 * took

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
        self._stored_at = time.monotonic()
        self._add_to_process([event.id for (event, _), is_new in zip(batch, fresh) if is_new])
        for (event, future), is_new in zip(batch, fresh):
            if not future.done():
                future.set_result(is_new)

    def _tell_waiters(self, ids: list[str], results: dict[str, Outcome]) -> None:
        for waiter in self._waiters:
            waiter.outcomes.update((i, results[i]) for i in waiter.remaining.intersection(results))
            waiter.remaining.difference_update(ids)
            if not waiter.remaining:
                waiter.done.set()

    async def _process(self, loop, ids: list[str]) -> None:
        try:
            results = await loop.run_in_executor(self._pool, sync.process_events, self.hall, None, ids)
        except Exception:
            log.exception("processing %d events failed; they stay pending for the next catch-up", len(ids))
            self._tell_waiters(ids, {})
            return
        self._tell_waiters(ids, results)
        for event_id, outcome in results.items():
            log.info("%s %s %s", event_id, outcome.outcome, outcome.detail)
        if self.on_processed:
            self.on_processed(results)
        if self.gateway is not None and (any(o.outcome == "held" and o.needs for o in results.values())
                                         or sync.links_to_switch_off(results)):
            task = asyncio.get_running_loop().create_task(self._follow_up(results), name="relay-follow-up")
            self._follow_ups.add(task)
            task.add_done_callback(self._follow_ups.discard)

    async def _follow_up(self, results: dict[str, Outcome]) -> None:
        """Fetch what held events need and switch off paid slips' links, off the database thread."""
        links = sync.links_to_switch_off(results)
        for event_id, outcome in results.items():
            if outcome.outcome != "held" or not outcome.needs:
                continue
            try:
                fetched = await self.on_stripe(sync.fetch, self.gateway, outcome.needs)
                unblocked, closed = await self.run_in_ledger_thread(sync.record_fetched, self.hall, fetched)
                if unblocked:
                    retried = await self.run_in_ledger_thread(sync.process_events, self.hall, None, [event_id])
                    links += [*closed, *sync.links_to_switch_off(retried)]
                    if self.on_processed:
                        self.on_processed(retried)
            except UserFacingError as exc:
                log.info("fetching %s for %s failed: %s", outcome.needs, event_id, exc)
            except Exception:
                log.exception("recording what %s needed failed; it stays held", event_id)
        if links:
            await self.close_links(links)

    async def close_links(self, link_ids: list[str] | None = None) -> payment_links.ClosedLinks:
        """Switch off links in Stripe (default: every closed slip's link not yet confirmed) and record them."""
        if link_ids is None:
            link_ids = await self.run_in_ledger_thread(payment_links.still_to_close, self.hall)
        done, failed = await self.on_stripe(payment_links.switch_off, self.gateway, link_ids)
        closed = await self.run_in_ledger_thread(payment_links.record_closed, self.hall, done)
        return payment_links.ClosedLinks(closed, failed)

    async def catch_up(self, source: str = "poll") -> sync.CatchUp:
        """One Events API catch-up: pages are read in the network thread and stored like webhooks, in order.

        One catch-up at a time, so the cursor only moves forward.
        """
        if self.gateway is None:
            raise RuntimeError("no Stripe gateway")
        waiter = _Waiter()
        async with self._catching_up:
            self._waiters.append(waiter)
            try:
                report = await self._read_and_store(source, waiter)
                # The catch-up ends with what it found in the books, as ``treasurer sync`` does.
                await waiter.done.wait()
            finally:
                self._waiters.remove(waiter)
            sync.count_outcomes(report, waiter.outcomes)
            report.links = await self.close_links()
        if self.on_processed and report.new:
            self.on_processed({})
        return report

    async def _read_and_store(self, source: str, waiter: _Waiter, again: bool = True) -> sync.CatchUp:
        report = await self.run_in_ledger_thread(sync.start_catch_up, self.hall)
        self._queue(await self.run_in_ledger_thread(inbox.waiting, self.hall, ("pending",), 100_000), waiter)
        # Read ahead: the next pages are fetched in the network thread while this one is stored and the ones before
        # it are processed, so a catch-up takes about as long as the reading alone.  Pages are stored in order,
        # each with the cursor; an error reading comes after every page read before it is stored.
        ahead: asyncio.Queue = asyncio.Queue(self.READ_AHEAD)
        reader = asyncio.create_task(self._read_ahead(sync.read_pages(self.gateway, report, source), ahead),
                                     name="relay-read-ahead")
        self._reading = True
        try:
            while (page := await ahead.get()) is not None:
                if isinstance(page, BaseException):
                    raise page
                self._queue(await self.run_in_ledger_thread(sync.store_page, self.hall, page, report), waiter)
        except GatewayError as exc:
            self._done_reading()
            told = len(report.warnings)
            await self.run_in_ledger_thread(sync.read_failed, self.hall, report, exc)
            await waiter.done.wait()  # what was stored is in the books before the error is told
            if again and len(report.warnings) > told:
                # Stripe forgot the cursor's event (a sandbox reset, events past 30 days): the cursor was
                # dropped, so read again by date now, and say so in a sentence rather than failing.
                log.info("%s", report.warnings[-1])
                retried = await self._read_and_store(source, waiter, again=False)
                retried.warnings[:0] = report.warnings
                return retried
            raise
        finally:
            self._done_reading()
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        return report

    def _done_reading(self) -> None:
        if self._reading:
            self._reading = False
            self._wake.set()        # what is left is processed now

    async def _read_ahead(self, pages, ahead: asyncio.Queue) -> None:
        try:
            while page := await self.on_stripe(next, pages, None):
                await ahead.put(page)
        except Exception as exc:  # noqa: BLE001  (told in its place by the one storing the pages)
            await ahead.put(exc)
            return
        await ahead.put(None)


@dataclasses.dataclass
class _Waiter:
    """The events one catch-up queued, and their outcomes as processing gets to them."""
    remaining: set[str] = dataclasses.field(default_factory=set)
    outcomes: dict[str, Outcome] = dataclasses.field(default_factory=dict)
    done: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.done.set()
