"""The OpenAI-compatible client, built from settings at call time.

The AI is on only when both `AI_BASE_URL` and `AI_API_KEY` are set. The client's own defaults
(a 600 s timeout, 2 retries) are far too patient for a helpdesk: both come from settings.
"""

import openai
from django.conf import settings


def ai_enabled() -> bool:
    return bool(settings.AI_BASE_URL and settings.AI_API_KEY)


def get_client() -> openai.OpenAI:
    return openai.OpenAI(
        base_url=settings.AI_BASE_URL,
        api_key=settings.AI_API_KEY,
        timeout=float(settings.AI_TIMEOUT_SECONDS),
        max_retries=int(settings.AI_MAX_RETRIES),
    )
