"""Running and watching the Stripe CLI's ``stripe listen``.

The key reaches the CLI through its environment, never its command line.  The
CLI never replays what it missed while it was down, and it can stop forwarding
silently after the computer sleeps, so every (re)start is followed by an Events
API catch-up, and a jump of the wall clock restarts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

log = logging.getLogger(__name__)
READY = "Ready!"


def find_stripe_cli(configured: str | None = None) -> str | None:
    """The configured path, else ``stripe`` on PATH, else the copy npm installed beside the project."""
    if configured:
        return configured if Path(configured).is_file() and os.access(configured, os.X_OK) else None
    found = shutil.which("stripe")
    if found:
        return found
    modules = Path(__file__).resolve().parents[1] / "node_modules"
    for candidate in sorted(modules.glob("@stripe/cli-*/bin/stripe")) + [modules / ".bin" / "stripe"]:
        if candidate.exists() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


class StripeCli:
    def __init__(self, binary: str, api_key: str, forward_to: str, events: tuple[str, ...], *,
                 api_base: str | None = None, on_state: Callable[[str, str], None] = lambda s, m: None,
                 on_secret: Callable[[str], None] = lambda s: None,
                 on_started: Callable[[], Awaitable[None]] | None = None,
                 max_backoff: float = 60.0, clock_jump_seconds: float = 30.0, watch_interval: float = 5.0,
                 wall_clock: Callable[[], float] = time.time):
        self.binary = binary
        self.api_key = api_key
        self.forward_to = forward_to
        self.events = events
        self.api_base = api_base
        self.on_state = on_state
        self.on_secret = on_secret
        self.on_started = on_started
        self._started: set[asyncio.Task] = set()
        self.max_backoff = max_backoff
        self.clock_jump_seconds = clock_jump_seconds
        self.watch_interval = watch_interval
        self.wall_clock = wall_clock
        self.restarts = 0
        self._process: asyncio.subprocess.Process | None = None
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._watch: asyncio.Task | None = None

    def _env(self) -> dict[str, str]:
        env = dict(os.environ, STRIPE_API_KEY=self.api_key)
        env.pop("STRIPE_DEVICE_NAME", None)
        return env

    def _base_args(self) -> list[str]:
        args = ["listen", "--skip-update"]
        if self.api_base:
            args += ["--api-base", self.api_base, "--no-wss"]
        return args

    async def print_secret(self) -> str:
        # Its own process group, as ``listen``'s: npm's shim runs the real binary as a child.
        proc = await asyncio.create_subprocess_exec(
            self.binary, *self._base_args(), "--print-secret", env=self._env(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        except BaseException:            # cancelled (the relay stopping) or timed out: nothing left behind
            _signal_group(proc.pid, signal.SIGKILL)
            await _read_to_the_end(proc)
            raise
        secret = out.decode().strip()
        if proc.returncode != 0 or not secret.startswith("whsec_"):
            raise RuntimeError(f"stripe listen --print-secret failed: {_last_line(err)}")
        return secret

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="stripe-cli")
        self._watch = asyncio.create_task(self._watch_clock(), name="stripe-cli-clock")

    async def stop(self) -> None:
        self._stopping = True
        for task in (self._watch, self._task, *self._started):
            if task:
                task.cancel()
        await asyncio.gather(*self._started, return_exceptions=True)
        await self._terminate()
        for task in (self._watch, self._task):
            if task:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await _read_to_the_end(self._process)
        self.on_state("stopped", "the Stripe CLI was stopped")

    async def restart(self, reason: str) -> None:
        """Kill the running CLI; the run loop starts it again and catches up."""
        log.warning("restarting the Stripe CLI: %s", reason)
        await self._terminate()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.returncode is None else None

    async def _terminate(self) -> None:
        proc = self._process
        if proc and proc.returncode is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout=5)
            except TimeoutError:
                _signal_group(proc.pid, signal.SIGKILL)
                await proc.wait()

    async def _run(self) -> None:
        backoff = 1.0
        while not self._stopping:
            started = time.monotonic()
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: said, then the CLI starts again
                self.on_state("error", f"the Stripe CLI failed: {exc}")
                log.warning("stripe cli: %s", exc)
            if self._stopping:
                return
            if time.monotonic() - started > 60:
                backoff = 1.0
            self.restarts += 1
            self.on_state("restarting", f"the Stripe CLI stopped; starting it again in {backoff:.0f} s")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def _run_once(self) -> None:
        self.on_state("starting", "starting the Stripe CLI")
        self.on_secret(await self.print_secret())
        args = self._base_args() + ["--forward-to", self.forward_to, "--events", ",".join(self.events)]
        # Its own process group: npm's shim runs the real binary as a child, and both must stop together.
        self._process = proc = await asyncio.create_subprocess_exec(
            self.binary, *args, env=self._env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True)
        drain = asyncio.create_task(_drain(proc.stdout, log.debug))
        last = ""
        try:
            async for raw in proc.stderr:
                line = raw.decode(errors="replace").strip()
                if not line:
                    continue
                last = line
                if READY in line:
                    self.on_state("listening", "listening via the Stripe CLI")
                    if self.on_started:
                        started = asyncio.create_task(self.on_started(), name="stripe-cli-started")
                        self._started.add(started)          # held, so it is neither collected nor orphaned
                        started.add_done_callback(self._started.discard)
                elif "level=fatal" in line or "level=error" in line:
                    log.warning("stripe cli: %s", line)
                else:
                    log.debug("stripe cli: %s", line)
            await proc.wait()
        finally:
            drain.cancel()
        if not self._stopping:
            raise RuntimeError(f"it exited with code {proc.returncode} ({last[:200]})")

    async def _watch_clock(self) -> None:
        """A wall clock that jumps ahead of the monotonic clock means the computer slept."""
        wall, mono = self.wall_clock(), time.monotonic()
        while True:
            await asyncio.sleep(self.watch_interval)
            now_wall, now_mono = self.wall_clock(), time.monotonic()
            if (now_wall - wall) - (now_mono - mono) > self.clock_jump_seconds:
                await self.restart("the computer was asleep")
            wall, mono = now_wall, now_mono


async def _read_to_the_end(proc: asyncio.subprocess.Process | None) -> None:
    """A stopped CLI's pipes read to their end, so that its transport closes now, on this loop, rather than
    when a later garbage collection finds it (after the relay's loop closed, in the window: an error)."""
    if proc is None:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(proc.communicate(), 5)
    await asyncio.sleep(0)


async def _drain(stream, sink) -> None:
    async for raw in stream:
        sink("stripe cli: %s", raw.decode(errors="replace").rstrip())


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _last_line(data: bytes) -> str:
    lines = [line for line in data.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"
