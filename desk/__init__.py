"""Owns the agent desk pages: the live queue, the ticket page, its actions, canned responses.
May import the core `tickets` services and selectors, the features' published functions,
`api` (its token pages), `common`, `ratelimits` and `accounts`; no other app imports it."""
