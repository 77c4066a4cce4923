"""The parse worker: a child process (``python -m adapters.inbound.budget_worker``) that reads
messages from its parent over a pipe, one at a time, until the parent hangs up.

Frames are an 8-byte big-endian length and a pickle. The first frame is the parent's
``sys.path`` and the callable that builds the parser; then each request is a frame
``(kind, sender, size)`` followed by the raw message's ``size`` bytes, and each answer is
``(result, retire)``. Only the parent writes to this process, and only this process to the
parent: neither ever unpickles a stranger's bytes.
"""

from __future__ import annotations

import os
import pickle
import resource
import sys
import threading
import time
from collections.abc import Callable
from typing import BinaryIO, cast

from adapters.inbound.parser import EmailCalendarParser
from application.ports import MessageParser

# A worker that has grown by this much since it started (a big message leaves its heap
# larger: freed memory mostly stays with the process) is replaced after answering.
_MOST_GROWTH = 16 * 1024 * 1024
_MOST_MESSAGES_PER_WORKER = 2000
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# A request in a zone only its VTIMEZONE defines: reading it loads what the first message
# would (icalendar's lazy imports, the IANA zones a custom zone is matched against, ~10 MB).
_WARM_UP = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//cis//warm-up//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VTIMEZONE\r\nTZID:Warm-up\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n"
    b"TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    b"END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\n"
    b"TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    b"END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:warm-up\r\nDTSTAMP:20250101T000000Z\r\n"
    b"DTSTART;TZID=Warm-up:20250101T090000\r\nORGANIZER:mailto:a@example.com\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def frame(value: object) -> bytes:
    """Return ``value`` pickled behind its length."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(8, "big") + data


def _read(stream: BinaryIO) -> object:
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError
    data = stream.read(int.from_bytes(header, "big"))
    return pickle.loads(data)  # noqa: S301 - the parent's own frames


def _resident() -> int:
    """Return this process's resident memory in bytes (its peak where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _watch_parent() -> None:
    """End this worker when its parent is gone (killed with SIGKILL, say): a message being
    read here would otherwise go on for ever with nobody left to kill it."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer parse requests until the parent hangs up (or this worker has grown too much)."""
    threading.Thread(target=_watch_parent, name="cis-parent-watch", daemon=True).start()
    try:
        path, make = cast(tuple[list[str], Callable[[], MessageParser]], _read(requests))
    except EOFError:
        return
    sys.path[:] = path
    parser = make()
    # With the real parser, so that ``make()``'s sees only messages.
    EmailCalendarParser().parse(_WARM_UP)
    served, started = 0, _resident()
    while True:
        try:
            kind, sender, size = cast(tuple[str, str | None, int], _read(requests))
        except EOFError:
            return
        raw = requests.read(size)  # the message itself follows unpickled: no second copy
        result = parser.parse_list(raw) if kind == "list" else parser.parse(raw, sender=sender)
        del raw
        served += 1
        retire = _resident() - started > _MOST_GROWTH or served >= _MOST_MESSAGES_PER_WORKER
        answers.write(frame((result, retire)))
        answers.flush()
        if retire:
            return


def main() -> None:
    """Serve on stdin/stdout; anything the parser prints goes to stderr, not to the parent."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
