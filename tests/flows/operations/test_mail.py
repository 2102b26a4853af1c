"""Email through a real SMTP server (tests/smtp_server.py): the report arrives whole, credentials
travel only over STARTTLS and never appear in an error, and every failure is one clear line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.smtp_server import RunningSmtpServer, running_smtp_server
from vcc.flows.config import DEFAULT_CONFIG, MailSettings, is_plausible_address, load_config
from vcc.flows.errors import ConfigError
from vcc.flows.operations.mail import (
    MailError,
    RecipientRefused,
    build_message,
    notify_failure,
    send_message,
)

SENDER = "vcc@opfcc.example.org"
USER, PASSWORD = "vcc-mailer", "correct horse battery"


def settings_for(server: RunningSmtpServer, **overrides) -> MailSettings:
    return MailSettings(host=server.host, port=server.port, sender=SENDER, **overrides)


def secure_settings_for(server: RunningSmtpServer, monkeypatch, password=PASSWORD) -> MailSettings:
    """STARTTLS trusting the server's own test authority, credentials from the environment."""
    monkeypatch.setenv("VCC_SMTP_USER", USER)
    monkeypatch.setenv("VCC_SMTP_PASSWORD", password)
    return settings_for(
        server,
        starttls=True,
        ca_file=server.ca_file,
        username_env="VCC_SMTP_USER",
        password_env="VCC_SMTP_PASSWORD",
    )


@pytest.fixture
def report_pdf(tmp_path: Path) -> Path:
    pdf = tmp_path / "vcc-2026Q3-report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    return pdf


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Sending ------------------------------------------------------------------------------------


def test_the_report_arrives_with_its_pdf_byte_for_byte(report_pdf: Path) -> None:
    body = "Please find attached the Cumbria report for 2026Q3.\n\nR6-UPDATE: 81.2%\n"
    with running_smtp_server() as server:
        message_id = send_message(
            settings_for(server), "board@example.org", "Victims' Code report 2026Q3", body,
            [report_pdf],
        )  # fmt: skip

    [received] = server.received
    assert received.mail_from == SENDER and received.rcpt_tos == ["board@example.org"]
    message = received.message
    assert message["From"] == SENDER and message["To"] == "board@example.org"
    assert message["Subject"] == "Victims' Code report 2026Q3"
    assert message["Message-ID"] == message_id and message_id.endswith("@opfcc.example.org>")
    assert message["Date"] is not None
    plain = message.get_body(("plain",))
    assert plain is not None and plain.get_content() == body
    [attachment] = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "vcc-2026Q3-report.pdf"
    assert attachment.get_content() == report_pdf.read_bytes()


def test_a_message_names_only_its_one_recipient() -> None:
    message = build_message(MailSettings(sender=SENDER), "chair@example.org", "Report", "Text")
    assert message["To"] == "chair@example.org"
    assert message["Cc"] is None and message["Bcc"] is None
    other = build_message(MailSettings(sender=SENDER), "chair@example.org", "Report", "Text")
    assert other["Message-ID"] != message["Message-ID"]


def test_a_subject_over_78_characters_is_one_header_line_without_a_leading_space() -> None:
    # The revision's subject is 85 characters: folded at 78, it went out as "Subject:" and the
    # whole subject on the next line, opening with a space, which some clients show.
    subject = "Victims' Code compliance report, Cumbria, 2026Q3: Revision 1 (version 2, edition 2)"
    message = build_message(MailSettings(sender=SENDER), "chair@example.org", subject, "Text")
    lines = message.as_bytes().decode().splitlines()  # as smtplib writes it (the message's policy)
    assert f"Subject: {subject}" in lines
    body = build_message(MailSettings(sender=SENDER), "chair@example.org", "Report", "word " * 40)
    text = body.as_bytes().decode()
    assert max(len(line) for line in text.splitlines()) <= 78  # the body still wraps at 78


