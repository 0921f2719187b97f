"""The PyInstaller bundle (build.spec), run as a treasurer would: its commands, relay, sandbox and window.

The build takes about a minute, so the default test run does not make one: ``.ci/run`` builds
``dist/treasurer`` after the main test run and then runs this file with ``TREASURER_BUNDLE`` set:

    .venv/bin/pyinstaller --noconfirm build.spec
    TREASURER_BUNDLE=dist/treasurer/treasurer .venv/bin/python -m pytest tests/test_bundle.py

Under ``CI=true`` the window is also shown on a real X server (Xvfb), where ``xwininfo`` can see that the
main window opened and that no error box did.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

BUNDLE = os.environ.get("TREASURER_BUNDLE")
CI = os.environ.get("CI") == "true"

pytestmark = pytest.mark.skipif(not BUNDLE, reason="no bundle to test: build one with build.spec and set "
                                                   "TREASURER_BUNDLE=dist/treasurer/treasurer")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(tmp_path) -> dict:
    """A clean user: its own home (Qt settings, keyring), no Stripe key, no inherited hall."""
    home = tmp_path / "home"
    home.mkdir()
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("TREASURER_", "STRIPE_", "QT_", "PYTHON")) and k not in ("DISPLAY", "VIRTUAL_ENV")}
    clean.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local"))
    clean["PATH"] = "/usr/bin:/bin"  # the bundle needs nothing from the venv or node_modules
    return clean


def bundled(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(BUNDLE).resolve()), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd="/")


def _applied(status: str) -> int:
    """The events applied, from 'treasurer relay status' ("events: 30 (26 applied, 4 ignored)")."""
    found = re.search(r"\b(\d+) applied", status)
    return int(found.group(1)) if found else 0


@pytest.fixture
def demo_hall(tmp_path, env) -> Path:
    data = tmp_path / "hall"
    done = bundled("--data-dir", str(data), "demo", "--members", "60", "--months", "6", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Demo hall ready")
    return data


def test_version(env):
    done = bundled("--version", env=env)
    assert done.returncode == 0 and re.fullmatch(r"Hall Treasurer \d+\.\d+\.\d+\n", done.stdout), done


def test_the_bundle_carries_its_resources_and_plugins_and_leaves_out_qtwebengine():
    internal = Path(BUNDLE).resolve().parent / "_internal"
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for needed in ("platforms/libqoffscreen.so", "platforms/libqxcb.so", "imageformats/libqsvg.so",
                   "iconengines/libqsvgicon.so"):
        assert (plugins / needed).is_file(), needed
    assert list((plugins / "printsupport").glob("*.so")), "no print support plugin"
    assert (internal / "resources" / "style.qss").is_file() and list((internal / "resources" / "icons").glob("*.svg"))
    assert list((internal / "treasurer" / "migrations" / "versions").glob("0001_*.py"))
    unwanted = [p.name for p in internal.rglob("*") if re.match(r"libQt6(WebEngine|Quick|Qml)", p.name)]
    assert unwanted == []


def test_the_command_line_in_the_bundle(demo_hall, env, tmp_path):
    """Migrations (loaded from files), the ledger, the audit chain, backups and restore."""
    data = str(demo_hall)
    done = bundled("--data-dir", data, "audit", "verify", env=env)
    assert done.returncode == 0 and done.stdout.startswith("audit chain OK"), done.stderr
    done = bundled("--data-dir", data, "arrears", env=env)
    assert done.returncode == 0, done.stderr
    done = bundled("--data-dir", data, "backup", "--auto", env=env)
    assert done.returncode == 0 and "Backed up to" in done.stdout, done.stderr
    copy = next((demo_hall / "backups").glob("treasurer-*.sqlite3"))
    done = bundled("--data-dir", data, "restore", str(copy), env=env)
    assert done.returncode == 0 and "kept as" in done.stdout, done.stderr
    done = bundled("--data-dir", data, "member", "show", "100001", env=env)
    assert done.returncode == 0 and "100001" in done.stdout, done.stderr
    done = bundled("--data-dir", data, "pay", "100001", "12.34", "--method", "cash", env=env)
    assert done.returncode == 0, done.stderr
    done = bundled("--data-dir", data, "pay", "100001", "12.345", "--method", "cash", env=env)
    assert done.returncode == 1 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_the_bundle_keeps_books_on_postgresql(env, tmp_path):
    server = os.environ.get("TREASURER_TEST_POSTGRES_URL")
    if not server:
        if CI:
            pytest.fail("TREASURER_TEST_POSTGRES_URL is not set: CI runs the bundle against PostgreSQL too.")
        pytest.skip("no PostgreSQL server")
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"treasurer_bundle_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        data = str(tmp_path / "pg-hall")
        done = bundled("--data-dir", data, "--database-url", url, "demo", "--members", "30", "--months", "4",
                       env=env)
        assert done.returncode == 0, done.stderr
        done = bundled("--data-dir", data, "--database-url", url, "audit", "verify", env=env)
        assert done.returncode == 0 and done.stdout.startswith("audit chain OK"), done.stderr
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _wait_http(url: str, timeout: float = 30, **kwargs) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, **kwargs), timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _stop(proc: subprocess.Popen, timeout: float = 30) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("the bundled program did not stop on SIGTERM")


def test_the_bundled_sandbox_and_relay_record_a_signed_webhook(demo_hall, env, tmp_path):
    import base64

    sandbox_port, relay_port = free_port(), free_port()
    sandbox = subprocess.Popen([BUNDLE, "sandbox", "serve", "--port", str(sandbox_port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    secret = "whsec_bundle_test"
    relay = subprocess.Popen([BUNDLE, "--data-dir", str(demo_hall), "relay", "run", "--mode", "webhook",
                              "--port", str(relay_port)], env=dict(env, STRIPE_WEBHOOK_SECRET=secret),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The demo's own online payments are in the books already: count on from them.
        before = _applied(bundled("--data-dir", str(demo_hall), "relay", "status", env=env).stdout)
        auth = "Basic " + base64.b64encode(b"sk_test_bundle:").decode()
        assert _wait_http(f"http://127.0.0.1:{sandbox_port}/v1/balance", headers={"Authorization": auth}) == 200
        event = json.dumps({
            "id": "evt_bundle_0001", "object": "event", "type": "payment_intent.succeeded",
            "created": int(time.time()), "livemode": False, "api_version": "2025-01-27",
            "data": {"object": {"id": "pi_bundle_0001", "object": "payment_intent", "amount": 4321,
                                "amount_received": 4321, "currency": "usd", "status": "succeeded",
                                "payment_method_types": ["card"], "metadata": {"member_number": "100002"}}}})
        stamp = int(time.time())
        signature = hmac.new(secret.encode(), f"{stamp}.{event}".encode(), hashlib.sha256).hexdigest()
        url = f"http://127.0.0.1:{relay_port}/stripe/webhook"
        unsigned = _wait_http(url, data=event.encode(), method="POST", headers={"Content-Type": "application/json"})
        assert unsigned == 400  # no signature: refused
        status = _wait_http(url, data=event.encode(), method="POST", headers={
            "Stripe-Signature": f"t={stamp},v1={signature}", "Content-Type": "application/json"})
        assert status == 200
        deadline = time.monotonic() + 30
        while True:
            done = bundled("--data-dir", str(demo_hall), "relay", "status", env=env)
            if _applied(done.stdout) > before or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert _applied(done.stdout) == before + 1, done.stdout + done.stderr
    finally:
        relay_code, sandbox_code = _stop(relay), _stop(sandbox)
    relay_err = relay.stderr.read()
    assert relay_code == 0 and "Traceback" not in relay_err, relay_err
    assert sandbox_code in (0, -signal.SIGTERM) and "Traceback" not in sandbox.stderr.read()
    shown = bundled("--data-dir", str(demo_hall), "audit", "log", "--limit", "5", env=env)
    assert "pi_bundle_0001" in shown.stdout or "payment.record" in shown.stdout, shown.stdout


def _no_crash(data: Path, stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert not (data / "logs" / "treasurer-errors.log").exists(), (data / "logs" / "treasurer-errors.log").read_text()


def test_the_window_starts_offscreen_and_stops_on_sigterm(demo_hall, env, tmp_path):
    """Starts, stays up, no traceback, stops on SIGTERM. (An error box would pass too: the X test sees it.)"""
    errors = tmp_path / "gui.err"
    with errors.open("w") as err:
        gui = subprocess.Popen([BUNDLE, "--data-dir", str(demo_hall)], env=dict(env, QT_QPA_PLATFORM="offscreen"),
                               stdout=subprocess.DEVNULL, stderr=err)
        try:
            time.sleep(8)
            assert gui.poll() is None, f"the window exited by itself ({gui.returncode}): {errors.read_text()}"
        finally:
            code = _stop(gui)
    assert code in (0, -signal.SIGTERM), code
    _no_crash(demo_hall, errors.read_text())


X_TOOLS = shutil.which("Xvfb") and shutil.which("xwininfo")


@pytest.mark.skipif(not X_TOOLS and not CI, reason="needs Xvfb and xwininfo (apt: xvfb x11-utils)")
def test_the_main_window_opens_on_a_real_x_server(demo_hall, env, tmp_path):
    """Offscreen, an error box and the main window look alike from outside; on X their titles differ."""
    assert X_TOOLS, "CI must have Xvfb and xwininfo (.ci/run installs xvfb x11-utils)"
    read_end, write_end = os.pipe()  # Xvfb picks a free display and says which on this pipe
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1600x1000x24", "-nolisten",
                             "tcp"], pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as said:
        display = ":" + said.readline().strip()
    errors = tmp_path / "gui.err"
    x_env = dict(env, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    try:
        assert display != ":", "Xvfb did not start"
        with errors.open("w") as err:
            gui = subprocess.Popen([BUNDLE, "--data-dir", str(demo_hall)], env=x_env, stdout=subprocess.DEVNULL,
                                   stderr=err)
            try:
                deadline = time.monotonic() + 40
                titles: list[tuple[str, int, int]] = []
                while time.monotonic() < deadline and gui.poll() is None:
                    tree = subprocess.run(["xwininfo", "-root", "-tree"], env=x_env, capture_output=True,
                                          text=True, timeout=10).stdout
                    titles = [(m[1], int(m[2]), int(m[3]))
                              for m in re.finditer(r'"(Hall Treasurer[^"]*)":.*?(\d+)x(\d+)\+', tree)]
                    if any(t.startswith("Hall Treasurer — ") for t, _, _ in titles):
                        break
                    time.sleep(0.5)
                time.sleep(2)  # an error box would come up just after the window
                tree = subprocess.run(["xwininfo", "-root", "-tree"], env=x_env, capture_output=True, text=True,
                                      timeout=10).stdout
                titles = [(m[1], int(m[2]), int(m[3]))
                          for m in re.finditer(r'"(Hall Treasurer[^"]*)":.*?(\d+)x(\d+)\+', tree)]
                assert gui.poll() is None, f"the window exited by itself: {errors.read_text()}"
                main = [(t, w, h) for t, w, h in titles if t.startswith("Hall Treasurer — ")]
                boxes = [(t, w, h) for t, w, h in titles if t == "Hall Treasurer" and w > 1 and h > 1]
                assert main and main[0][1] >= 800 and main[0][2] >= 500, titles
                assert "(demo)" in main[0][0] and not boxes, titles
            finally:
                code = _stop(gui)
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    assert code in (0, -signal.SIGTERM), code
    _no_crash(demo_hall, errors.read_text())
