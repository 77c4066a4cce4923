"""DKIM for the mail the server sends itself (SMTP, and the outbox folder's kept copies).

One RSA key per selector, kept in ``<data>/dkim/<selector>.private`` (PKCS#1 PEM, mode 0600),
its public half published as ``<selector>._domainkey.<domain>`` TXT. A message is signed only
when its From domain is the signing domain or a subdomain of it: DMARC passes on DKIM only
when ``d=`` aligns with the From domain, and a signature that cannot align buys nothing.
SES signs on its own (Easy DKIM), so this is never wired to the SES mailer.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import stat
import threading
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from pathlib import Path

import dkim
from Crypto.PublicKey import RSA  # pycryptodome, which eventsourcing[crypto] brings

from adapters.files import write_atomically

log = logging.getLogger(__name__)

# What a receiver shows a person or acts on; From is signed once more than it appears, so a
# second From added on the way breaks the signature (RFC 6376 8.15).
SIGNED_HEADERS = (
    "from",
    "reply-to",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "list-unsubscribe",
    "list-unsubscribe-post",
)
OVERSIGNED = ("from",)
CANONICALIZATION = (b"relaxed", b"relaxed")
DEFAULT_BITS = 2048
# RFC 8301: verifiers must refuse keys under 1024 bits; 4096 still fits a TXT record.
MIN_BITS, MAX_BITS = 1024, 4096
# One character-string of a TXT record holds at most 255 octets (RFC 1035 3.3).
TXT_STRING = 255

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_LINE_END = re.compile(rb"\r\n|\n|\r(?!\n)")


class DkimKeyError(ValueError):
    """A DKIM key that cannot be used (missing, readable by others, unreadable, too short);
    the message says which file and what to do."""


@dataclass(frozen=True)
class DkimRecord:
    """The DNS TXT record that publishes a selector's public key."""

    selector: str
    domain: str
    value: str
    key_file: Path
    bits: int

    @property
    def name(self) -> str:
        """The record's owner name, ``<selector>._domainkey.<domain>``."""
        return f"{self.selector}._domainkey.{self.domain}"

    def strings(self) -> list[str]:
        """The value cut into the at most 255-character strings one TXT record holds."""
        return [self.value[i : i + TXT_STRING] for i in range(0, len(self.value), TXT_STRING)]

    def zone_line(self) -> str:
        """The record as a zone-file line (the strings are joined by resolvers, unspaced)."""
        quoted = " ".join(f'"{part}"' for part in self.strings())
        return f"{self.name}. IN TXT ( {quoted} )"


def checked_name(kind: str, value: str) -> str:
    """Return ``value`` lower-cased if it is a DNS name (ASCII labels), else raise ValueError."""
    name = value.strip().lower().rstrip(".")
    if len(name) > 253 or not _NAME.fullmatch(name):
        msg = f"{kind} {value!r} is not a DNS name (letters, digits, hyphens, dots; ASCII)"
        raise ValueError(msg)
    return name


def key_path(folder: Path, selector: str) -> Path:
    """Where ``cis dkim keygen`` keeps a selector's private key."""
    return folder / f"{checked_name('selector', selector)}.private"


