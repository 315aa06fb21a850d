"""Parsing real RFC 822 bytes: Gmail- and Outlook-style replies, HTML-only mail, attachments,
other charsets, invalid bytes and missing headers; and the reply stripper."""

from email.message import EmailMessage

import pytest

from mail.parse import MalformedEmail, parse_email, read_message_id
from mail.quotes import strip_reply
from tests.mail.conftest import build_email

GMAIL_REPLY = """Thanks, that fixed it!

Ann

On Mon, 3 Mar 2025 at 10:00, Support <support@example.com> wrote:
> Hello Ann,
>
> Please clear the cache.
"""

GMAIL_WRAPPED_ATTRIBUTION = """Still broken for me.

On Mon, 3 Mar 2025 at 10:00, Support Team of Example Corporation <
support@example.com> wrote:

> Please clear the cache.
"""

OUTLOOK_REPLY = """It works now, thank you.

Best regards,
Bob

-----Original Message-----
From: Support <support@example.com>
Sent: Monday, March 3, 2025 10:00 AM
To: Bob <bob@example.org>
Subject: [TKT-00001] New reply
"""

OUTLOOK_HEADER_BLOCK = """Sounds good.

________________________________
From: Support <support@example.com>
Sent: Monday, March 3, 2025 10:00
To: Bob
Subject: RE: [TKT-00001] New reply

Hello Bob,
"""

OUTLOOK_NO_RULE = """Done, see attached.

From: Support <support@example.com>
Sent: Monday, March 3, 2025 10:00
To: Bob
Subject: RE: [TKT-00001] New reply
"""

SIGNED = """Here are the logs you asked for.

--
Carol Example
VP of Things, Example Corp
"""