def test_an_address_that_could_smuggle_a_header_is_refused_before_connecting() -> None:
    settings = MailSettings(port=closed_port())
    with pytest.raises(MailError, match="is not an email address"):
        send_message(settings, "chair@example.org\nBcc: everyone@example.org", "Report", "Text")


def test_starttls_and_login_with_credentials_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, report_pdf: Path
) -> None:
    with running_smtp_server(starttls=True, auth={USER: PASSWORD}) as server:
        settings = secure_settings_for(server, monkeypatch)
        send_message(settings, "board@example.org", "Report", "Text", [report_pdf])

    [received] = server.received
    assert received.encrypted and received.login == USER
    assert received.message["To"] == "board@example.org"


def test_a_wrong_password_names_the_user_and_never_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with running_smtp_server(starttls=True, auth={USER: PASSWORD}) as server:
        settings = secure_settings_for(server, monkeypatch, password="not-the-password")
        with pytest.raises(MailError) as raised:
            send_message(settings, "board@example.org", "Report", "Text")

    message = str(raised.value)
    assert f"refused the login of user '{USER}'" in message
    assert "not-the-password" not in message and PASSWORD not in message
    assert "\n" not in message and raised.value.__suppress_context__  # no chained traceback
    assert server.received == []


def test_a_missing_credential_names_its_variable_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with running_smtp_server(starttls=True, auth={USER: PASSWORD}) as server:
        settings = secure_settings_for(server, monkeypatch)
        monkeypatch.delenv("VCC_SMTP_PASSWORD")
        with pytest.raises(MailError, match="environment variable VCC_SMTP_PASSWORD is not set"):
            send_message(settings, "board@example.org", "Report", "Text")
    assert server.login_attempts == [] and server.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_starttls_required_but_not_offered_sends_neither_credentials_nor_mail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # This server would take the login and the mail in the clear: vcc must not offer either.
    with running_smtp_server(auth={USER: PASSWORD}) as server:
        settings = secure_settings_for(server, monkeypatch)
        with pytest.raises(MailError, match="does not offer STARTTLS.*nothing was sent"):
            send_message(settings, "board@example.org", "Report", "Text")
    assert server.login_attempts == [] and server.received == []


def test_a_certificate_from_an_untrusted_authority_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with running_smtp_server(starttls=True, auth={USER: PASSWORD}) as server:
        settings = secure_settings_for(server, monkeypatch).model_copy(update={"ca_file": None})
        with pytest.raises(MailError, match="certificate of the mail server .* not be verified"):
            send_message(settings, "board@example.org", "Report", "Text")
    assert server.login_attempts == [] and server.received == []


def test_a_closed_port_is_one_clear_line() -> None:
    port = closed_port()
    with pytest.raises(MailError) as raised:
        send_message(MailSettings(host="127.0.0.1", port=port), "a@example.org", "S", "B")
    assert str(raised.value).startswith(
        f"cannot connect to the mail server 127.0.0.1:{port}: connection refused"
    )


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = MailSettings(host="127.0.0.1", port=silent.getsockname()[1], timeout_seconds=0.3)
        with pytest.raises(MailError, match=r"did not answer within 0\.3 s"):
            send_message(settings, "a@example.org", "S", "B")


def test_a_refused_recipient_is_named() -> None:
    refused = pytest.raises(RecipientRefused, match="refused the recipient gone@example.org: 550")
    with running_smtp_server(refuse={"gone@example.org"}) as server, refused:
        send_message(settings_for(server), "gone@example.org", "Report", "Text")
    assert server.received == []


# --- Failure notices ----------------------------------------------------------------------------


