#!/usr/bin/env python3
"""What a D-Link camera sends on motion: its motion e-mail over SMTP and/or its HTTP event, --count times.

The e-mail goes to --smtp HOST:PORT as a camera's mail client sends it (EHLO, MAIL FROM, RCPT TO, DATA); the event
is GET --http URL. The result says what each receiver answered (SMTP reply codes, HTTP status), so a test sees a
refusal (554 / 403 for a sender that is not a monitored camera) as well as an acceptance.
"""
from __future__ import annotations

import smtplib
import sys
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds  # noqa: E402


def mail(host: str, port: int, timeout: float) -> str:
    """Sends one motion e-mail; returns the outcome: 'sent' or the refusing reply ('554 ...')."""
    message = EmailMessage()
    message["From"] = "camera@dcs.invalid"
    message["To"] = "alerts@kalki-edge.invalid"
    message["Subject"] = "Motion detected"
    message.set_content("Motion was detected by DCS-5020L.")
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.send_message(message)
        return "sent"
    except smtplib.SMTPResponseException as e:
        return f"{e.smtp_code} {e.smtp_error.decode(errors='replace')[:120]}"
    except smtplib.SMTPRecipientsRefused as e:
        code, text = next(iter(e.recipients.values()))
        return f"{code} {text.decode(errors='replace')[:120]}"
    except (OSError, smtplib.SMTPException) as e:
        return f"error {type(e).__name__}: {e}"[:160]


def event(url: str, timeout: float) -> str:
    """Sends one HTTP event; returns the status ('200') or the failure."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 (a testbed URL the test gives)
            return str(reply.status)
    except urllib.error.HTTPError as e:
        return str(e.code)
    except OSError as e:
        return f"error {type(e).__name__}: {e}"[:160]


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=1, duration=30.0)
    p.add_argument("--smtp", help="HOST:PORT of the SMTP receiver")
    p.add_argument("--http", help="URL of the HTTP event receiver")
    p.add_argument("--rate", type=bounds.positive_float, help="motions per second (default: back to back)")
    p.add_argument("--timeout", type=bounds.positive_float, default=5.0)
    args = p.parse_args()
    if not args.smtp and not args.http:
        bounds.fail("arguments", "give --smtp HOST:PORT, --http URL or both")
    smtp_host, smtp_port = None, 0
    if args.smtp:
        smtp_host, _, port = args.smtp.rpartition(":")
        if not smtp_host or not port.isdigit() or not 0 < int(port) < 65536:
            bounds.fail("--smtp", f"expected HOST:PORT, got {args.smtp!r}")
        smtp_port = int(port)

    deadline, pacer = bounds.Deadline(args.duration), bounds.Pacer(args.rate)
    mails: list[str] = []
    events: list[str] = []
    sent = 0
    while sent < args.count and not deadline.expired():
        pacer.wait()
        if smtp_host:
            mails.append(mail(smtp_host, smtp_port, args.timeout))
        if args.http:
            events.append(event(args.http, args.timeout))
        sent += 1
    bounds.emit({"tool": "camera_motion", "motions": sent, "mail": mails, "http": events,
                 "seconds": round(deadline.elapsed(), 3)})


if __name__ == "__main__":
    main()
