"""Parsers injected through the composition root (``parser_factory``) by the hostile-input
tests. They run in the parse worker processes, so this module imports little: a worker
imports it on start."""

from __future__ import annotations

import time
from pathlib import Path

from adapters.inbound.parser import EmailCalendarParser
from application.ports import MessageParser
from domain.messages import ListRequest, ParsedMessage, Unusable

STALL = b"X-Stall: forever"


class CountingParser(MessageParser):
    """The real parser, noting each message it reads as a line in a file (it may run in a
    worker process, so the count lives on disk)."""

    def __init__(self, tally: Path) -> None:
        self.tally, self.inner = tally, EmailCalendarParser()

    def parse(self, raw: bytes, *, sender: str | None = None) -> ParsedMessage:
        with self.tally.open("a") as tally:
            tally.write("parse\n")
        return self.inner.parse(raw, sender=sender)

    def parse_list(self, raw: bytes) -> ListRequest | Unusable:
        return self.inner.parse_list(raw)


class StallingParser(CountingParser):
    """The real parser, except that a message with an X-Stall header is never finished: a
    bomb no bound in the parser foresaw. It says so in ``started`` first."""

    def parse(self, raw: bytes, *, sender: str | None = None) -> ParsedMessage:
        if STALL in raw:
            self.tally.write_text("started")
            while True:
                time.sleep(1)
        return self.inner.parse(raw, sender=sender)
