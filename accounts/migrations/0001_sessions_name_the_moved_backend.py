"""Sessions signed in before the auth backend moved from the project package to `accounts`
name its old path, which Django no longer finds in AUTHENTICATION_BACKENDS: without this
every signed-in user would be signed out by the upgrade. Rewrites the path in live sessions
(and back on reverse); nothing else in a session changes."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import migrations
from django.utils import timezone

# In parts, so that the module-move rewrite leaves the old path as it was.
OLD_BACKEND = ".".join(["helpdesk", "auth", "UserWithProfileBackend"])
NEW_BACKEND = ".".join(["accounts", "auth", "UserWithProfileBackend"])


def _rename_backend(apps, *, old: str, new: str) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=1000):
        data = store.decode(session.session_data)
        if data.get(BACKEND_SESSION_KEY) == old:
            data[BACKEND_SESSION_KEY] = new
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def forwards(apps, schema_editor):
    _rename_backend(apps, old=OLD_BACKEND, new=NEW_BACKEND)


def backwards(apps, schema_editor):
    _rename_backend(apps, old=NEW_BACKEND, new=OLD_BACKEND)


class Migration(migrations.Migration):

    dependencies = [("sessions", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
