"""django-q2 jobs for the inbound email channel."""

from mail.fetch import fetch_all_mailboxes
from mail.models import Mailbox


def fetch_mailboxes() -> int:
    """Read every active mailbox (scheduled every minute). Returns how many messages were
    read. Without an active mailbox it returns at once, so the schedule costs one query.
    Safe to run twice or concurrently: messages are deduped by Message-ID per mailbox."""
    if not Mailbox.objects.filter(active=True).exists():
        return 0
    return sum(result.seen for result in fetch_all_mailboxes())
