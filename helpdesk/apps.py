from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from django_q.signals import post_execute_in_worker, pre_execute

        from helpdesk.task_attempts import count_started_attempt, hand_back_finished_attempt

        # Count every task attempt, also one that kills its worker (helpdesk.task_attempts).
        pre_execute.connect(count_started_attempt, dispatch_uid="helpdesk-count-attempt")
        post_execute_in_worker.connect(
            hand_back_finished_attempt, dispatch_uid="helpdesk-hand-back-attempt"
        )
