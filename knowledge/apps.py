from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from knowledge import autoanswer
        from tickets.hooks import Stage, register_after

        # The auto-response cascade runs in the new ticket's background task; the customer
        # is told of an automatic answer like of an agent's reply.
        register_after(
            "create", autoanswer.answer_new_ticket, stage=Stage.AUTO_ANSWER, deferred=True
        )
