"""Owns the rate limits (fixed windows counted in `RateLimitWindow`, login lock-out counts,
portal post limits, client IP) and their daily cleanup task.
May import `common` only; the apps that limit something (accounts, api, tickets) import it."""
