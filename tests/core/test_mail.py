"""Email goes through a Celery task (core.tasks.send_email), never out of a request: queued on
commit by core.mail.email_send_on_commit, sent with an SMTP timeout, retried when the mail
server fails, a bounded number of times."""

import logging
import smtplib
from unittest import mock

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from core.mail import email_send_on_commit
from core.tasks import send_email

MESSAGE = {
    "recipients": ["otto@example.com", "opal@example.com"],
    "subject": "[Readiness] Refund bot was suspended automatically",
    "body": "Refund bot (Acme Robotics) crossed its alert thresholds and was suspended.",
}
SMTP_MAILER = {
    "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "OPTIONS": {"host": "smtp.example.com"},
}


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: calls.append(kwargs))
    return calls


@pytest.fixture
def smtp(settings, monkeypatch):
    """The default mailer is Django's SMTP backend, on a fake connection."""
    settings.MAILERS = {"default": SMTP_MAILER}
    connection = mock.MagicMock(name="SMTP connection")
    connection.sendmail.return_value = {}
    factory = mock.MagicMock(name="smtplib.SMTP", return_value=connection)
    monkeypatch.setattr("django.core.mail.backends.smtp.smtplib.SMTP", factory)
    monkeypatch.setattr("django.core.mail.backends.smtp.DNS_NAME.get_fqdn", lambda: "test")
    return factory


def test_a_message_is_queued_only_once_the_transaction_commits(
    db, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_send_on_commit(**MESSAGE)

    # nothing is queued (and nothing sent) before the commit
    assert queued == []
    assert mail.outbox == []

    for callback in callbacks:
        callback()

    assert queued == [MESSAGE]
    assert mail.outbox == []


def test_a_broker_down_is_logged_not_raised(
    db, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise OperationalError("broker down")

    monkeypatch.setattr(send_email, "delay", broken)

    with (
        caplog.at_level(logging.ERROR, logger="core.mail"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        email_send_on_commit(**MESSAGE)

    assert "Could not queue the email" in caplog.text


def test_the_worker_sends_the_message_as_queued(settings):
    result = send_email.apply(kwargs=MESSAGE)

    assert result.successful()
    (message,) = mail.outbox
    assert message.to == MESSAGE["recipients"]
    assert message.subject == MESSAGE["subject"]
    assert message.body == MESSAGE["body"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


def test_the_smtp_connection_has_a_timeout(settings, smtp):
    settings.EMAIL_TIMEOUT_SECONDS = 7.5

    assert send_email.apply(kwargs=MESSAGE).successful()

    smtp.assert_called_once_with("smtp.example.com", 25, local_hostname="test", timeout=7.5)


def test_the_default_timeout_is_ten_seconds(settings, smtp):
    assert settings.EMAIL_TIMEOUT_SECONDS == 10.0

    send_email.apply(kwargs=MESSAGE)

    assert smtp.call_args.kwargs["timeout"] == 10.0


def test_a_timeout_set_in_the_mailer_options_is_kept(settings, smtp):
    settings.MAILERS = {
        "default": {**SMTP_MAILER, "OPTIONS": {"host": "smtp.example.com", "timeout": 3}}
    }

    send_email.apply(kwargs=MESSAGE)

    assert smtp.call_args.kwargs["timeout"] == 3


def test_a_dropped_smtp_connection_is_retried(smtp):
    # given a server that drops the first connection
    connection = smtp.return_value
    connection.sendmail.side_effect = [smtplib.SMTPServerDisconnected("went away"), {}]

    # when a worker runs the task (apply runs its retries at once, without the countdown)
    result = send_email.apply(kwargs=MESSAGE)

    # then the second attempt sent the message
    assert result.successful()
    assert connection.sendmail.call_count == 2
    assert smtp.call_count == 2
    from_email, to, _ = connection.sendmail.call_args.args
    assert (from_email, to) == ("readiness@localhost", MESSAGE["recipients"])


def test_a_refused_connection_is_retried(smtp):
    smtp.side_effect = [ConnectionRefusedError("down"), smtp.return_value]

    assert send_email.apply(kwargs=MESSAGE).successful()
    assert smtp.call_count == 2


def test_retries_are_bounded_and_then_the_task_fails(smtp):
    connection = smtp.return_value
    connection.sendmail.side_effect = smtplib.SMTPServerDisconnected("went away")

    result = send_email.apply(kwargs=MESSAGE)

    assert result.failed()
    assert isinstance(result.result, smtplib.SMTPServerDisconnected)
    assert connection.sendmail.call_count == 1 + send_email.max_retries == 7


def test_the_retries_back_off_exponentially():
    # acks_late and reject_on_worker_lost are global (CELERY_TASK_ACKS_LATE, ...)
    assert send_email.autoretry_for == (OSError,)
    assert issubclass(smtplib.SMTPException, OSError)
    assert send_email.retry_backoff == 10
    assert send_email.retry_backoff_max == 600
    assert send_email.retry_jitter is True
    assert send_email.acks_late is True


def test_a_bad_address_is_not_retried(smtp):
    result = send_email.apply(kwargs={**MESSAGE, "recipients": ["a@b.com\nBcc: x@y.com"]})

    assert result.failed()
    assert isinstance(result.result, ValueError)
    assert smtp.return_value.sendmail.call_count == 0
