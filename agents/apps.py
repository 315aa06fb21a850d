from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents and teams"

    def ready(self) -> None:
        from agents import routing
        from tickets.hooks import Stage, register_after

        # Routing: a new ticket finds its team and agent (again when it gets its category
        # later, e.g. from the AI); an agent who loses a ticket (reassigned, resolved, closed)
        # gets waiting tickets of their teams. After the automation rules, so a rule that sets
        # the team or priority is seen by the router.
        register_after("create", routing.on_ticket_created, stage=Stage.ROUTING, deferred=True)
        register_after("change_category", routing.on_category_changed, stage=Stage.ROUTING)
        register_after("assign", routing.on_capacity_freed, stage=Stage.ROUTING)
        register_after("transition", routing.on_capacity_freed, stage=Stage.ROUTING)
