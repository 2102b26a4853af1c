"""Email: the approved report to the partnership (``vcc circulate``) and the notice that a scheduled
run failed. Settings come from ``[mail]`` (flows.config.MailSettings).

Each message goes to one recipient, so no one on the list sees who else is on it. Every failure is
a ``MailError`` with one line for the user naming the server and the problem; a refused login names
the user, never the password, and a missing credential names its environment variable, never a
value. With ``starttls = true`` nothing (neither credentials nor mail) is sent unless the
connection was upgraded.
"""

from __future__ import annotations

import mimetypes
import os
import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from vcc.flows.config import MailSettings, is_plausible_address
from vcc.flows.errors import VccError

Attachment = tuple[str, bytes]  # a file's name and its bytes, as already read


class MailError(VccError):
    """A message could not be sent: says which server and what went wrong, in one line."""


class RecipientRefused(MailError):
    """The server refused this recipient; others on a list may still be reached."""


HEADER_LINE_LIMIT = 998  # RFC 5322 2.1.1: a line is at most 998 characters


def build_message(
    settings: MailSettings,
    to: str,
    subject: str,
    body: str,
    attachments: Sequence[Path | Attachment] = (),
) -> EmailMessage:
    """A plain-text message from ``settings.sender`` to the one address ``to``, with a Date and a
    Message-ID in the sender's domain, and each attachment under its own file name (a PDF as
    application/pdf): a file read now, or a name and the bytes already read."""
    if not is_plausible_address(to):
        raise MailError(f"{to!r} is not an email address; nothing was sent")
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # a header is one line
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2])
    message.set_content(body)
    for attachment in attachments:
        name, data = attachment if isinstance(attachment, tuple) else _read(Path(attachment))
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    # The body is encoded above in lines of at most 78 characters; its headers are written with
    # the limit RFC 5322 allows (998), so that a subject a little over 78 is not folded onto a
    # line of its own with a leading space, which some mail clients then show.
    message.policy = message.policy.clone(max_line_length=HEADER_LINE_LIMIT)
    return message


def _read(path: Path) -> Attachment:
    try:
        return path.name, path.read_bytes()
    except OSError as error:
        raise MailError(f"cannot attach {path}: {error.strerror or type(error).__name__}") from None


def send_message(
    settings: MailSettings,
    to: str,
    subject: str,
    body: str,
    attachments: Sequence[Path | Attachment] = (),
) -> str:
    """Send one message to ``to`` through the configured server; returns its Message-ID once the
    server has accepted it."""
    message = build_message(settings, to, subject, body, attachments)
    _deliver(settings, message, to)
    return str(message["Message-ID"])


def notify_failure(settings: MailSettings, quarter: str, run_id: str, reason: str) -> list[str]:
    """Tell every ``failure_notify`` address that the scheduled run of ``quarter`` failed, one
    message each; returns the addresses told (none when the list is empty). ``reason`` should be
    the failure's one-line message: only its first line is sent."""
    if not settings.failure_notify:
        return []
    subject = f"vcc: scheduled run of {quarter} failed"
    body = failure_notice_text(quarter, run_id, reason)
    notified: list[str] = []
    refused: list[str] = []
    for address in settings.failure_notify:
        try:
            send_message(settings, address, subject, body)
        except RecipientRefused as error:
            refused.append(str(error))  # the next address may still be reachable
            continue
        except MailError as error:  # the server itself failed: so would every other address
            raise MailError(f"{error}{_told(notified)}") from None
        notified.append(address)
    if refused:
        raise MailError(f"{'; '.join(refused)}{_told(notified)}")
    return notified


def failure_notice_text(quarter: str, run_id: str, reason: str) -> str:
    """The body of the failure notice: what failed, why in one line, and what to do next."""
    lines = reason.strip().splitlines()
    why = lines[0].strip() if lines else "no reason was recorded"
    if len(why) > 500:
        why = why[:499] + "…"
    return (
        f"The scheduled vcc run of {quarter} failed. No new report was published; the outputs\n"
        f"of earlier runs are as they were.\n"
        f"\n"
        f"Reason: {why}\n"
        f"Run id: {run_id}\n"
        f"\n"
        f"What to do next (add --config FILE if the schedule uses one):\n"
        f"  vcc history --quarter {quarter}   this quarter's runs, this one among them\n"
        f"  vcc run --quarter {quarter}       run the quarter again once the cause is fixed\n"
        f"\n"
        f"This message was sent automatically by vcc.\n"
    )


def _told(notified: list[str]) -> str:
    if not notified:
        return ""
    return f" (the failure notice did reach {', '.join(notified)})"


def _credentials(settings: MailSettings) -> tuple[str, str] | None:
    """The SMTP user name and password from the environment variables the settings name."""
    if not (settings.username_env and settings.password_env):
        return None
    for name in (settings.username_env, settings.password_env):
        if not os.environ.get(name):
            raise MailError(f"mail: environment variable {name} is not set; nothing was sent")
    return os.environ[settings.username_env], os.environ[settings.password_env]


