from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from tickets.hooks import Stage, register_after
        from webhooks.events import HOOK_VERBS, on_ticket_changed

        # Created, assigned, escalated, resolved, and public messages; internal notes are
        # never sent.
        for verb in HOOK_VERBS:
            register_after(verb, on_ticket_changed, stage=Stage.WEBHOOKS, deferred=verb == "create")
