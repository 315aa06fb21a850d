"""Owns the REST API's plumbing (`/api/v1/`): tokens, authentication, throttles, pagination,
idempotency, permissions, schema. May import `common`, `ratelimits`, `tickets`, `agents`.

The endpoints themselves live next to their app (`tickets/api.py`, `knowledge/api.py`,
`webhooks/api.py`) and call the same services and selectors as the pages; the route table is
`helpdesk/api_urls.py`, the error format `common/api_errors.py`.
"""