def test_a_failed_scheduled_run_is_notified_to_each_address_alone() -> None:
    reason = "source police: table crimes: column crime_ref is missing\nTraceback (most recent"
    with running_smtp_server() as server:
        settings = settings_for(server, failure_notify=["analyst@example.org", "ops@example.org"])
        notified = notify_failure(settings, "2026Q3", "run-20261014-0700-ab12", reason)

    assert notified == ["analyst@example.org", "ops@example.org"]
    assert [item.rcpt_tos for item in server.received] == [[address] for address in notified]
    for message, address in zip(server.messages, notified, strict=True):
        assert message["To"] == address
        assert message["Subject"] == "vcc: scheduled run of 2026Q3 failed"
        assert not list(message.iter_attachments())
        text = message.get_content()
        assert "Reason: source police: table crimes: column crime_ref is missing\n" in text
        assert "Traceback" not in text
        assert "Run id: run-20261014-0700-ab12" in text
        assert "vcc history --quarter 2026Q3" in text and "vcc run --quarter 2026Q3" in text


def test_no_failure_notify_list_sends_nothing() -> None:
    with running_smtp_server() as server:
        assert notify_failure(settings_for(server), "2026Q3", "run-1", "it failed") == []
    assert server.received == []


def test_a_refused_notice_address_does_not_stop_the_others() -> None:
    with running_smtp_server(refuse={"gone@example.org"}) as server:
        settings = settings_for(server, failure_notify=["gone@example.org", "ops@example.org"])
        with pytest.raises(MailError, match="gone@example.org.*did reach ops@example.org"):
            notify_failure(settings, "2026Q3", "run-1", "it failed")
    assert [message["To"] for message in server.messages] == ["ops@example.org"]


# --- Configuration ------------------------------------------------------------------------------


def test_the_shipped_defaults_send_no_mail() -> None:
    mail = load_config(DEFAULT_CONFIG).mail
    assert mail == MailSettings()
    assert mail.distribution == [] and mail.failure_notify == [] and not mail.starttls


def test_a_mail_section_is_read_from_the_configuration_file(tmp_path: Path) -> None:
    config_file = tmp_path / "vcc.toml"
    config_file.write_text(
        '[mail]\nhost = "smtp.example.org"\nport = 587\nstarttls = true\n'
        'username_env = "VCC_SMTP_USER"\npassword_env = "VCC_SMTP_PASSWORD"\n'
        'sender = "vcc@opfcc.example.org"\ndistribution = ["board@example.org"]\n'
    )
    mail = load_config(config_file).mail
    assert (mail.host, mail.port, mail.starttls) == ("smtp.example.org", 587, True)
    assert mail.distribution == ["board@example.org"] and mail.timeout_seconds == 30


def test_a_bad_address_in_the_configuration_is_named(tmp_path: Path) -> None:
    config_file = tmp_path / "vcc.toml"
    config_file.write_text('[mail]\ndistribution = ["board@example.org", "chair at example.org"]\n')
    with pytest.raises(ConfigError, match="mail.*distribution: 'chair at example.org' is not an"):
        load_config(config_file)


@pytest.mark.parametrize(
    "settings, problem",
    [
        ({"failure_notify": ["ops@"]}, "failure_notify: 'ops@' is not an email address"),
        ({"sender": "OPFCC <vcc@example.org>"}, "sender: .* is not an email address"),
        ({"username_env": "U", "starttls": True}, "give both or neither"),
        ({"username_env": "U", "password_env": "P"}, "need starttls = true"),
        ({"ca_file": "certs/ca.pem"}, "must be an absolute path"),
        ({"port": 0}, "greater than or equal to 1"),
        ({"password": "hunter2"}, "Extra inputs are not permitted"),
    ],
)
def test_mail_settings_that_cannot_work_are_refused(settings, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        MailSettings(**settings)


@pytest.mark.parametrize(
    "address", ["board@example.org", "vcc@localhost", "first.last+cjb@mail.cumbria.police.uk"]
)
def test_plausible_addresses(address: str) -> None:
    assert is_plausible_address(address)


@pytest.mark.parametrize(
    "address",
    ["", "board", "@example.org", "board@", "a@b@example.org", "board @example.org",
     "<board@example.org>", "board@-example.org", "board@example..org", "bórd@example.org",
     "board@example.org\r\nBcc: x@example.org"],
)  # fmt: skip
def test_implausible_addresses(address: str) -> None:
    assert not is_plausible_address(address)
