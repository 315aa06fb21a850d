"""Admin for tickets and the people who file them, one module per area; importing them
registers their admin classes.

A ticket's lifecycle (status, priority, assignee, team, category, tags, escalation,
resolution, timestamps) changes only through `tickets.services`, which writes the audit
event: here those fields are read-only, and only the wording (subject, body) may be fixed.
The audit trail (`TicketEvent`) is read-only altogether.
"""

from tickets.admin import config, customers, ticket  # noqa: F401 - registers their admin classes
