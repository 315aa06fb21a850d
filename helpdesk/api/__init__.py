"""Shared plumbing of the REST API (`/api/v1/`): tokens, authentication, throttles,
pagination, idempotency, the error format, the schema and the URL table.

The endpoints themselves live next to their app (`tickets/api.py`, `knowledge/api.py`,
`helpdesk/webhooks/api.py`) and call the same services and selectors as the pages.
"""
