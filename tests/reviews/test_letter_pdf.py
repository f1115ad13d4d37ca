"""The letter's HTML drawn as PDF (reviews/letter_pdf.py): every sentence reaches the page, markup
it does not know is refused, and any text stays text."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter

import pytest
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from accounts.models import User
from reviews import services
from reviews.letter_pdf import LetterMarkupUnknown, Node, _glyphs, draws, html_to_pdf, parse
from reviews.letters import render_letter_html, render_letter_pdf
from reviews.models import Decision
from tests.factories import make_case
from tests.reviews.test_letters import _denied

BLOCK_TEXT = {"p", "h1", "h2", "td", "li"}


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _texts(node: Node) -> str:
    return "".join(c if isinstance(c, str) else _texts(c) for c in node.children)


def _blocks(node: Node) -> list[str]:
    """The text of each block of the letter (paragraph, heading, table cell, list item, a
    letterhead line), in order."""
    found: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            continue
        if child.tag in BLOCK_TEXT or (child.tag == "div" and not child.elements("div")):
            found.append(_texts(child))
        else:
            found += _blocks(child)
    return found


def assert_drawn_whole(decision: Decision) -> None:
    """Every block of the letter's HTML is on the PDF's pages, word for word, and each page's
    foot says "<reference> · page N of M"."""
    reference = decision.case.reference
    pages = _pdf_pages(render_letter_pdf(decision))
    feet = [f"{reference} · page {n} of {len(pages)}" for n in range(1, len(pages) + 1)]
    for page, foot in zip(pages, feet, strict=True):
        assert foot in page
    drawn = _squeezed("".join(p.replace(f, "") for p, f in zip(pages, feet, strict=True)))
    blocks = [_squeezed(b) for b in _blocks(parse(render_letter_html(decision)))]
    assert len(blocks) > 30
    missing = [b for b in blocks if b not in drawn]
    assert missing == []


@pytest.mark.django_db
def test_it_draws_every_sentence_of_a_denial_and_of_an_approval(
    riverside: User, pharmacist: User
) -> None:
    assert_drawn_whole(_denied(riverside, pharmacist)[1])
    approved = make_case(riverside, claim_by=pharmacist)
    assert_drawn_whole(services.case_approve(actor=pharmacist, case=approved, reason="Met."))


def test_it_refuses_markup_it_does_not_draw() -> None:
    """A template change the module does not know is an error, never a dropped sentence."""
    for markup in (
        "<p>x</p><img src='x.png'>",
        "<p><a href='https://example.org/'>x</a></p>",
        "<div class='sidebar'><p>x</p></div>",
        "<p class='large'>x</p>",
        "<ul><li>x</li></ul>",
        "<table class='meta'><tr><th>x</th></tr></table>",
        "loose text",
    ):
        with pytest.raises(LetterMarkupUnknown):
            html_to_pdf(markup, footer="PA-1", title="t", author="a")


def test_it_draws_what_it_knows_and_ignores_the_head() -> None:
    html = (
        "<html><head><title>T</title><style>p { color: red }</style></head><body>"
        "<h1>Title</h1><p class='small'>small <strong>bold</strong><br>next</p>"
        "<ol><li>one</li><li>two</li></ol></body></html>"
    )
    text = _squeezed("".join(_pdf_pages(html_to_pdf(html, footer="PA-1", title="t", author="a"))))
    assert text == _squeezed("Title small bold next 1. one 2. two PA-1 · page 1 of 1")


# Letters, digits, punctuation (ReportLab's markup characters among them) and the accented
# letters of the taglines' languages: what DejaVu Sans draws and pypdf reads back as written.
WORDS = st.text(
    alphabet=st.sampled_from(
        "abcXYZ019 <>&\"';=/#%()[]{}!?.,:-\u00e9\u00f1\u00fc\u00e7\u00e0\u1ebf\u1ec7\u0111"
        "\x00\x07\x1b"
    ),
    min_size=1,
    max_size=200,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=WORDS)
def test_it_keeps_any_text_as_text(words: str) -> None:
    """What a reviewer or a clinic typed (escaped by the template, as Django does) is drawn as
    written: never read as ReportLab markup, an entity or a tag; control characters become
    spaces."""
    html = f"<p>{escape(words)}</p><p class='small'>{escape(words)}</p>"
    pages = _pdf_pages(html_to_pdf(html, footer=words, title=words, author=words))
    printable = re.sub(r"[\x00-\x1f\x7f]", " ", words)
    expected = _squeezed(printable) * 2 + _squeezed(f"{printable} · page 1 of 1")
    assert _squeezed("".join(pages)) == expected


def test_it_draws_a_cell_longer_than_a_page_across_pages() -> None:
    """A table row taller than a page (an administrator's long clinic address, a long name) is
    split across pages, never refused: a letter that cannot be drawn would never be sent. Every
    word is drawn, once per place it stands (a split row's cells interleave across pages)."""
    words = " ".join(f"word{n}" for n in range(3000))
    html = (
        f"<table class='addressees'><tr><td>{words}</td><td>short</td></tr></table>"
        f"<table class='meta'><tr><td>Member</td><td>{'y' * 5000}</td></tr></table>"
        f"<ol><li>{words}</li></ol><p>{words}</p>"
    )
    text = "".join(_pdf_pages(html_to_pdf(html, footer="PA-1", title="t", author="a")))
    drawn = Counter(re.findall(r"word\d+", _squeezed(text).replace("word", " word")))
    assert drawn == Counter({f"word{n}": 3 for n in range(3000)})
    assert _squeezed(text).count("y") == 5000
    assert "short" in text and "Member" in text and text.count("page ") > 5


@pytest.mark.parametrize(
    ("text", "drawn"),
    [
        (
            "Nguy\u1ec5n M\u00fcller \u03a9\u03bc\u03ad\u03b3\u03b1 \u0418\u0432\u0430\u043d\u043e\u0432",
            True,
        ),
        ("Ta\u0161ko \u00d8stergaard O'Brien-Smith 10\u00b9\u00b3 \u00d7 \u203a", True),
        ("tab\tand\x00control\x1b", True),
        ("\u05db\u05d4\u05df", False),  # Hebrew: right to left
        ("\u0645\u062d\u0645\u062f", False),  # Arabic: right to left, joined letters
        ("\u738b", False),  # Chinese: no glyph in DejaVu Sans
        ("\U0001f9ec \uac00 \u0915", False),  # an emoji, Korean, Devanagari: no glyph
        ("A \u202e reversed", False),  # a right-to-left override
    ],
)
def test_it_says_which_text_it_draws_as_it_reads(text: str, drawn: bool) -> None:
    """Right-to-left scripts and characters DejaVu Sans lacks go to the general engine
    (reviews.letters.render_letter_pdf) instead of being drawn reversed or not at all."""
    assert draws(text) is drawn


# Every character the fast engine takes: what both weights of DejaVu Sans have, left to right.
DRAWN = [chr(c) for c in sorted(_glyphs()) if draws(chr(c))]


@settings(max_examples=150, deadline=None)
@given(words=st.text(alphabet=st.sampled_from(DRAWN) | st.sampled_from(" \n"), max_size=120))
def test_it_draws_whatever_it_says_it_draws(words: str) -> None:
    """Any text draws() accepts (so the fast engine gets it) is drawn without an error, and its
    letters, digits and punctuation come back from the page."""
    assert draws(words)
    html = f"<p>{escape(words)}</p>"
    text = "".join(_pdf_pages(html_to_pdf(html, footer="PA-1", title="t", author="a")))
    kept = [c for c in words if unicodedata.category(c)[0] in "LNP" and c.isascii()]
    # In order, though not necessarily side by side: a glyph two characters share (U+01C0 and
    # "|" in DejaVu Sans) reads back as one of them.
    page = iter(text)
    assert all(c in page for c in kept)
