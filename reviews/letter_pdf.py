"""A determination letter's HTML drawn as PDF with ReportLab.

The template (templates/reviews/letters/determination.html) stays the one source of what a letter
says; this module knows the dozen elements it uses and draws them. WeasyPrint, a general HTML and
CSS engine, laid the same two pages out in ~65 ms of CPU, most of what a decision cost the worker
(issue 20, bench/README.md); drawing them directly takes ~14-17 ms. A letter with text it cannot
draw as it reads (right to left, or a character DejaVu Sans lacks: draws()) still goes to
WeasyPrint (reviews.letters.render_letter_pdf).

The markup is a contract: an element or class this module does not know raises
LetterMarkupUnknown, so a template change cannot drop a sentence from the letter silently.
Nothing is ever loaded from outside: text is escaped before ReportLab reads it, and this module
writes no tag that names a file or URL (ReportLab's <img> and <a> are never produced).
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FONTS = Path(__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
MARGIN_CM = 2  # the template's @page margin, on US Letter
INK = "#1f3b63"  # the letterhead's blue
GREY = "#444444"  # small print

INLINE = {"strong": "b", "b": "b", "em": "i", "i": "i"}
SKIPPED = {"head", "title", "style", "meta", "script"}
# Controls other than whitespace mean nothing on paper and ReportLab's parser refuses some.
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Written right to left: ReportLab here neither orders such text for display nor joins Arabic
# letters (its bidirectional support needs a package not published for this platform).
RIGHT_TO_LEFT = frozenset({"R", "AL", "RLE", "RLO", "RLI"})


def draws(text: str) -> bool:
    """Whether this module draws every character of text as it reads: each one DejaVu Sans has
    in both weights, none written right to left. A letter that fails it (a member's name in
    Hebrew, Arabic or Chinese) goes to the general engine (reviews.letters)."""
    glyphs = _glyphs()
    return all(
        (ord(c) in glyphs and unicodedata.bidirectional(c) not in RIGHT_TO_LEFT)
        for c in set(CONTROLS.sub(" ", text))
        if not c.isspace()
    )


@cache
def _glyphs() -> frozenset[int]:
    _register_fonts()
    from reportlab.pdfbase import pdfmetrics

    regular, bold = (pdfmetrics.getFont(name).face.charToGlyph for name in (FONT, FONT_BOLD))
    return frozenset(regular) & frozenset(bold)


class LetterMarkupUnknown(ValueError):
    """The letter's template used markup this module does not draw."""


@dataclass
class Node:
    tag: str
    classes: frozenset[str] = frozenset()
    children: list[Node | str] = field(default_factory=list)

    def elements(self, tag: str) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node) and c.tag == tag]


class _TreeBuilder(HTMLParser):
    """The letter's markup as a tree of Nodes (html.parser: no network, no entities beyond HTML)."""

    VOID = {"br", "meta", "img", "hr", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED or self.skipping:
            self.skipping += tag not in self.VOID
            return
        classes = frozenset((dict(attrs).get("class") or "").split())
        node = Node(tag, classes)
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            self.skipping -= 1
            return
        for depth in range(len(self.stack) - 1, 0, -1):  # close up to the matching element
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    bodies = [n for n in _walk(builder.root) if n.tag == "body"]
    return bodies[0] if bodies else builder.root


def _walk(node: Node) -> list[Node]:
    found = [node]
    for child in node.children:
        if isinstance(child, Node):
            found += _walk(child)
    return found


def inline(node: Node) -> str:
    """An element's content as ReportLab paragraph markup: text escaped, bold, breaks, small print."""
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            parts.append(escape(CONTROLS.sub(" ", child)))
        elif child.tag == "br":
            parts.append("<br/>")
        elif child.tag in INLINE:
            tag = INLINE[child.tag]
            parts.append(f"<{tag}>{inline(child)}</{tag}>")
        elif child.tag == "span" and child.classes <= {"small"}:
            text = inline(child)
            parts.append(f'<font size="9" color="{GREY}">{text}</font>' if child.classes else text)
        else:
            raise LetterMarkupUnknown(f"<{child.tag}> inside <{node.tag}>")
    return "".join(parts).strip()


@cache
def _styles() -> dict[str, Any]:
    """The template's CSS, as ReportLab paragraph styles (10.5 pt with a 1.4 line height)."""
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14.7, spaceAfter=7)
    small = ParagraphStyle("small", body, fontSize=9, leading=12.6, textColor=GREY)
    return {
        "body": body,
        "small": small,
        "cell": ParagraphStyle("cell", body, spaceAfter=0),
        "tagline": ParagraphStyle("tagline", small, spaceBefore=2, spaceAfter=2),
        "plan": ParagraphStyle(
            "plan", body, fontName=FONT_BOLD, fontSize=14, leading=18, textColor=INK, spaceAfter=2
        ),
        "plan-small": ParagraphStyle("plan-small", small, spaceAfter=0),
        "outcome": ParagraphStyle("outcome", body, fontName=FONT_BOLD, fontSize=13, leading=17),
        "h1": _heading("h1", body, size=15, before=6, after=3),
        "h2": _heading("h2", body, size=12, before=14, after=5),
        "li": ParagraphStyle("li", body, spaceAfter=5),
    }


def _heading(name: str, body: Any, *, size: float, before: float, after: float) -> Any:
    """A heading: bold, kept with what follows it (never alone at a page's foot)."""
    from reportlab.lib.styles import ParagraphStyle

    return ParagraphStyle(
        name, body, fontName=FONT_BOLD, fontSize=size, leading=size + 4, spaceBefore=before,
        spaceAfter=after, keepWithNext=1,
    )  # fmt: skip


