from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "Service levels"

    def ready(self) -> None:
        from sla.hooks import SLA_VERBS, on_ticket_changed
        from tickets.hooks import Stage, register_after, register_in_transaction

        # The clock follows every verb whose events can start, pause, resume, meet or
        # recompute it, first among the hooks so later ones see the stored SLA state. A new
        # ticket's clocks are written in the filing transaction: no open ticket without clocks
        # and a due time, even if the process dies right after the commit.
        register_in_transaction("create", on_ticket_changed, stage=Stage.SLA)
        for verb in SLA_VERBS:
            if verb != "create":
                register_after(verb, on_ticket_changed, stage=Stage.SLA)
