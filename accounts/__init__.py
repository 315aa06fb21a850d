"""Owns signing in: the login pages and their lock-out, the auth backend that reads the agent
profile with the user, the home redirect and the navigation context processor.
May import `common`, `ratelimits` and `agents` (who is an agent); no other app imports it."""