def _tls_context(settings: MailSettings) -> ssl.SSLContext:
    if not settings.tls_verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(
            cafile=str(settings.ca_file) if settings.ca_file else None
        )
    except OSError as error:  # ssl.SSLError too: not a PEM file
        problem = getattr(error, "strerror", None) or "not a file of PEM certificates"
        raise MailError(f"mail: ca_file {settings.ca_file} cannot be used: {problem}") from None


def _deliver(settings: MailSettings, message: EmailMessage, to: str) -> None:
    """Hand the message to the server; any failure is one MailError naming the server. A missing
    credential or unusable CA file is found before connecting."""
    credentials = _credentials(settings)
    context = _tls_context(settings) if settings.starttls else None
    try:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        try:
            _converse(smtp, settings, message, to, credentials, context)
        except BaseException:
            smtp.close()
            raise
    except MailError:
        raise
    except smtplib.SMTPException as error:
        raise _refusal(error, settings, to, credentials) from None
    except OSError as error:
        raise _connection_failure(error, settings) from None
    # The server has accepted the message: a failure to say goodbye does not unsend it.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _converse(
    smtp: smtplib.SMTP,
    settings: MailSettings,
    message: EmailMessage,
    to: str,
    credentials: tuple[str, str] | None,
    context: ssl.SSLContext | None,
) -> None:
    """The SMTP conversation: greeting, STARTTLS when asked (or nothing is sent), login, send."""
    smtp.ehlo_or_helo_if_needed()
    if context is not None:
        if not smtp.has_extn("starttls"):
            raise MailError(
                f"the mail server {_server(settings)} does not offer STARTTLS, which [mail] "
                "starttls requires; nothing was sent"
            )
        smtp.starttls(context=context)
        smtp.ehlo()
    if credentials is not None:
        smtp.login(*credentials)
    smtp.send_message(message, from_addr=settings.sender, to_addrs=[to])


def _refusal(
    error: smtplib.SMTPException,
    settings: MailSettings,
    to: str,
    credentials: tuple[str, str] | None,
) -> MailError:
    """What the server said no to, in one line."""
    server = _server(settings)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        user = credentials[0] if credentials else None
        return MailError(
            f"the mail server {server} refused the login of user {user!r}: check the user name "
            f"and password in the environment variables {settings.username_env} and "
            f"{settings.password_env}"
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = error.recipients.get(to, (0, b""))
        return RecipientRefused(
            f"the mail server {server} refused the recipient {to}: {code} {_text(reply)}"
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return MailError(
            f"the mail server {server} refused the sender {settings.sender}: "
            f"{error.smtp_code} {_text(error.smtp_error)}"
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return MailError(
            f"the mail server {server} does not offer authentication (AUTH); remove "
            "username_env and password_env from [mail] or use another server"
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        if isinstance(error.__context__, TimeoutError):  # smtplib wraps a read that timed out
            return _timed_out(server, settings)
        return MailError(f"the mail server {server} closed the connection unexpectedly")
    if isinstance(error, smtplib.SMTPResponseException):
        return MailError(
            f"the mail server {server} refused: {error.smtp_code} {_text(error.smtp_error)}"
        )
    return MailError(f"mail to {to} through {server} failed: {_text(str(error))}")


def _connection_failure(error: OSError, settings: MailSettings) -> MailError:
    """Why the server could not be reached, or TLS with it failed, in one line."""
    server = _server(settings)
    if isinstance(error, ssl.SSLCertVerificationError):
        return MailError(
            f"the certificate of the mail server {server} could not be verified "
            f"({error.verify_message}); if a private authority signed it, name its certificate "
            "in [mail] ca_file"
        )
    if isinstance(error, ssl.SSLError):
        return MailError(f"TLS with the mail server {server} failed: {error.reason or error}")
    if isinstance(error, TimeoutError):
        return _timed_out(server, settings)
    if isinstance(error, socket.gaierror):
        return MailError(f"cannot connect to the mail server {server}: unknown host")
    if isinstance(error, ConnectionRefusedError):
        return MailError(
            f"cannot connect to the mail server {server}: connection refused (are [mail] host "
            "and port right, and is the server running?)"
        )
    return MailError(
        f"the connection to the mail server {server} failed: "
        f"{error.strerror or type(error).__name__}"
    )


def _server(settings: MailSettings) -> str:
    return f"{settings.host}:{settings.port}"


def _timed_out(server: str, settings: MailSettings) -> MailError:
    return MailError(
        f"the mail server {server} did not answer within {settings.timeout_seconds:g} s"
    )


def _text(reply: bytes | str) -> str:
    """A server's reply as one line of text."""
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    return " ".join(reply.split())
