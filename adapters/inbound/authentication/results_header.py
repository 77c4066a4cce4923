"""Reading ``Authentication-Results`` (RFC 8601) as a trusted MTA wrote it, SES's variant too.

Tokenized by hand rather than with ``authres``: Amazon SES writes clauses such as
``envelope-from=a@example.com;`` that a strict RFC 8601 parser rejects as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

# Real headers are a few hundred octets; a bound keeps hostile ones cheap to refuse.
MAX_LENGTH = 16 * 1024
_FOLD = re.compile(r"\r?\n(?=[ \t])")


@dataclass(frozen=True)
class ResultClause:
    """One ``method=result`` clause and its ``ptype.property=value`` properties."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ResultsHeader:
    """One parsed header: who wrote it (authserv-id, lower case) and its clauses in order."""

    authserv_id: str
    clauses: tuple[ResultClause, ...] = ()

    def first(self, method: str) -> ResultClause | None:
        """Return the first clause of ``method``, or None."""
        return next((c for c in self.clauses if c.method == method), None)


def _tokens(text: str) -> list[list[str]]:
    """Split into clauses (at ``;``) of tokens: words, quoted strings and ``=``; drop comments."""
    clauses: list[list[str]] = [[]]
    word: list[str] = []
    depth, quoted, escaped = 0, False, False

    def flush() -> None:
        if word:
            clauses[-1].append("".join(word))
            word.clear()

    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                word.append(char)
        elif char == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = char != '"'
            if quoted:
                word.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            flush()
        elif depth:
            continue
        elif char == '"':
            quoted = True
        elif char in " \t\r\n":
            flush()
        elif char in ";=":
            flush()
            if char == ";":
                clauses.append([])
            else:
                clauses[-1].append("=")
        else:
            word.append(char)
    if quoted or depth:
        raise ValueError("unterminated quoted string or comment")
    flush()
    return clauses


def _pairs(tokens: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        if i + 2 < len(tokens) and tokens[i + 1] == "=" and tokens[i] != "=":
            pairs.append((tokens[i], tokens[i + 2]))
            i += 3
        else:
            pairs.append((tokens[i], ""))
            i += 1
    return pairs


def parse_results(value: str) -> ResultsHeader | None:
    """Parse one header value; return None when it is unreadable or too long."""
    if len(value) > MAX_LENGTH:
        return None
    try:
        clauses = _tokens(_FOLD.sub("", value))
    except ValueError:
        return None
    head = clauses[0]
    if not head or head[0] == "=":
        return None
    parsed: list[ResultClause] = []
    for tokens in clauses[1:]:
        pairs = _pairs(tokens)
        if not pairs or not pairs[0][1]:
            continue  # "none", or an empty clause after a trailing ";"
        method, result = pairs[0]
        properties: dict[str, str] = {}
        for key, prop in pairs[1:]:
            if "." in key:
                properties.setdefault(key.lower(), prop)
        parsed.append(ResultClause(method.split("/")[0].lower(), result.lower(), properties))
    return ResultsHeader(head[0].lower().rstrip("."), tuple(parsed))


def topmost(headers: Message) -> tuple[ResultsHeader | None, str | None]:
    """Return the topmost Authentication-Results header parsed, or (None, why not)."""
    values = headers.get_all("Authentication-Results") or []
    if not values:
        return None, None
    parsed = parse_results(str(values[0]))
    return (parsed, None) if parsed else (None, "topmost Authentication-Results unreadable")
