"""The checker in tests.security.hostile must catch what it claims to catch, or every test
built on it would pass vacuously."""

import pytest
from django.utils.html import escape

from common.markdown import render_markdown
from tests.security import hostile

RAW_EXECUTABLE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  JaVa&#x09;ScRiPt:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<iframe src="/"></iframe>',
    '<meta http-equiv="refresh" content="0;url=/">',
    '<base href="https://evil.example/">',
    '<script src="https://evil.example/x.js" nonce="n"></script>',
]


@pytest.mark.parametrize("markup", RAW_EXECUTABLE)
def test_find_xss_flags_executable_markup(markup):
    page = f'<html><body>{markup}<script nonce="n" src="/static/js/app.js"></script></body></html>'

    assert hostile.find_xss(page, nonce="n")


@pytest.mark.parametrize("payload", hostile.STORABLE_TEXT, ids=lambda p: p.name)
def test_escaped_payloads_are_not_flagged(payload):
    assert hostile.find_xss(f"<p>{escape(payload.value)}</p>", nonce="") == []


@pytest.mark.parametrize("payload", hostile.STORABLE_TEXT, ids=lambda p: p.name)
def test_rendered_markdown_of_every_payload_is_inert(payload):
    assert hostile.find_xss(render_markdown(payload.value), nonce="") == []


def test_the_page_nonce_is_trusted_and_other_inline_scripts_are_not():
    page = '<script nonce="abc" src="/static/js/app.js"></script><script nonce="abc">ok()</script>'

    assert hostile.find_xss(page) == []
    assert hostile.find_xss(page + "<script>evil()</script>")
    assert hostile.find_xss(page + '<script nonce="other">evil()</script>')


def test_the_corpus_is_documented_and_every_payload_named_uniquely():
    names = [p.name for p in hostile.STORABLE_TEXT + hostile.REJECTED_TEXT + hostile.EMPTY]

    assert len(names) == len(set(names))
    assert hostile.__doc__ and "find_xss" in hostile.__doc__
    assert len(hostile.REJECTED_TEXT[1].value) >= 1_000_000
    assert all(upload.size > 0 for upload in hostile.spoofed_uploads())
