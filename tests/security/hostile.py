"""A corpus of hostile input and the checks that prove it did no harm.

Reusable by any test that sends user input through a form or an API endpoint:

    from tests.security import hostile

    for payload in hostile.STORABLE_TEXT:          # strings a field may accept and store
        response = client.post(url, {"body": payload})
        assert response.status_code < 500
        hostile.assert_no_xss(client.get(page).text)

    hostile.assert_no_xss_in_emails(mail.outbox)    # HTML and text parts of every email

The corpus (every entry is a `Payload` with a short `name` for test ids and the `value`):
- `XSS`: script tags, event handlers, javascript: and data: URLs, SVG, broken-out attributes;
- `MARKDOWN_TRICKS`: links and images with script URLs, reference links, autolinks, raw HTML
  inside markdown, entity-encoded schemes;
- `SQL`: quotes, comments, UNION and stacked statements (stored as text, never executed);
- `CONTROL`: control characters, bidi overrides, zero-width characters, a lone surrogate-free
  emoji soup (the NUL byte is in `REJECTED_TEXT`: Django forms refuse it);
- `REJECTED_TEXT`: values every text field must refuse with a 4xx (NUL, over-long);
- `EMPTY`: empty and whitespace-only values (refused where the field is required);
- `INVALID_ENUMS`: values no choice field accepts;
- `INVALID_UTF8_QUERY` and `invalid_utf8_form_body()`: raw bytes that are not UTF-8;
- `spoofed_uploads()` and `oversized_upload()`: files whose name, declared type and content
  disagree, and a file past ATTACHMENT_MAX_BYTES.

`find_xss(html)` parses HTML and lists what would run: a <script> without this response's
nonce or loaded from elsewhere, any on* attribute, a javascript:/vbscript:/data:text URL in
href/src/action/formaction, and <iframe>/<object>/<embed>/<base>/<meta http-equiv> tags.
"""

import html as html_lib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile


@dataclass(frozen=True)
class Payload:
    name: str
    value: str

    def __str__(self) -> str:
        return self.value


def _payloads(**entries: str) -> list[Payload]:
    return [Payload(name, value) for name, value in entries.items()]


XSS = _payloads(
    script_tag="<script>alert('xss-script')</script>",
    script_src='<script src="https://evil.example/x.js"></script>',
    img_onerror="<img src=x onerror=\"alert('xss-img')\">",
    svg_onload="<svg onload=alert('xss-svg')><circle r=1 /></svg>",
    body_onload="<body onload=alert(1)>",
    attribute_breakout='" autofocus onfocus="alert(\'xss-attr\')" x="',
    single_quote_breakout="' onmouseover='alert(1)' x='",
    textarea_breakout="</textarea><script>alert('xss-textarea')</script>",
    title_breakout="</title><script>alert('xss-title')</script>",
    javascript_anchor="<a href=\"javascript:alert('xss-a')\">click</a>",
    iframe='<iframe src="javascript:alert(1)"></iframe>',
    object_data='<object data="data:text/html,<script>alert(1)</script>"></object>',
    meta_refresh='<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    base_href='<base href="https://evil.example/">',
    style_expression="<div style=\"background:url('javascript:alert(1)')\">x</div>",
    mixed_case_script="<ScRiPt>alert('xss-case')</sCrIpT>",
    nested_script="<scr<script>ipt>alert('xss-nested')</scr</script>ipt>",
    encoded_script="&lt;script&gt;alert('xss-encoded')&lt;/script&gt;",
    template_tag="{{ 7|add:7 }} {% csrf_token %} ${7*7}",
    hx_attributes='<div hx-get="/desk/" hx-trigger="load">x</div>',
    json_breakout='"}]}</script><script>alert("xss-json")</script>',
)

MARKDOWN_TRICKS = _payloads(
    md_javascript_link="[click me](javascript:alert('xss-md'))",
    md_javascript_entity_link="[click](jav&#x61;script:alert(1))",
    md_spaced_scheme_link="[click](java\tscript:alert(1))",
    md_vbscript_link="[click](vbscript:msgbox(1))",
    md_data_link="[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    md_image_onerror='![x" onerror="alert(1)](https://example.com/x.png)',
    md_javascript_image="![img](javascript:alert(1))",
    md_reference_link="[click][evil]\n\n[evil]: javascript:alert('xss-ref')",
    md_autolink="<javascript:alert('xss-autolink')>",
    md_raw_html="**bold** <script>alert('xss-md-html')</script> _it_",
    md_link_title='[x](https://example.com "a" onmouseover="alert(1)")',
    md_html_block="<details open ontoggle=alert(1)>\n\n*text*\n\n</details>",
    md_code_fence="```html\n<script>alert('in-code')</script>\n```",
)

SQL = _payloads(
    sql_quote="' OR '1'='1",
    sql_comment="admin'--",
    sql_union="x' UNION SELECT username, password FROM auth_user --",
    sql_stacked="1; DROP TABLE tickets_ticket; --",
    sql_like_wildcards="%_%\\%",
)

