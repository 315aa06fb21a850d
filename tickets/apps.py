from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from django_q.signals import post_execute_in_worker, pre_execute

        from tickets.hooks import install_ticket_hooks
        from tickets.task_attempts import count_started_attempt, report_finished_attempt

        install_ticket_hooks()
        # Count every task attempt, also one that kills its worker (tickets.task_attempts).
        pre_execute.connect(count_started_attempt, dispatch_uid="tickets-count-attempt")
        post_execute_in_worker.connect(
            report_finished_attempt, dispatch_uid="tickets-report-attempt"
        )
