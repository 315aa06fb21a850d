"""Reading mailboxes: a real Maildir folder on disk, the IMAP loop through an in-memory client
(the imaplib wrapper itself is thin and not exercised against a server here), mailboxes
failing independently, the command and the scheduled task, and running twice."""

import mailbox as stdlib_mailbox

import pytest
from django.core.management import CommandError, call_command

from mail import fetch
from mail.fetch import fetch_all_mailboxes
from mail.models import InboundEmail, Mailbox
from mail.tasks import fetch_mailboxes
from tests.mail.conftest import build_email
from tickets.models import Ticket

St = InboundEmail.Status


@pytest.fixture
def maildir(tmp_path):
    path = tmp_path / "Maildir"
    return stdlib_mailbox.Maildir(path, create=True), path


@pytest.fixture
def maildir_box(db, maildir):
    _, path = maildir
    return Mailbox.objects.create(name="local", kind=Mailbox.Kind.MAILDIR, folder=str(path))


def _files(path, sub):
    return sorted(p.name for p in (path / sub).iterdir())


def test_a_maildir_folder_is_processed_and_messages_marked_seen(
    maildir, maildir_box, mailoutbox, settings
):
    box, path = maildir
    settings.INBOUND_EMAIL_MAX_BYTES = 5000
    box.add(build_email(subject="First", message_id="<m1@example.org>"))
    box.add(b"Subject: no sender\r\nMessage-ID: <bad@example.org>\r\n\r\nbody")
    box.add(build_email(subject="Too big", body="x" * 8000, message_id="<big@example.org>"))
    box.add(build_email(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    box.add(build_email(subject="Last", sender="bob@example.org"))

    [result] = fetch_all_mailboxes()

    assert (result.seen, result.processed, result.ignored, result.quarantined) == (5, 2, 1, 2)
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["First", "Last"]
    assert set(InboundEmail.objects.values_list("mailbox__name", flat=True)) == {"local"}
    reasons = dict(InboundEmail.objects.values_list("message_id", "reason"))
    assert "no valid From" in reasons["<bad@example.org>"]
    assert "limit" in reasons["<big@example.org>"]
    # Every message was moved to cur/ with the Seen flag, none left in new/.
    assert _files(path, "new") == []
    assert all(name.endswith(":2,S") for name in _files(path, "cur"))
    maildir_box.refresh_from_db()
    assert maildir_box.last_fetched_at is not None and maildir_box.last_error == ""


def test_reading_a_maildir_twice_changes_nothing(maildir, maildir_box):
    box, path = maildir
    box.add(build_email())
    fetch_all_mailboxes()
    state = (Ticket.objects.count(), InboundEmail.objects.count(), _files(path, "cur"))

    [result] = fetch_all_mailboxes()

    assert result.seen == 0
    assert (Ticket.objects.count(), InboundEmail.objects.count(), _files(path, "cur")) == state


def test_a_message_put_back_unseen_is_deduped_not_filed_again(maildir, maildir_box):
    box, path = maildir
    key = box.add(build_email())
    fetch_all_mailboxes()
    # A crash after filing but before marking seen: the message is still unseen next run.
    [name] = _files(path, "cur")
    (path / "cur" / name).rename(path / "new" / key)

    [result] = fetch_all_mailboxes()

    assert (result.seen, result.duplicates) == (1, 1)
    assert Ticket.objects.count() == 1


class FakeImap:
    """An in-memory stand-in for `Imap4Client`: UNSEEN search, fetch, mark processed."""

    def __init__(self, messages: dict[bytes, bytes], *, fail_fetch: set[bytes] = frozenset()):
        self.messages = messages
        self.seen: set[bytes] = set()
        self.fail_fetch = fail_fetch
        self.closed = False
        self.order: list[str] = []

    def __call__(self, mailbox):
        return self

    def unseen(self):
        return [uid for uid in self.messages if uid not in self.seen]

    def fetch(self, uid):
        self.order.append(f"fetch {uid.decode()}")
        return None if uid in self.fail_fetch else self.messages[uid]

    def mark_processed(self, uid):
        # Only after the message was taken in: its row exists by now.
        assert InboundEmail.objects.filter(mailbox__isnull=False).count() >= 1
        self.order.append(f"seen {uid.decode()}")
        self.seen.add(uid)

    def close(self):
        self.closed = True


@pytest.fixture
def imap_box(db):
    return Mailbox.objects.create(
        name="support", host="imap.example.com", username="support", password_env="IMAP_PW"
    )


def test_the_imap_loop_marks_each_message_seen_after_processing_it(imap_box):
    client = FakeImap(
        {
            b"1": build_email(subject="One"),
            b"2": b"garbage without headers",
            b"3": build_email(subject="Three"),
        }
    )
    [result] = fetch_all_mailboxes(client_factory=client)

    assert client.order == ["fetch 1", "seen 1", "fetch 2", "seen 2", "fetch 3", "seen 3"]
    assert client.closed
    assert (result.processed, result.quarantined) == (2, 1)
    assert set(InboundEmail.objects.values_list("source", flat=True)) == {imap_box.source}

    [again] = fetch_all_mailboxes(client_factory=client)
    assert again.seen == 0 and Ticket.objects.count() == 2


def test_an_unreadable_imap_message_is_left_unseen_and_reported(imap_box):
    client = FakeImap({b"1": build_email(), b"2": build_email()}, fail_fetch={b"1"})
    [result] = fetch_all_mailboxes(client_factory=client)

    assert client.seen == {b"2"}
    assert result.errors == ["message 1 could not be read"]
    imap_box.refresh_from_db()
    assert "could not be read" in imap_box.last_error


def test_one_failing_mailbox_does_not_stop_the_others(imap_box, maildir, maildir_box):
    box, _ = maildir
    box.add(build_email(subject="From the maildir"))

    def unreachable(mailbox):
        raise ConnectionRefusedError("imap.example.com refused the connection")

    results = fetch_all_mailboxes(client_factory=unreachable)

    by_name = {result.mailbox: result for result in results}
    assert by_name["local"].processed == 1
    assert "refused" in by_name["support"].errors[0]
    imap_box.refresh_from_db()
    assert "ConnectionRefusedError" in imap_box.last_error
    assert imap_box.last_fetched_at is not None


def test_a_maildir_path_that_is_not_a_maildir_is_an_error(db, tmp_path):
    Mailbox.objects.create(name="wrong", kind=Mailbox.Kind.MAILDIR, folder=str(tmp_path / "x"))
    [result] = fetch_all_mailboxes()
    assert "not a Maildir" in result.errors[0]


def test_inactive_mailboxes_are_skipped(maildir, maildir_box):
    maildir[0].add(build_email())
    maildir_box.active = False
    maildir_box.save()

    assert fetch_all_mailboxes() == []
    assert fetch_mailboxes() == 0
    assert Ticket.objects.count() == 0


def test_the_scheduled_task_reads_every_active_mailbox(maildir, maildir_box):
    maildir[0].add(build_email())
    assert fetch_mailboxes() == 1
    assert fetch_mailboxes() == 0
    assert Ticket.objects.count() == 1


def test_the_command_reads_the_mailboxes_and_reports(maildir, maildir_box, capsys):
    maildir[0].add(build_email())
    call_command("fetch_mail")
    out = capsys.readouterr().out
    assert "local: 1 read, 1 processed" in out


def test_the_command_fails_after_reading_all_when_one_mailbox_failed(
    maildir, maildir_box, imap_box, monkeypatch
):
    maildir[0].add(build_email())

    def unreachable(mailbox):
        raise OSError("no route to host")

    monkeypatch.setattr(fetch, "Imap4Client", unreachable)
    with pytest.raises(CommandError, match="Some mailboxes had errors"):
        call_command("fetch_mail")
    assert Ticket.objects.count() == 1


def test_the_command_reads_only_the_named_mailbox(maildir, maildir_box, imap_box, capsys):
    maildir[0].add(build_email())
    call_command("fetch_mail", "--mailbox", "local")
    assert "support" not in capsys.readouterr().out


class ScriptedConnection:
    """Stands in for imaplib.IMAP4_SSL: answers like a server and records every command."""

    def __init__(self, host, port, ssl_context=None, timeout=None):
        self.calls = [("connect", host, port)]
        self.capabilities = ("IMAP4REV1", "MOVE")
        ScriptedConnection.last = self

    def login(self, user, password):
        self.calls.append(("login", user, password))
        return "OK", [b""]

    def select(self, folder):
        self.calls.append(("select", folder))
        return "OK", [b"2"]

    def uid(self, command, *args):
        self.calls.append((command, *args))
        if command == "SEARCH":
            return "OK", [b"7 9"]
        if command == "FETCH":
            return "OK", [(b"7 (UID 7 BODY[] {10}", build_email()), b")"]
        return "OK", [b""]

    def logout(self):
        self.calls.append(("logout",))


def test_the_imap_client_peeks_then_marks_seen_or_moves(imap_box, monkeypatch):
    monkeypatch.setattr(fetch.imaplib, "IMAP4_SSL", ScriptedConnection)
    monkeypatch.setenv("IMAP_PW", "s3cret")

    client = fetch.Imap4Client(imap_box)
    assert client.unseen() == [b"7", b"9"]
    assert b"From:" in client.fetch(b"7")
    client.mark_processed(b"7")
    imap_box.processed_folder = "Processed"
    client.mark_processed(b"9")
    client.close()

    calls = ScriptedConnection.last.calls
    assert calls[:3] == [
        ("connect", "imap.example.com", 993),
        ("login", "support", "s3cret"),
        ("select", '"INBOX"'),
    ]
    assert ("FETCH", b"7", "(BODY.PEEK[])") in calls
    assert ("STORE", b"7", "+FLAGS", "(\\Seen)") in calls
    assert ("MOVE", b"9", '"Processed"') in calls
    assert calls[-1] == ("logout",)
