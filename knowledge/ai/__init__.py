"""The optional AI layer: one OpenAI-compatible client (`client`), one logged, budgeted call
(`service.ai_complete_json`), and the features built on it (`classification`)."""