MOBILE = """Yes please go ahead.

Sent from my iPhone
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GMAIL_REPLY, "Thanks, that fixed it!\n\nAnn"),
        (GMAIL_WRAPPED_ATTRIBUTION, "Still broken for me."),
        (OUTLOOK_REPLY, "It works now, thank you.\n\nBest regards,\nBob"),
        (OUTLOOK_HEADER_BLOCK, "Sounds good."),
        (OUTLOOK_NO_RULE, "Done, see attached."),
        (SIGNED, "Here are the logs you asked for."),
        (MOBILE, "Yes please go ahead."),
        (
            "Le lun. 3 mars 2025, Support a écrit :\n> bonjour",
            "Le lun. 3 mars 2025, Support a écrit :\n> bonjour",
        ),
    ],
    ids=[
        "gmail",
        "gmail-wrapped",
        "outlook",
        "outlook-rule",
        "outlook-block",
        "sig",
        "mobile",
        "only-quote",
    ],
)
def test_the_reply_stripper_keeps_only_what_the_customer_wrote(text, expected):
    assert strip_reply(text) == expected


def test_inline_quotes_are_dropped_but_the_answers_between_them_kept():
    text = "> Which version?\n2.3.1\n> Which browser?\nFirefox\n"
    assert strip_reply(text) == "2.3.1\nFirefox"


def test_a_from_line_in_the_customers_own_words_is_not_a_quote_header():
    text = "From: my point of view this is a bug.\nPlease fix it."
    assert strip_reply(text) == text


def test_a_gmail_style_message_gives_sender_ids_recipients_and_text():
    raw = build_email(
        sender='"Ann Customer" <Ann@Example.org>',
        to="Support <support+TKT-00007@example.com>",
        subject="Re: [TKT-00007] Export",
        body=GMAIL_REPLY,
        html="<div dir=ltr>Thanks, that fixed it!</div><div class=gmail_quote>On Mon … wrote:"
        "<blockquote>Please clear the cache.</blockquote></div>",
        message_id="<CAF123@mail.gmail.com>",
        in_reply_to="<n.abc@example.com>",
        references="<ticket.TKT-00007.0123456789abcdef@example.com> <n.abc@example.com>",
    )
    parsed = parse_email(raw)

    assert parsed.message_id == "<CAF123@mail.gmail.com>"
    assert parsed.from_address == "ann@example.org"
    assert parsed.from_name == "Ann Customer"
    assert parsed.recipients == ["support+tkt-00007@example.com"]
    assert parsed.subject == "Re: [TKT-00007] Export"
    assert parsed.thread_ids == [
        "<n.abc@example.com>",
        "<ticket.TKT-00007.0123456789abcdef@example.com>",
    ]
    # The text part wins over the HTML one when both are there.
    assert parsed.text.startswith("Thanks, that fixed it!")
    assert parsed.reply_text() == "Thanks, that fixed it!\n\nAnn"


def test_html_only_mail_becomes_text_without_markup_scripts_or_gmail_quotes():
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>Hello,</p><p>The <b>invoice</b> is wrong.<br>Total: 10&nbsp;€</p>"
        "<script>alert(1)</script>"
        "<div class='gmail_quote'>On Mon wrote:<blockquote>old text</blockquote></div>"
        "</body></html>"
    )
    parsed = parse_email(build_email(body=None, html=html))

    assert parsed.text == "Hello,\n\nThe invoice is wrong.\nTotal: 10 €"
    assert "alert" not in parsed.text and "color" not in parsed.text
    assert "old text" not in parsed.text


def test_html_blockquotes_become_quotes_and_outlook_history_is_cut():
    html = (
        "<div>New answer</div><blockquote><div>quoted line</div></blockquote>"
        "<div id='divRplyFwdMsg'>From: Support</div><div>older mail</div>"
    )
    parsed = parse_email(build_email(body=None, html=html))

    assert "> quoted line" in parsed.text
    assert "older mail" not in parsed.text
    assert parsed.reply_text() == "New answer"


def test_attachments_are_read_with_their_names_and_types():
    raw = build_email(
        attachments=(
            ("screenshot.png", b"\x89PNG fake", "image/png"),
            ("report.pdf", b"%PDF-1.4 fake", "application/pdf"),
        )
    )
    parsed = parse_email(raw)

    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("screenshot.png", "image/png", b"\x89PNG fake"),
        ("report.pdf", "application/pdf", b"%PDF-1.4 fake"),
    ]
    assert parsed.text == "The export button spins forever."


@pytest.mark.parametrize("charset", ["iso-8859-1", "windows-1252", "iso-8859-15"])
def test_other_charsets_are_decoded(charset):
    raw = build_email(body="Grüße aus Köln, ça va?", charset=charset, subject="Größe")
    parsed = parse_email(raw)

    assert parsed.text == "Grüße aus Köln, ça va?"
    assert parsed.subject == "Größe"


def test_encoded_words_in_headers_are_decoded():
    raw = (
        b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>\r\n"
        b"To: support@example.com\r\n"
        b"Subject: =?iso-8859-1?q?Rechnung_f=FCr_M=E4rz?=\r\n"
        b"Message-ID: <x1@example.de>\r\n\r\nHallo\r\n"
    )
    parsed = parse_email(raw)

    assert parsed.from_name == "Jürgen Müller"
    assert parsed.subject == "Rechnung für März"


def test_invalid_bytes_and_a_lying_charset_do_not_break_parsing():
    raw = (
        b"From: dave@example.org\r\nTo: support@example.com\r\nSubject: broken \xff\xfe bytes\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"caf\xe9 au lait \xff\r\n"
    )
    parsed = parse_email(raw)

    assert parsed.from_address == "dave@example.org"
    assert parsed.text.startswith("caf")
    assert "au lait" in parsed.text


def test_an_unknown_charset_falls_back_to_utf8():
    raw = (
        b"From: erin@example.org\r\nTo: support@example.com\r\nSubject: x\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello \xc3\xa9\r\n"
    )
    assert parse_email(raw).text == "hello é"


def test_a_message_without_message_id_gets_a_stable_one_from_its_bytes():
    raw = b"From: fay@example.org\r\nTo: support@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
    first, second = parse_email(raw), parse_email(raw)

    assert first.message_id == second.message_id == read_message_id(raw)
    assert first.message_id.startswith("<sha256.")
    assert first.subject == "hi"


def test_missing_subject_and_body_still_parse():
    message = EmailMessage()
    message["From"] = "gil@example.org"
    parsed = parse_email(message.as_bytes())

    assert parsed.subject == "" and parsed.text == "" and parsed.recipients == []


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"just some text without headers", "no headers"),
        (b"To: support@example.com\r\nSubject: who?\r\n\r\nbody", "no valid From"),
        (b"From: not an address\r\nSubject: x\r\n\r\nbody", "no valid From"),
    ],
)
def test_messages_without_a_sender_are_malformed(raw, reason):
    with pytest.raises(MalformedEmail, match=reason):
        parse_email(raw)


def test_read_message_id_finds_a_folded_header_without_parsing_the_body():
    raw = b"From: a@b.c\r\nMessage-ID:\r\n <folded@example.org>\r\n\r\n" + b"x" * 1000
    assert read_message_id(raw) == "<folded@example.org>"
