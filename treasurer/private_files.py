"""The books' files are their owner's alone (on POSIX): the data folder 0700; the database with its
WAL, shared-memory and journal files, backups, exports, packets and logs 0600.

A member roll, a ledger or a backup readable by every account on the computer is the books handed to
whoever logs in next. Three layers, each cheap:

* the entry points run under ``private_umask()``, so every file the process creates (SQLite's own
  ``-wal``/``-shm``/``-journal`` included) is born private;
* files the app writes on purpose use ``private_open``/``write_private``/``protect``, which also take an
  existing file's permissions down to 0600 when it is overwritten;
* ``open_to_others`` names what an existing folder open to others shows them, with the command that fixes
  it (the app does not silently change the permissions of a folder someone set up).

On Windows these are no-ops: the user profile's ACLs already keep other accounts out.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import stat
from collections.abc import Iterator
from pathlib import Path

POSIX = os.name == "posix"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_OTHERS = 0o077          # every permission bit for the group and for everyone else
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders created inside the block are readable by their owner alone."""
    if not POSIX:
        yield
        return
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def make_private_dir(path: str | os.PathLike) -> Path:
    """Create the folder (and its parents) if needed; a folder created here is 0700.

    An existing folder keeps its permissions: ``open_to_others`` tells its owner how to close it.
    """
    folder = Path(path)
    if folder.is_dir():
        return folder
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if POSIX:
        os.chmod(folder, PRIVATE_DIR)    # mkdir's mode is filtered by the umask; say it outright
    return folder


def protect(path: str | os.PathLike) -> bool:
    """Make an existing file 0600; False if it is not there or cannot be changed (another user's file, a
    read-only disk): ``open_to_others`` still reports it."""
    if not POSIX:
        return True
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):    # a link's target is not ours to change
            return False
        os.chmod(path, PRIVATE_FILE)
    except OSError:
        return False
    return True


def protect_database(path: str | os.PathLike | None) -> None:
    """A SQLite file and whichever of its ``-wal``, ``-shm`` and ``-journal`` files exist, 0600."""
    if path is None:
        return
    for suffix in ("", *SQLITE_COMPANIONS):
        companion = Path(f"{os.fspath(path)}{suffix}")
        if companion.exists():
            protect(companion)


def _private_opener(path: str, flags: int) -> int:
    fd = os.open(path, flags, PRIVATE_FILE)
    if POSIX:
        try:
            os.fchmod(fd, PRIVATE_FILE)      # an existing file keeps its old mode through O_CREAT
        except OSError:
            pass
    return fd


def private_open(path: str | os.PathLike, mode: str = "w", **kwargs):
    """``open()`` for a file the app writes (an export, a log): created or left 0600."""
    return open(path, mode, opener=_private_opener, **kwargs)


def write_private(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8",
                  newline: str | None = None) -> Path:
    """Write the whole file (text or bytes), 0600."""
    if isinstance(data, bytes):
        with private_open(path, "wb") as fh:
            fh.write(data)
    else:
        with private_open(path, "w", encoding=encoding, newline=newline) as fh:
            fh.write(data)
    return Path(path)


def open_to_others(data_dir: str | os.PathLike) -> str | None:
    """A one-sentence warning if the data folder, or anything in it, can be read or changed by other
    users of this computer, with the command that fixes it; None when all is private (or not POSIX)."""
    if not POSIX:
        return None
    folder = Path(data_dir).absolute()
    try:
        exposed = _exposed(folder)
    except OSError:
        return None
    if not exposed:
        return None
    quoted = shlex.quote(str(folder))
    shown = ", ".join(exposed[:3]) + (f" and {len(exposed) - 3} more" if len(exposed) > 3 else "")
    return (f"Other users of this computer can read or change the hall's data folder {folder} ({shown}); "
            f"make it yours alone with: chmod -R go= {quoted}")


def _exposed(folder: Path) -> list[str]:
    """What in the folder has permission bits for the group or others, as names relative to it; nothing
    when the folder itself is closed to them (then nothing inside can be reached)."""
    if not folder.is_dir() or not stat.S_IMODE(folder.stat().st_mode) & _OTHERS:
        return []
    found = ["the folder itself"]
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            path = Path(root) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                continue
            if stat.S_IMODE(info.st_mode) & _OTHERS:
                found.append(str(path.relative_to(folder)) + ("/" if stat.S_ISDIR(info.st_mode) else ""))
    return found
