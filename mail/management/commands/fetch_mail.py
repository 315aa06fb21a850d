"""Read the configured mailboxes once: `python manage.py fetch_mail [--mailbox NAME ...]`.

The same work the every-minute schedule does (mail.tasks.fetch_mailboxes); handy
from cron when the task worker is not running, and to check a new mailbox by hand.
"""

from django.core.management.base import BaseCommand, CommandError

from mail.fetch import fetch_all_mailboxes


class Command(BaseCommand):
    help = "Read the active mailboxes (IMAP and Maildir) and file their messages."

    def add_arguments(self, parser):
        parser.add_argument(
            "--mailbox",
            action="append",
            dest="names",
            help="Only this mailbox (by name, even if inactive); repeat for several.",
        )

    def handle(self, *args, names=None, **options):
        results = fetch_all_mailboxes(names=names)
        if not results:
            self.stdout.write("No mailbox to read.")
        failed = False
        for result in results:
            self.stdout.write(str(result))
            failed = failed or bool(result.errors)
        if failed:
            # After every mailbox was read: a non-zero exit tells cron, the others still ran.
            raise CommandError("Some mailboxes had errors (see Mailbox.last_error in admin).")
