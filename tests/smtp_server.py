"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port, in its own thread.

    with running_smtp_server(starttls=True, auth={"analyst": "s3cret"}) as server:
        settings = MailSettings(host=server.host, port=server.port, starttls=True,
                                ca_file=server.ca_file, ...)
        ...
        assert server.messages[0]["Subject"] == "..."

With ``starttls`` the server offers STARTTLS with a certificate for 127.0.0.1 and localhost,
signed by a test authority made for this server alone (``server.ca_file``, to trust it), and
accepts no mail before the upgrade. With ``auth`` it requires a login from those users (after
STARTTLS when ``starttls``). ``refuse`` names recipients it answers with 550.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it: the envelope, who logged in, the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    login: str | None
    encrypted: bool
    message: EmailMessage


@dataclass
class RunningSmtpServer:
    host: str
    port: int
    ca_file: Path | None
    received: list[Received] = field(default_factory=list)
    login_attempts: list[str] = field(default_factory=list)  # user names tried, right or wrong

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received so far, parsed with email.policy.default, oldest first."""
        return [item.message for item in self.received]


class _Recorder:
    """The aiosmtpd handler: refuses the listed recipients and keeps every accepted message."""

    def __init__(self, received: list[Received], refuse: Collection[str]) -> None:
        self.received = received
        self.refuse = {address.lower() for address in refuse}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # As a mail client would store it: SMTP's CRLF line ends become Python's "\n".
        content = envelope.content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(content, policy=email.policy.default)
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(
            Received(
                envelope.mail_from, list(envelope.rcpt_tos), login, session.ssl is not None, message
            )
        )
        return "250 2.0.0 Message accepted"


def _authenticator(users: dict[str, str], attempts: list[str]) -> Any:
    def authenticate(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            attempts.append(auth_data.login.decode())
        ok = (
            isinstance(auth_data, LoginPassword)
            and users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


class _FreePortController(Controller):
    """Binds port 0 (the system picks a free port) and learns which port it got before the first
    connection, so two servers never race for one port."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        super()._trigger_server()


def _write_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test certificate authority and a server certificate it signed for 127.0.0.1 and
    localhost; returns the authority's certificate, the server's certificate and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vcc test mail authority")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


@contextmanager
def running_smtp_server(
    *,
    starttls: bool = False,
    auth: dict[str, str] | None = None,
    refuse: Collection[str] = (),
) -> Iterator[RunningSmtpServer]:
    """Start a real SMTP server for the duration of the ``with`` block; it stops on exit, even
    when the block fails."""
    with tempfile.TemporaryDirectory(prefix="vcc-smtp-") as folder:
        options: dict[str, Any] = {}
        handle = RunningSmtpServer("127.0.0.1", 0, None)
        if starttls:
            ca_file, cert_file, key_file = _write_certificates(Path(folder))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_file, key_file)
            options.update(tls_context=context, require_starttls=True)
            handle.ca_file = ca_file
        if auth is not None:
            options.update(
                authenticator=_authenticator(auth, handle.login_attempts),
                auth_required=True,
                auth_require_tls=starttls,
            )
        controller = _FreePortController(
            _Recorder(handle.received, refuse),
            hostname="127.0.0.1",
            port=0,
            server_hostname="localhost",
            **options,
        )
        try:
            controller.start()
            handle.port = controller.port
            yield handle
        finally:
            controller.stop(no_assert=True)
