"""Email over SMTP (smtplib) through an ``smtp_account``: one message per recipient, as
OpenSearch's ``DestinationSmtpClient`` sends them, with its status codes: 200 ``Success``,
502 when the server refuses the message, 503 when it cannot be reached, 424 otherwise."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from loghaven.notify.message import Message
from loghaven.notify.senders import Outcome, scrub


def compose(account: dict[str, Any], recipient: str, message: Message,
            default_subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject or default_subject
    mail["From"] = account["from_address"]
    mail["To"] = recipient
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:  # multipart/mixed: the bodies, then the files
        maintype, _, subtype = attachment.content_type.partition("/")
        mail.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                            filename=attachment.filename)
    return mail


def send(account: dict[str, Any], recipient: str, message: Message, default_subject: str,
         timeout: float) -> Outcome:
    mail = compose(account, recipient, message, default_subject)
    password = account.get("password", "")
    try:
        with _connect(account, timeout) as smtp:
            # as OpenSearch: credentials only over TLS
            if account["method"] != "none" and account.get("username"):
                smtp.login(account["username"], password)
            smtp.send_message(mail)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
            smtplib.SMTPDataError) as exc:
        code = _code(exc)
        return Outcome("502", _error(exc, password), transient=400 <= code < 500)
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected) as exc:
        return Outcome("503", _error(exc, password), transient=True)
    except smtplib.SMTPException as exc:  # authentication, STARTTLS refused, ...
        code = _code(exc)
        return Outcome("424", _error(exc, password), transient=400 <= code < 500)
    except ssl.SSLError as exc:  # a certificate that does not verify: no retry helps
        return Outcome("424", _error(exc, password))
    except OSError as exc:  # refused, unreachable, timed out
        return Outcome("503", _error(exc, password), transient=True)
    return Outcome("200", "Success")


def _connect(account: dict[str, Any], timeout: float) -> smtplib.SMTP:
    host, port = account["host"], account["port"]
    if account["method"] == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if account["method"] == "start_tls":
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp


def _code(exc: smtplib.SMTPException) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return max(codes) if codes else 0
    return int(getattr(exc, "smtp_code", 0) or 0)


def _error(exc: BaseException, password: str) -> str:
    return scrub(f"sendEmail Error, status:{exc}", password)