_fonts_lock = threading.Lock()


def _register_fonts() -> None:
    """DejaVu Sans, shipped with the app (reviews/fonts) so a letter looks the same on every
    machine, whatever fonts the system has; registered once per process."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _fonts_lock:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return
        pdfmetrics.registerFont(TTFont(FONT, FONTS / "DejaVuSans.ttf"))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, FONTS / "DejaVuSans-Bold.ttf"))
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
        )


def flowables(body: Node) -> list[Any]:
    out: list[Any] = []
    for child in body.children:
        if isinstance(child, str):
            if child.strip():
                raise LetterMarkupUnknown(f"text outside a block: {child.strip()[:60]!r}")
            continue
        out += _block(child)
    return out


def _block(node: Node) -> list[Any]:
    from reportlab.platypus import Paragraph

    styles = _styles()
    if node.tag == "p" and node.classes <= {"small", "outcome"}:
        style = "outcome" if "outcome" in node.classes else "small" if node.classes else "body"
        return [Paragraph(inline(node), styles[style])]
    if node.tag in ("h1", "h2") and not node.classes:
        return [Paragraph(inline(node), styles[node.tag])]
    if node.tag == "div" and node.classes == {"letterhead"}:
        return _letterhead(node)
    if node.tag == "div" and node.classes == {"taglines", "small"}:
        return [Paragraph(inline(p), styles["tagline"]) for p in _only(node, "p")]
    if node.tag == "table" and node.classes in ({"meta"}, {"addressees"}):
        return [_table(node)]
    if node.tag == "ol" and not node.classes:
        return [_numbered(node)]
    raise LetterMarkupUnknown(f"<{node.tag} class={' '.join(sorted(node.classes))!r}>")


def _only(node: Node, tag: str) -> list[Node]:
    """The node's children, which must all be <tag> (whitespace between them aside)."""
    for child in node.children:
        if (isinstance(child, str) and child.strip()) or (
            isinstance(child, Node) and child.tag != tag
        ):
            raise LetterMarkupUnknown(f"<{node.tag}> holds something other than <{tag}>")
    return node.elements(tag)


def _letterhead(node: Node) -> list[Any]:
    from reportlab.platypus import Paragraph
    from reportlab.platypus.flowables import HRFlowable

    styles = _styles()
    out: list[Any] = []
    for line in _only(node, "div"):
        if line.classes not in ({"plan"}, {"small"}):
            raise LetterMarkupUnknown(f"letterhead line class={' '.join(line.classes)!r}")
        out.append(
            Paragraph(inline(line), styles["plan" if "plan" in line.classes else "plan-small"])
        )
    rule = HRFlowable(width="100%", thickness=2, color=INK, spaceBefore=6, spaceAfter=12)
    return [*out, rule]


def _table(node: Node) -> Any:
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, Table, TableStyle

    rows = [_only(tr, "td") for tr in _only(_rows_holder(node), "tr")]
    cells = [[Paragraph(inline(td), _styles()["cell"]) for td in row] for row in rows]
    width = LETTER[0] - 2 * MARGIN_CM * cm  # the frame html_to_pdf lays the letter in
    addressees = "addressees" in node.classes
    columns = [width / 2, width / 2] if addressees else [4.6 * cm, width - 4.6 * cm]
    padding = (0, 1 * cm) if addressees else (1, 12)
    # splitInRow: a row taller than a page (a long address or name) continues on the next one;
    # without it ReportLab refuses the whole letter (LayoutError), and no letter is sent.
    table = Table(
        cells, colWidths=columns, hAlign="LEFT", spaceAfter=10 if addressees else 7, splitInRow=1
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), padding[1]),
                ("TOPPADDING", (0, 0), (-1, -1), padding[0]),
                ("BOTTOMPADDING", (0, 0), (-1, -1), padding[0]),
            ]
        )
    )
    return table


def _rows_holder(table: Node) -> Node:
    """A <table>'s rows, whether or not html.parser saw a <tbody> (the template writes none)."""
    bodies = table.elements("tbody")
    return bodies[0] if bodies else table


def _numbered(node: Node) -> Any:
    from reportlab.platypus import ListFlowable, ListItem, Paragraph

    items = [ListItem(Paragraph(inline(li), _styles()["li"])) for li in _only(node, "li")]
    return ListFlowable(
        items,
        bulletType="1",
        bulletFormat="%s.",
        bulletFontName=FONT,
        bulletFontSize=10.5,
        leftIndent=18,
        spaceAfter=4,
    )


def html_to_pdf(html: str, *, footer: str, title: str, author: str) -> bytes:
    """The letter's HTML as PDF, with "<footer> · page N of M" at the foot of every page."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate

    _register_fonts()
    story = flowables(parse(html))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN_CM * cm,
        rightMargin=MARGIN_CM * cm,
        topMargin=MARGIN_CM * cm,
        bottomMargin=MARGIN_CM * cm,
        title=title,
        author=author,
        creator=author,
    )
    document.build(story, canvasmaker=_numbered_canvas(CONTROLS.sub(" ", footer)))
    return buffer.getvalue()


def _numbered_canvas(footer: str) -> type:
    """A canvas that holds its pages until the end, so each footer can say how many there are."""
    from reportlab.lib.units import cm
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(FONT, 9)
                line = f"{footer} \u00b7 page {number} of {len(self._pages)}"
                self.drawCentredString(self._pagesize[0] / 2, 1 * cm, line)
                Canvas.showPage(self)
            super().save()

    return NumberedCanvas
