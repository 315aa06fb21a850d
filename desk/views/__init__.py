"""The agent desk: the live queue, the ticket page and one POST endpoint per ticket action.

Every view parses with a form, reads through `tickets.selectors`, and changes a ticket only by
calling one service from `tickets.services`. HTMX requests get the page's partials; the same
URLs work as plain pages and plain form posts without JavaScript.

Who may reach the desk is `agents.access`; `queue` the queue page, `ticket` the ticket page (with
`timeline` its audit timeline), `sla` its SLA card and timeline, `actions` the POST endpoints
and `attachments` the file downloads.
"""
