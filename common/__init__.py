"""Owns what every layer may use: ApplicationError and the API error format, markdown, the
config cache, guarded outbound HTTP, /healthz, the NUL-byte guard, task-result pruning.
May import Django and third-party libraries only: never another app of ours (contract)."""