def read_private_key(path: Path) -> bytes:
    """Return the PEM bytes of the key at ``path``; refuse a key others may read, like ssh."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        msg = (
            f"no DKIM private key at {path}: make one with `cis dkim keygen`, or point "
            "CIS_DKIM_PRIVATE_KEY_FILE at yours"
        )
        raise DkimKeyError(msg) from None
    except OSError as error:
        msg = f"cannot read the DKIM private key {path}: {error.strerror or error}"
        raise DkimKeyError(msg) from None
    try:
        # fstat of what was opened: the mode checked is that of the bytes read.
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DkimKeyError(f"the DKIM private key {path} is not a regular file")
        if mode & 0o077:
            msg = (
                f"the DKIM private key {path} has permissions {stat.S_IMODE(mode):04o}: it "
                f"must be readable by its owner only; run `chmod 600 {path}` (and replace the "
                "key if others may have read it)"
            )
            raise DkimKeyError(msg)
        with os.fdopen(os.dup(fd), "rb") as handle:
            pem: bytes = handle.read()
            return pem
    finally:
        os.close(fd)


def usable_key(pem: bytes, path: Path) -> tuple[bytes, int]:
    """Return the RSA private key ``pem`` as dkimpy signs with it (PKCS#1 PEM; PKCS#8 keys,
    as ``openssl genpkey`` makes them, are taken too) and its size; DkimKeyError if it
    cannot sign."""
    try:
        key = RSA.import_key(pem)
    except (ValueError, IndexError, TypeError):
        # Never the key's bytes in a message: only what kind of file it is not.
        msg = (
            f"{path} is not an unencrypted RSA private key in PEM; make one with `cis dkim keygen`"
        )
        raise DkimKeyError(msg) from None
    if not key.has_private():
        raise DkimKeyError(f"{path} holds a public key; the mailer needs the private key")
    bits: int = key.size_in_bits()
    if bits < MIN_BITS:
        msg = f"the DKIM key {path} has {bits} bits; receivers refuse keys under {MIN_BITS}"
        raise DkimKeyError(msg)
    pkcs1: bytes = key.export_key(format="PEM", pkcs=1)
    return pkcs1, bits


def public_value(pem: bytes) -> str:
    """Return the TXT value publishing the public half of the RSA key ``pem``."""
    public: bytes = RSA.import_key(pem).public_key().export_key(format="DER")  # an SPKI
    return f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode('ascii')}"


def generate(folder: Path, selector: str, domain: str, bits: int = DEFAULT_BITS) -> DkimRecord:
    """Make a key pair for ``selector``, keep the private key in ``folder`` (0600) and
    return the record to publish. An existing key is never replaced: it may be published
    and signing with it, so a new key takes a new selector."""
    selector = checked_name("selector", selector)
    domain = checked_name("domain", domain)
    if not MIN_BITS <= bits <= MAX_BITS:
        raise ValueError(f"--bits must be between {MIN_BITS} and {MAX_BITS}")
    path = key_path(folder, selector)
    if path.exists():
        msg = (
            f"a key for selector {selector!r} exists already ({path}); `cis dkim show` prints "
            "its record, and a new key takes a new selector (publish it, then switch)"
        )
        raise DkimKeyError(msg)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = RSA.generate(bits).export_key(format="PEM", pkcs=1)
    # Written 0600 through a temporary file: nobody ever reads half a key or a readable one.
    write_atomically(str(path), pem, fsync=True)
    return DkimRecord(selector, domain, public_value(pem), path, bits)


def record(path: Path, selector: str, domain: str) -> DkimRecord:
    """Return the record publishing the key at ``path`` (checked as the signer checks it)."""
    pem, bits = usable_key(read_private_key(path), path)
    selector, domain = checked_name("selector", selector), checked_name("domain", domain)
    return DkimRecord(selector, domain, public_value(pem), path, bits)


class DkimSigner:
    """Signs outbound messages for one domain with one key (rsa-sha256, relaxed/relaxed)."""

    def __init__(self, selector: str, domain: str, pem: bytes, *, key_file: Path) -> None:
        self.selector = checked_name("selector", selector)
        self.domain = checked_name("domain", domain)
        self._pem, self.bits = usable_key(pem, key_file)
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path, selector: str, domain: str) -> DkimSigner:
        """Return a signer with the key at ``path``; DkimKeyError if it is unusable."""
        return cls(selector, domain, read_private_key(path), key_file=path)

    def __repr__(self) -> str:
        # Never the key: a signer may end up in a log or a traceback.
        return f"DkimSigner(selector={self.selector!r}, domain={self.domain!r})"

    def aligned(self, from_domain: str) -> bool:
        """Whether a signature of this domain aligns with mail From ``from_domain``."""
        return from_domain == self.domain or from_domain.endswith("." + self.domain)

    def sign(self, data: bytes) -> bytes:
        """Return ``data`` with CRLF line ends and a DKIM-Signature on top; unsigned (with one
        warning per From domain) when its From is not of the signing domain."""
        wire = _LINE_END.sub(b"\r\n", data)
        headers = BytesHeaderParser(policy=compat32).parsebytes(wire)
        from_domain = single_from_domain(headers.get_all("From") or [])
        if from_domain is None or not self.aligned(from_domain):
            self._warn_once(from_domain or "(no single From address)")
            return wire
        present = [name.lower() for name in headers.keys()]  # noqa: SIM118 - every occurrence
        names = [name for name in SIGNED_HEADERS for _ in range(present.count(name))]
        names += [name for name in OVERSIGNED if name in present]
        signature: bytes = dkim.sign(
            wire,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self._pem,
            canonicalize=CANONICALIZATION,
            include_headers=[name.encode("ascii") for name in names],
        )
        return signature + wire

    def _warn_once(self, from_domain: str) -> None:
        with self._lock:
            if from_domain in self._warned:
                return
            self._warned.add(from_domain)
        log.warning(
            "mail From %s is sent without a DKIM signature: the key signs for %s, and DMARC "
            "aligns a signature only with that domain or its subdomains (set CIS_DKIM_DOMAIN "
            "or CIS_SENDER so they match)",
            from_domain,
            self.domain,
        )


def single_from_domain(values: list[str]) -> str | None:
    """Return the lower-cased domain of a message's one From address, or None if it has
    none or several (DMARC then has no one domain to align with)."""
    addresses = [address for _, address in getaddresses([str(v) for v in values]) if address]
    if len(addresses) != 1 or "@" not in addresses[0]:
        return None
    return addresses[0].rpartition("@")[2].strip().lower().rstrip(".") or None
