"""A mailer that hands messages to an SMTP server (STARTTLS or implicit TLS, optional AUTH)."""

from __future__ import annotations

import re
import smtplib
import ssl
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from adapters.mail.smtp_replies import delivery_error, queue_id
from application.ports import Mailer, OutgoingMail

if TYPE_CHECKING:
    from adapters.mail.dkim import DkimSigner

LINE_END = re.compile(rb"\r\n|\n|\r(?!\n)")


class SmtpMailer(Mailer):
    """Sends over one kept-open SMTP connection, reconnecting when the server has dropped it."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        starttls: bool | Literal["auto"] = "auto",
        implicit_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        signer: DkimSigner | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.starttls, self.implicit_tls = starttls, implicit_tls
        self.username, self.password = username, password
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname
        self.signer = signer
        self.where = f"smtp:{host}:{port}"
        self._connection: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def send(self, mail: OutgoingMail) -> str:
        """Deliver ``mail`` to its one recipient (DKIM-signed when a signer is set); return the
        server and its queue id."""
        if self.signer is not None:
            # Outside the lock: signing is CPU work, and other threads may be sending.
            mail = replace(mail, data=self.signer.sign(mail.data))
        with self._lock:
            try:
                reply = transact(self._open(), mail)
            except (smtplib.SMTPException, OSError) as error:
                # After any failure the session state is unknown: the next send starts afresh.
                self._drop(quit_first=False)
                raise delivery_error(error, self.where) from error
        return f"{self.where} {queue_id(reply)}".rstrip()

    def close(self) -> None:
        """Say QUIT and close the kept connection, if there is one."""
        with self._lock:
            self._drop()

    def _open(self) -> smtplib.SMTP:
        if self._connection is not None:
            try:
                # Servers close idle connections; a NOOP finds out before a message is at stake.
                if self._connection.noop()[0] == 250:
                    return self._connection
            except (smtplib.SMTPException, OSError):
                pass
            self._drop(quit_first=False)
        self._connection = self._connect()
        return self._connection

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        connection = (
            smtplib.SMTP_SSL(
                self.host, self.port, self.local_hostname, timeout=self.timeout, context=context
            )
            if self.implicit_tls
            else smtplib.SMTP(self.host, self.port, self.local_hostname, timeout=self.timeout)
        )
        try:
            connection.ehlo_or_helo_if_needed()
            encrypted = self.implicit_tls
            if not encrypted and (
                self.starttls is True
                or (self.starttls == "auto" and connection.has_extn("starttls"))
            ):
                connection.starttls(context=context)
                connection.ehlo_or_helo_if_needed()
                encrypted = True
            if self.username is not None:
                # "auto" must never mean a password in clear text; only starttls=False opts out.
                if not encrypted and self.starttls is not False:
                    msg = "offers no STARTTLS; refusing to send the password unencrypted"
                    raise smtplib.SMTPNotSupportedError(msg)
                connection.login(self.username, self.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop(self, *, quit_first: bool = True) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            # A server that just failed may hang: waiting for its QUIT reply could take a timeout.
            if quit_first:
                connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            connection.close()


def transact(connection: smtplib.SMTP, mail: OutgoingMail) -> bytes:
    """Run MAIL, RCPT and DATA for one recipient; return the server's final reply text."""
    options = []
    if not (mail.sender + mail.recipient).isascii():
        if not connection.has_extn("smtputf8"):
            msg = "does not accept internationalized addresses (no SMTPUTF8)"
            raise smtplib.SMTPNotSupportedError(msg)
        options.append("SMTPUTF8")
    if not mail.data.isascii() and connection.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    code, reply = connection.mail(mail.sender, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, mail.sender)
    code, reply = connection.rcpt(mail.recipient)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({mail.recipient: (code, reply)})
    # SMTP lines end in CRLF; smtplib fixes bare line feeds in str messages only, not bytes.
    code, reply = connection.data(LINE_END.sub(b"\r\n", mail.data))
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    return reply
