"""Owns the customer portal pages: filing a ticket, a ticket's secure page, "My tickets", surveys.
May import the core `tickets` services/selectors, features' published functions, `common`,
`ratelimits`, `accounts` and `api` (its token pages); no other app imports it."""
