"""The rate-limit counters (`ratelimits.limits`): one row per key and fixed window."""

from django.db import models


class RateLimitWindow(models.Model):
    """One fixed window of a rate limit (`ratelimits.limits`): how many counted requests one
    key (a limit's group and a client IP or username, hashed) made since the window opened.
    Counted by a single upsert, so concurrent requests never lose a count; windows that
    ended are deleted daily."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    # Unix seconds: compared and returned the same way on PostgreSQL and SQLite.
    ends_at = models.BigIntegerField()

    class Meta:
        # The table kept its name when the model moved out of the project package.
        db_table = "helpdesk_ratelimitwindow"

    def __str__(self) -> str:
        return f"{self.key[:12]}: {self.count}"
