"""The rules engine: structured conditions on a ticket, actions through the ticket services.

- `conditions`: the field registry (how each field is read, which operators it accepts) and
  condition validation and evaluation;
- `actions`: what a rule can do, each through the existing services, and their validation;
- `engine`: evaluation on lifecycle events (after-hooks) with the loop guard;
- `time_rules`: the hourly, time-based rules.
"""
