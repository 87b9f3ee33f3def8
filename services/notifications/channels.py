"""E-mail sending: SMTP in production, a local mail drop (``.eml`` files) by default."""

from __future__ import annotations

import json
import smtplib
from email import policy
from email.message import EmailMessage
from pathlib import Path

from learnloop.settings import NotificationSettings
from services.notifications.delivery import DeliveryFailedError, DeliveryMixin


def build_message(delivery: DeliveryMixin, sender: str) -> EmailMessage:
    """The e-mail of a delivery whose payload has ``subject``, ``text`` and ``unsubscribe_url``."""
    payload = json.loads(delivery.payload)
    # Long one-token headers (the unsubscribe link) must not be folded into encoded words.
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    message["From"] = sender
    message["To"] = delivery.target
    message["Subject"] = payload["subject"]
    message["Message-ID"] = f"<{delivery.id}@learnloop>"
    if payload.get("unsubscribe_url"):
        message["List-Unsubscribe"] = f"<{payload['unsubscribe_url']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(payload["text"])
    return message


class EmailSender:
    """Sends through ``smtp_host`` when configured, else writes ``<mail_dir>/<id>.eml``.

    The mail drop is the embedded local default (like a development SMTP catcher); the file
    name is the delivery id, so a resend after a crash overwrites instead of duplicating.
    """

    def __init__(self, settings: NotificationSettings, mail_dir: Path) -> None:
        self.settings = settings
        self.mail_dir = mail_dir

    def __call__(self, delivery: DeliveryMixin) -> None:
        message = build_message(delivery, self.settings.mail_from)
        if self.settings.smtp_host is None:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            (self.mail_dir / f"{delivery.id}.eml").write_bytes(message.as_bytes())
            return
        try:
            with smtplib.SMTP(
                self.settings.smtp_host,
                self.settings.smtp_port,
                timeout=self.settings.http_timeout_s,
            ) as smtp:
                if self.settings.smtp_starttls:
                    smtp.starttls()
                if self.settings.smtp_username and self.settings.smtp_password:
                    smtp.login(
                        self.settings.smtp_username, self.settings.smtp_password.get_secret_value()
                    )
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailedError(f"SMTP {self.settings.smtp_host}: {exc}") from None
