"""Owns outbound webhooks: subscriptions, deliveries, signing, retries, their admin, API and
tasks; other apps use its published functions in `webhooks.services` (see that module).
May import `common`, `api` (plumbing) and `tickets` (the hook context, the ticket models)."""
