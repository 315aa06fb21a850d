"""Per-process copies of configuration read on every new ticket or queue page.

Filing a ticket reads the classification patterns, the priority rules and the SLA policies
with their targets and calendars, its follow-up task the automation rules, webhook
subscriptions and auto-answer policies, and every queue and ticket page lists the agents,
teams and categories: queries for tables an admin changes a few times a month. Each
web and task process keeps its own copy for CONFIG_CACHE_SECONDS (30 by default; 0 reads
the tables every time, as the tests do):

- a save or delete of a watched model (admin, shell, data migration) empties the copy of the
  process that made it at once, and again when its transaction commits;
- every other process picks the change up when its copy expires, so an edit applies
  everywhere within CONFIG_CACHE_SECONDS. A bulk `QuerySet.update()`, which sends no
  signal, also waits for the expiry.

What is cached is shared by every request of the process: callers read it and never change
it (assign a cached instance to a field, but do not modify it).
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

# Every cache made, for `clear_all`.
_caches: list["ConfigCache"] = []


def _now() -> float:
    return time.monotonic()


class ConfigCache:
    def __init__(self, name: str, load: Callable[[], Any], *, models: list[type]) -> None:
        self.name = name
        self._load = load
        self._value: Any = None
        self._loaded_at: float | None = None
        self._lock = threading.Lock()
        _caches.append(self)
        for model in models:
            uid = f"config-cache:{name}:{model._meta.label}"
            post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=uid)
            post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=uid)

    def get(self) -> Any:
        ttl = settings.CONFIG_CACHE_SECONDS
        if ttl <= 0:
            return self._load()
        with self._lock:
            if self._loaded_at is None or _now() - self._loaded_at >= ttl:
                self._value, self._loaded_at = self._load(), _now()
            return self._value

    def clear(self) -> None:
        with self._lock:
            self._value, self._loaded_at = None, None

    def _changed(self, **kwargs) -> None:
        self.clear()
        # A copy loaded again before the commit (by this process, inside the saving
        # transaction) holds rows nobody else sees yet: empty it once more on commit. After a
        # rollback such a copy lives until it expires.
        transaction.on_commit(self.clear)


def clear_all() -> None:
    for cache in _caches:
        cache.clear()
