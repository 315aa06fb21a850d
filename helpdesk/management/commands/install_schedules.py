"""Install the schedules declared in `helpdesk.schedules`; safe to run on every deploy."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_q.models import Schedule

from helpdesk import schedules
from helpdesk.schedules import NAME_PREFIX

# Fields a declaration may set; `next_run` is left alone on update so a redeploy does not
# postpone or re-trigger a schedule.
DECLARABLE_FIELDS = {"func", "schedule_type", "minutes", "cron", "args", "kwargs", "repeats"}


class Command(BaseCommand):
    help = "Create or update the declared schedules and remove ours that were dropped."

    @transaction.atomic
    def handle(self, *args, **options):
        declared = []
        for entry in schedules.SCHEDULES:
            name = entry["name"]
            if not name.startswith(NAME_PREFIX):
                raise CommandError(f"Schedule name {name!r} must start with {NAME_PREFIX!r}.")
            if name in declared:
                raise CommandError(f"Schedule {name!r} is declared twice.")
            unknown = set(entry) - DECLARABLE_FIELDS - {"name"}
            if unknown:
                raise CommandError(f"Schedule {name!r} has unknown fields: {sorted(unknown)}.")
            defaults = {"repeats": -1, **{k: v for k, v in entry.items() if k != "name"}}
            _, created = Schedule.objects.update_or_create(name=name, defaults=defaults)
            declared.append(name)
            self.stdout.write(f"{'Created' if created else 'Updated'} schedule {name}")

        dropped = Schedule.objects.filter(name__startswith=NAME_PREFIX).exclude(name__in=declared)
        for name in dropped.values_list("name", flat=True):
            self.stdout.write(f"Removed schedule {name}")
        dropped.delete()
