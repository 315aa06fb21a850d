"""Read mailboxes: IMAP folders and local Maildir folders.

Each mailbox is fetched on its own: a mailbox that cannot be reached records `last_error` and
the others go on. Each message is taken in by `inbound_email_receive` (its own transaction,
quarantined rather than raised when bad) and only then marked seen (IMAP `\\Seen` or moved to
`processed_folder`; Maildir: moved to cur/ with the S flag). A crash between the two leaves
the message unseen: the next run reads it again and the Message-ID dedupe skips it.

The IMAP part is a thin client behind `ImapClient`; `fetch_mailbox` takes a factory so the loop
is tested with an in-memory client (tests/mail/test_fetch.py).
"""

import contextlib
import imaplib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from mail.models import InboundEmail, Mailbox
from mail.services import inbound_email_receive, mailbox_record_fetch

logger = logging.getLogger(__name__)

# Per mailbox and run, so one run stays well inside the task timeout; the rest waits a minute.
MAX_MESSAGES_PER_RUN = 200
IMAP_TIMEOUT_SECONDS = 30


@dataclass
class FetchResult:
    mailbox: str
    seen: int = 0
    processed: int = 0
    ignored: int = 0
    quarantined: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, received) -> None:
        self.seen += 1
        if received.duplicate:
            self.duplicates += 1
            return
        status = received.inbound.status
        if status == InboundEmail.Status.PROCESSED:
            self.processed += 1
        elif status == InboundEmail.Status.IGNORED:
            self.ignored += 1
        else:
            self.quarantined += 1

    def __str__(self) -> str:
        text = (
            f"{self.mailbox}: {self.seen} read, {self.processed} processed, "
            f"{self.ignored} ignored, {self.quarantined} quarantined, "
            f"{self.duplicates} already taken in"
        )
        return text + (f"; errors: {'; '.join(self.errors)}" if self.errors else "")


class ImapClient(Protocol):
    def unseen(self) -> list[bytes]: ...
    def fetch(self, uid: bytes) -> bytes | None: ...
    def mark_processed(self, uid: bytes) -> None: ...
    def close(self) -> None: ...


class Imap4Client:
    """imaplib behind the `ImapClient` protocol. Reads with BODY.PEEK so a message is not
    marked seen until it was processed."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        context = ssl.create_default_context()
        if mailbox.use_ssl:
            self.conn = imaplib.IMAP4_SSL(
                mailbox.host, mailbox.port, ssl_context=context, timeout=IMAP_TIMEOUT_SECONDS
            )
        else:
            self.conn = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT_SECONDS)
            if "STARTTLS" in self.conn.capabilities:
                self.conn.starttls(ssl_context=context)
        self.conn.login(mailbox.username, mailbox.password())
        status, _ = self.conn.select(_quote(mailbox.folder or "INBOX"))
        if status != "OK":
            raise imaplib.IMAP4.error(f"Cannot open the folder {mailbox.folder!r}.")

    def unseen(self) -> list[bytes]:
        status, data = self.conn.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            raise imaplib.IMAP4.error("SEARCH UNSEEN failed.")
        return (data[0] or b"").split()

    def fetch(self, uid: bytes) -> bytes | None:
        status, data = self.conn.uid("FETCH", uid, "(BODY.PEEK[])")
        if status != "OK":
            return None
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None

    def mark_processed(self, uid: bytes) -> None:
        target = self.mailbox.processed_folder
        if not target:
            self.conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            return
        if "MOVE" in self.conn.capabilities:
            self.conn.uid("MOVE", uid, _quote(target))
            return
        status, _ = self.conn.uid("COPY", uid, _quote(target))
        if status == "OK":
            self.conn.uid("STORE", uid, "+FLAGS", "(\\Deleted \\Seen)")
            self.conn.expunge()
        else:
            self.conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")

    def close(self) -> None:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.conn.logout()


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_imap(
    mailbox: Mailbox, *, client_factory: Callable[[Mailbox], ImapClient] | None = None
) -> FetchResult:
    result = FetchResult(mailbox.name)
    # Looked up at call time: tests swap in an in-memory client here.
    client = (client_factory or Imap4Client)(mailbox)
    try:
        for uid in client.unseen()[:MAX_MESSAGES_PER_RUN]:
            raw = client.fetch(uid)
            if raw is None:
                result.errors.append(f"message {uid.decode(errors='replace')} could not be read")
                continue
            result.count(inbound_email_receive(raw=raw, source=mailbox.source, mailbox=mailbox))
            client.mark_processed(uid)
    finally:
        client.close()
    return result


def fetch_maildir(mailbox: Mailbox) -> FetchResult:
    """Messages in new/ and in cur/ without the S (seen) flag; each is moved to cur/ with S
    after processing (a rename: the file's bytes are never rewritten)."""
    result = FetchResult(mailbox.name)
    root = Path(mailbox.folder)
    if not (root / "new").is_dir() or not (root / "cur").is_dir():
        raise FileNotFoundError(f"{mailbox.folder!r} is not a Maildir folder (no new/ and cur/).")
    pending: list[Path] = []
    for sub in ("new", "cur"):
        for path in sorted((root / sub).iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            if "S" in _maildir_flags(path.name):
                continue
            pending.append(path)
    for path in pending[:MAX_MESSAGES_PER_RUN]:
        raw = path.read_bytes()
        result.count(inbound_email_receive(raw=raw, source=mailbox.source, mailbox=mailbox))
        base = path.name.split(":", 1)[0]
        flags = "".join(sorted(set(_maildir_flags(path.name)) | {"S"}))
        path.rename(root / "cur" / f"{base}:2,{flags}")
    return result


def _maildir_flags(name: str) -> str:
    return name.split(":2,", 1)[1] if ":2," in name else ""


def fetch_mailbox(
    mailbox: Mailbox, *, client_factory: Callable[[Mailbox], ImapClient] | None = None
) -> FetchResult:
    """Fetch one mailbox and stamp it (`last_fetched_at`, `last_error`). Never raises: a
    mailbox that fails is recorded and the caller goes on with the next one."""
    try:
        if mailbox.kind == Mailbox.Kind.MAILDIR:
            result = fetch_maildir(mailbox)
        else:
            result = fetch_imap(mailbox, client_factory=client_factory)
    except Exception as exc:  # noqa: BLE001 - one mailbox's failure must not stop the others
        logger.warning("Fetching mailbox %s failed: %s", mailbox.name, exc)
        result = FetchResult(mailbox.name, errors=[f"{exc.__class__.__name__}: {exc}"])
        mailbox_record_fetch(mailbox=mailbox, error=result.errors[0])
        return result
    mailbox_record_fetch(mailbox=mailbox, error="; ".join(result.errors))
    return result


def fetch_all_mailboxes(
    *,
    names: list[str] | None = None,
    client_factory: Callable[[Mailbox], ImapClient] | None = None,
) -> list[FetchResult]:
    """Fetch every active mailbox (or the named ones), each independently."""
    mailboxes = Mailbox.objects.filter(active=True)
    if names:
        mailboxes = Mailbox.objects.filter(name__in=names)
    return [fetch_mailbox(mailbox, client_factory=client_factory) for mailbox in mailboxes]
