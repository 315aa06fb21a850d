"""An email backend that fails a set number of sends, then delivers to the test outbox."""

from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    failures_left = 0

    def send_messages(self, messages):
        if FlakyBackend.failures_left > 0:
            FlakyBackend.failures_left -= 1
            raise ConnectionRefusedError("SMTP server refused the connection")
        return super().send_messages(messages)
