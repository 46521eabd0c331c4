"""mailto:/tel: hrefs come only from valid stored values; the visible text is escaped."""

import pytest

from components.links import link_markdown, mail_href, tel_href
from components.text import esc


@pytest.mark.parametrize("email, href", [
    ("ana.lopez+crm@example.com", "mailto:ana.lopez%2Bcrm@example.com"),
    ("a@b.example", "mailto:a@b.example"),
    ("javascript:alert(1)", None), ("x@y.example?cc=boss@evil.example", None), ("a b@c.example", None),
    ("[x](javascript:1)@e.example", None), ("", None), (None, None),
])
def test_mail_href(email, href):
    assert mail_href(email) == href


@pytest.mark.parametrize("phone, href", [
    ("+4930123456", "tel:+4930123456"), ("+1 555 0100", None), ("030 1234", None), ("+49)(javascript:x", None),
    (None, None),
])
def test_tel_href(phone, href):
    assert tel_href(phone) == href


def test_link_text_is_escaped_and_no_link_without_a_valid_href():
    assert link_markdown("✉", "a_b@c.example", "mailto:a_b@c.example") == f"✉ [{esc('a_b@c.example')}](mailto:a_b@c.example)"
    assert link_markdown("✉", "[click](javascript:x)", None) == f"✉ {esc('[click](javascript:x)')}"
    assert "](" not in esc("[click](javascript:x)").replace("\\]\\(", "")
    assert link_markdown("✉", "", None) == ""
