"""Strip quoted history and signatures from an email reply, keeping what the customer wrote.

A small, tested stripper instead of a dependency: it cuts at the first line that starts the
quoted original (Gmail/Apple "On … wrote:", Outlook "-----Original Message-----" or its
"From: / Sent: / To: / Subject:" block, a line of underscores), drops "> " quoted lines and
cuts the signature ("-- " delimiter, "Sent from my …"). When stripping would leave nothing, the
whole text is kept: losing a customer's words is worse than showing a quote.
"""

import re

# "On Mon, 3 Mar 2025 at 10:00, Support <support@example.com> wrote:" and its translations.
# Gmail wraps long attribution lines, so two joined lines are tried as well.
ATTRIBUTION_RE = re.compile(
    r"^\s*(on\s.+\swrote|le\s.+\sa\s[ée]crit|am\s.+\sschrieb|el\s.+\sescribi[óo]"
    r"|op\s.+\sschreef|il\s.+\sha\sscritto)\s*:\s*$",
    re.IGNORECASE,
)
ORIGINAL_MESSAGE_RE = re.compile(
    r"^\s*-{2,}\s*(original message|forwarded message|ursprüngliche nachricht"
    r"|message d'origine)\s*-{2,}\s*$",
    re.IGNORECASE,
)
UNDERSCORE_RULE_RE = re.compile(r"^\s*_{10,}\s*$")
HEADER_LINE_RE = re.compile(r"^\s*\*?(from|von|de)\s*:\*?\s", re.IGNORECASE)
HEADER_FOLLOW_RE = re.compile(
    r"^\s*\*?(sent|date|to|subject|cc|gesendet|an|betreff|envoyé|à|objet)\s*:", re.IGNORECASE
)
SIGNATURE_RE = re.compile(r"^(--|-- |__)\s*$")
MOBILE_SIGNATURE_RE = re.compile(
    r"^\s*(sent from my \w+|sent from (outlook|mail) for \w+|get outlook for \w+"
    r"|envoyé de mon \w+|von meinem \w+ gesendet)",
    re.IGNORECASE,
)
# Our own marker, in the notification templates: anything below it is our quoted email.
REPLY_MARKER_RE = re.compile(r"^\s*#+\s*reply above this line\s*#+\s*$", re.IGNORECASE)


def _starts_quoted_original(lines: list[str], index: int) -> bool:
    line = lines[index]
    if ORIGINAL_MESSAGE_RE.match(line) or REPLY_MARKER_RE.match(line) or ATTRIBUTION_RE.match(line):
        return True
    if index + 1 < len(lines) and ATTRIBUTION_RE.match(f"{line} {lines[index + 1]}"):
        return True
    if UNDERSCORE_RULE_RE.match(line):
        following = [item for item in lines[index + 1 : index + 3] if item.strip()]
        return bool(following) and bool(HEADER_LINE_RE.match(following[0]))
    if HEADER_LINE_RE.match(line):
        # An Outlook header block: From: followed within a few lines by Sent:/To:/Subject:.
        window = lines[index + 1 : index + 5]
        return sum(1 for item in window if HEADER_FOLLOW_RE.match(item)) >= 2
    return False


def strip_reply(text: str) -> str:
    """The new part of a reply. See the module docstring for what is removed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _starts_quoted_original(lines, index):
            break
        if SIGNATURE_RE.match(line) or MOBILE_SIGNATURE_RE.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    result = "\n".join(kept).strip()
    result = re.sub(r"\n{3,}", "\n\n", result)
    return result or text.strip()
