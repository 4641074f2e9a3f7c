"""Plain-text mail to users (password resets, invitations) over SMTP.

`SMTP_URL` is `smtp://[user:password@]host[:port]` (port 25 by default; STARTTLS whenever
the server offers it, with the certificate verified) or `smtps://…` (implicit TLS, port 465
by default). Without `SMTP_URL` the message is logged instead, link and all, so that a
service run without a mail server still lets people in. A failure to send is logged and
reported as False: callers answer their HTTP request the same either way.
"""
from __future__ import annotations

import asyncio
import email.utils
import logging
import smtplib
import ssl
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage

log = logging.getLogger("configurator.mail")
TIMEOUT_SECONDS = 10.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    scheme: str  # smtp | smtps
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("SMTP_URL is smtp://[user:password@]host[:port] or smtps://…")
        username = urllib.parse.unquote(parts.username) if parts.username else None
        password = urllib.parse.unquote(parts.password) if parts.password is not None else None
        return cls(scheme, parts.hostname, parts.port or DEFAULT_PORTS[scheme], username, password)


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain=email.utils.parseaddr(sender)[1].partition("@")[2] or None)
    message.set_content(body)
    return message


def _deliver(server: SmtpServer, message: EmailMessage, timeout: float) -> None:
    context = ssl.create_default_context()
    if server.scheme == "smtps":
        connection = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with connection:
        connection.ehlo()
        if server.scheme == "smtp" and connection.has_extn("starttls"):
            connection.starttls(context=context)
            connection.ehlo()
        if server.username is not None:
            connection.login(server.username, server.password or "")
        connection.send_message(message)


async def send(settings, to: str, subject: str, body: str, *, timeout: float = TIMEOUT_SECONDS) -> bool:
    """Send (or, without `settings.smtp_url`, log) one message; True when it went out or was
    logged, False when sending failed (logged, never raised)."""
    try:
        message = build_message(settings.mail_from, to, subject, body)
    except (ValueError, TypeError) as exc:  # an address no header can hold
        log.error("mail to %r not sent: %s", to, exc)
        return False
    if not settings.smtp_url:
        log.info("SMTP_URL is not set, so this mail is logged instead of sent:\nTo: %s\nSubject: %s\n\n%s",
                 to, subject, body)
        return True
    try:
        server = SmtpServer.from_url(settings.smtp_url)
        await asyncio.to_thread(_deliver, server, message, timeout)
    except (OSError, smtplib.SMTPException, ValueError) as exc:  # refused, unreachable, timed out, bad URL
        log.error("mail to %r (%s) not sent: %s: %s", to, subject, type(exc).__name__, exc)
        return False
    log.info("mail to %r sent: %s", to, subject)
    return True
