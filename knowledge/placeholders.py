"""The placeholders a canned response may use, and the one parser that checks and fills them.

A placeholder is a name in single braces, `{customer_name}`. A literal brace is written
doubled, `{{` or `}}` (as in Python's `str.format`). Anything else in braces, and any brace
left on its own, is refused when the response is saved, so a reply never goes out with a
`{typo}` in it.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

# Name → what it is filled with (shown in the admin's help text and in error messages).
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "the customer's name",
    "ticket_id": "the ticket reference, e.g. BIL-1042",
    "category": 'the ticket\'s category, or "General"',
    "created_date": "the day the ticket was filed, e.g. 23 Nov 2026",
    "agent_name": 'the sending agent\'s name, or "Support team"',
    "company": "the customer's organization, or nothing",
}

# `{{` and `}}` first, so escapes win over a placeholder; then `{name}`; then a lone brace.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}|[{}]")


@dataclass
class TemplateProblems:
    unknown: list[str] = field(default_factory=list)
    stray: list[tuple[str, int]] = field(default_factory=list)  # (brace, line number)

    def __bool__(self) -> bool:
        return bool(self.unknown or self.stray)


def allowed_list() -> str:
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def find_problems(text: str) -> TemplateProblems:
    problems = TemplateProblems()
    for match in _TOKEN.finditer(text or ""):
        piece = match.group(0)
        if piece in ("{{", "}}"):
            continue
        if match.group(1) is not None:
            if match.group(1) not in PLACEHOLDERS and piece not in problems.unknown:
                problems.unknown.append(piece)
            continue
        line = text.count("\n", 0, match.start()) + 1
        problems.stray.append((piece, line))
    return problems


def validate_template(text: str, *, field_name: str = "content") -> None:
    """Raise a ValidationError naming every unknown placeholder and lone brace."""
    problems = find_problems(text)
    if not problems:
        return
    errors = []
    if problems.unknown:
        names = ", ".join(problems.unknown)
        noun = "placeholder" if len(problems.unknown) == 1 else "placeholders"
        errors.append(f"Unknown {noun} {names}. Allowed: {allowed_list()}.")
    for brace, line in problems.stray:
        errors.append(
            f"A lone “{brace}” on line {line} is not a placeholder; "
            f"write “{brace * 2}” for a literal brace."
        )
    raise ValidationError({field_name: errors})


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each placeholder with its value and each `{{`/`}}` with one brace.

    Text that was never validated is filled as far as it can be: unknown placeholders and lone
    braces are left as written rather than failing a send.
    """

    def replace(match: re.Match) -> str:
        piece = match.group(0)
        if piece == "{{":
            return "{"
        if piece == "}}":
            return "}"
        name = match.group(1)
        if name is not None and name in values:
            return str(values[name])
        return piece

    return _TOKEN.sub(replace, text or "")