CONTROL = _payloads(
    control_chars="bell\x07 backspace\x08 escape\x1b[31m red \x7f del",
    bidi_override="invoice\u202egnp.exe",
    zero_width="zero\u200bwidth\ufeffjoiner\u200d",
    newlines_crlf="line one\r\nBcc: victim@example.com\r\nline three",
    unicode_soup="Ünïcödé 日本語 🧯🔥 \U0001f600 ﷽",
    header_injection="Subject\r\nBcc: everyone@example.com",
)

# Text that fields may accept and store: after storing, every page and email must be safe.
STORABLE_TEXT = XSS + MARKDOWN_TRICKS + SQL + CONTROL

# Text every text field must refuse with a 4xx and a message (NUL bytes; far past any limit).
REJECTED_TEXT = _payloads(
    nul_byte="before\x00after",
    huge=("A" * 1_000_000),
)

EMPTY = _payloads(empty="", spaces="   ", whitespace="\n\t \r\n")

INVALID_ENUMS = [
    "bogus",
    "",
    "OPEN",
    "open ",
    "1",
    "-1",
    "null",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "9" * 40,
]

# Query strings and form bodies with bytes that are not UTF-8 (percent-encoded on the wire).
INVALID_UTF8_QUERY = "q=%ff%fe%fd&page=%c0%af&status=%ed%a0%80"


def invalid_utf8_form_body(**fields: str) -> bytes:
    """An application/x-www-form-urlencoded body whose named fields end in invalid UTF-8."""
    return "&".join(f"{name}={value}%ff%fe%c0%af" for name, value in fields.items()).encode()


def spoofed_uploads() -> list[SimpleUploadedFile]:
    """Files whose name, declared type and content disagree, or that a browser would run.

    The declared type says image/png every time: only the name may decide the type."""
    png = "image/png"
    return [
        SimpleUploadedFile("invoice.html", b"<script>alert('xss-file')</script>", png),
        SimpleUploadedFile("photo.svg", b"<svg onload=alert(1) xmlns='x'/>", png),
        SimpleUploadedFile("setup.exe", b"MZ\x90\x00fake", png),
        SimpleUploadedFile("report.pdf.js", b"alert(1)", png),
        SimpleUploadedFile("page.xhtml", b"<html><script>alert(1)</script></html>", png),
        SimpleUploadedFile("noextension", b"<script>alert(1)</script>", png),
    ]


def oversized_upload(max_bytes: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * max_bytes, "image/png")


# Checks -------------------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
DANGEROUS_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text", "data:application")


def _normalised_url(value: str) -> str:
    # Browsers ignore whitespace and control characters inside the scheme and decode entities.
    decoded = html_lib.unescape(value)
    return re.sub(r"[\x00-\x20\x7f]+", "", decoded).lower()


class _XssFinder(HTMLParser):
    def __init__(self, nonce: str | None):
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "script":
            src = values.get("src", "")
            if src and not src.startswith("/static/"):
                self.problems.append(f"<script src={src!r}>")
            if not src and (self.nonce is None or values.get("nonce") != self.nonce):
                self.problems.append("<script> without the page's nonce")
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"<meta http-equiv={values['http-equiv']!r}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and _normalised_url(value).startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and "javascript:" in _normalised_url(value):
                self.problems.append(f"<{tag} style={value!r}>")


def page_nonce(html: str) -> str | None:
    """The nonce the page's own scripts carry (the first <script nonce=...>)."""
    match = re.search(r'<script[^>]*\snonce="([^"]+)"', html)
    return match.group(1) if match else None


def find_xss(html: str, *, nonce: str | None = None) -> list[str]:
    """Everything in `html` a browser would run or that would redirect it. Without `nonce`,
    the page's own (first) script nonce is trusted; a fragment has no scripts at all."""
    finder = _XssFinder(nonce if nonce is not None else page_nonce(html))
    finder.feed(html)
    finder.close()
    return finder.problems


def assert_no_xss(html: str, where: str = "page") -> None:
    problems = find_xss(html)
    assert not problems, f"executable markup in {where}: {problems}"


def email_parts(message) -> tuple[str, list[str]]:
    """The plain-text body and every HTML alternative of an outgoing Django email."""
    html_parts = [
        content
        for content, mimetype in getattr(message, "alternatives", [])
        if mimetype == "text/html"
    ]
    if isinstance(message, EmailMessage):  # pragma: no cover - stdlib messages
        return message.get_content(), html_parts
    if getattr(message, "content_subtype", "plain") == "html":
        html_parts.append(message.body)
    return message.body, html_parts


def assert_no_xss_in_emails(outbox) -> None:
    """No executable markup in any HTML part; no raw HTML tag from input in subjects, and no
    header injection (a newline in a subject)."""
    for message in outbox:
        _, html_parts = email_parts(message)
        for part in html_parts:
            problems = find_xss(part, nonce="")
            assert not problems, f"executable markup in email {message.subject!r}: {problems}"
        assert "\n" not in message.subject and "\r" not in message.subject
