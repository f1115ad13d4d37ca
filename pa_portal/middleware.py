"""Hostile input is refused at the edge, before any view, form or query sees it (issue 14).

PostgreSQL refuses NUL in text, an unpaired surrogate cannot be encoded for it, Python's JSON
parser recurses once per nesting level, and decimal arithmetic overflows on 1e999999999: each
used to end in a 500 somewhere deep in a view. HostileInputMiddleware looks at everything a
request carries as text (the path, the query string, the headers, urlencoded and multipart form
fields and uploaded file *names* (never their contents), JSON bodies) and answers 400 naming the
first offending field, in the door's own shape:

- /api/: DRF's shape, {"<field>": ["<message>"]};
- /fhir/: a FHIR OperationOutcome (pas.outcomes), issue code "invalid", expression the field;
- anything else (the portal's pages, the admin): a small HTML page saying what was wrong.

JSON is checked for nesting depth with an iterative scan of brackets outside strings, so a body
nested 6,000 deep costs one pass and no stack; only a body within settings.JSON_MAX_DEPTH is ever
decoded (here and later by the views), so no parser downstream can hit RecursionError. Numbers in
JSON must be finite and at most settings.JSON_MAX_NUMBER in magnitude, and no object may name a
field twice (parsers disagree on which value wins; FHIR forbids it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.html import escape

from pas.outcomes import FHIR_JSON, Issue, operation_outcome

NUL = "\x00"
SURROGATES = re.compile("[\ud800-\udfff]")
# A JSON string (escapes included) or one bracket; everything else is skipped by finditer.
JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SHOWN_NAME = 80  # characters of a hostile field name echoed back


class Refused(Exception):
    """The request is refused: ``field`` is where, ``message`` what was wrong."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


class HostileInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            inspect(request)
        except Refused as refused:
            return refusal(request, refused)
        except RequestDataTooBig:
            if door(request) == "page":
                raise  # Django's own 400, as before
            return refusal(request, Refused("body", "The body is too large.", 413))
        except (SuspiciousOperation, MultiPartParserError, UnreadablePostError) as error:
            if door(request) == "page":
                raise  # Django answers these with its 400 page
            return refusal(request, Refused("body", f"The request could not be read ({error})."))
        return self.get_response(request)


# --- what is checked ---------------------------------------------------------------------------


def inspect(request: HttpRequest) -> None:
    """Raises Refused for the first field carrying hostile text."""
    check_length(request)
    check_text("path", request.path)
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str):
            check_text(f"header {name[5:].replace('_', '-').title()}", value)
    for name, values in request.GET.lists():
        check_field(name, values)
    content_type = (request.content_type or "").lower()
    if content_type in FORM_TYPES:
        if request.method == "POST":
            for name, values in request.POST.lists():
                check_field(name, values)
            for name, files in request.FILES.lists():
                check_field(name, [upload.name or "" for upload in files], "file name")
    elif is_json(content_type) and request.body:
        check_json(request.body, request.encoding or settings.DEFAULT_CHARSET)


def check_length(request: HttpRequest) -> None:
    """A body over one document and the form fields around it, refused by its Content-Length
    before a byte is read. Django caps the fields it keeps in memory (DATA_UPLOAD_MAX_MEMORY_SIZE)
    but never the files it spools to disk, and this middleware parses every form before the
    sign-in: a body of any size, from anyone, was read to the end (and written to a temporary
    file) before the service's own size check could refuse it."""
    limit = int(settings.DOCUMENT_MAX_BYTES) + int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # Django reads such a body as empty
    if length > limit:
        raise Refused(
            "body",
            f"The request is larger than {limit / (1024 * 1024):.0f} MB; a document may be at "
            f"most {int(settings.DOCUMENT_MAX_BYTES) / (1024 * 1024):.0f} MB. Nothing was read.",
            413,
        )


def is_json(content_type: str) -> bool:
    """Every content type one of DRF's JSON parsers (application/json, application/fhir+json)
    would accept, wildcards included, and any */*+json."""
    main, _, sub = content_type.partition("/")
    return sub.endswith("+json") or (main in ("application", "*") and sub in ("json", "*"))


def check_field(name: str, values: list[str], what: str = "value") -> None:
    check_text(name, name, "field name")
    for value in values:
        check_text(name, value, what)


def check_text(field: str, text: str, what: str = "value") -> None:
    if NUL in text:
        raise Refused(
            field, f"The {what} contains a NUL character (\\u0000), which is not allowed."
        )
    if SURROGATES.search(text):
        raise Refused(
            field,
            f"The {what} contains an unpaired surrogate (\\ud800-\\udfff), which is not text.",
        )


def check_json(body: bytes, encoding: str) -> None:
    """Depth first (a bracket scan, before any parser runs), then NUL, surrogates and numbers
    field by field.

    A body that is not JSON at all is let through: the door's parser refuses it in its own words.
    """
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return
    check_json_text(text)


def check_json_text(text: str, field: str = "") -> None:
    """check_json of JSON as text: a body, or a form field's value that a parser will decode
    (reviews.api.serializers.CheckedJSONField), its paths then under the field's name."""
    limit = settings.JSON_MAX_DEPTH
    if json_depth(text) > limit:
        raise Refused(field or "body", f"The JSON is nested more than {limit} levels deep.")
    try:
        document = json.loads(
            text,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=Decimal,
            object_pairs_hook=_once_each,
        )
    except RepeatedName as exc:
        # Parsers differ on which of two values they keep (Python's the last, others the first),
        # and FHIR forbids it: refused, so no door and no reader can see another value.
        raise Refused(field or "body", f"The JSON names the field {exc.name!r} twice.") from None
    except (ValueError, InvalidOperation):
        return
    for path, value, is_key in walk(document, field):
        if isinstance(value, str):
            check_text(path, value, "field name" if is_key else "value")
        elif isinstance(value, Decimal):
            check_number(path, value)


class RepeatedName(ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of the body, each of its names given once."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise RepeatedName(name)
            seen.add(name)
    return document


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects, brackets inside strings not counted."""
    depth = deepest = 0
    for token in JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in ("]", "}"):
            depth -= 1
    return deepest


def walk(document: Any, root: str = "") -> Iterator[tuple[str, Any, bool]]:
    """(path, value, is_key) for every key and scalar in document order, with a stack instead
    of recursion: paths read like facts.labs[0].value or entry[2].resource.identifier[0].value
    (a key's path is the path it would name), each under root if one is given."""
    pending: list[tuple[str, Any]] = [(root, document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            items = [(f"{path}.{key}" if path else key, item) for key, item in value.items()]
            for (child, _), key in zip(items, value, strict=True):
                yield (child, key, True)
            pending.extend(reversed(items))
        elif isinstance(value, list):
            pending.extend(reversed([(f"{path}[{i}]", item) for i, item in enumerate(value)]))
        else:
            yield (path or "body", value, False)


def check_number(path: str, number: Decimal) -> None:
    if not number.is_finite():
        raise Refused(path, "The number must be finite.")
    limit = settings.JSON_MAX_NUMBER
    if number.copy_abs() > limit:  # copy_abs(): abs() would round, and overflow
        raise Refused(path, f"The number is out of range (at most {limit:g} in size).")


# --- how a refusal is answered -----------------------------------------------------------------


def door(request: HttpRequest) -> str:
    path = request.path_info
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/fhir/"):
        return "fhir"
    return "page"


def shown(field: str) -> str:
    """A field name safe to echo: control characters and surrogates visible, length capped."""
    cleaned = "".join(
        ch if ch.isprintable() and not SURROGATES.match(ch) else f"\\u{ord(ch):04x}" for ch in field
    )
    return cleaned if len(cleaned) <= SHOWN_NAME else cleaned[:SHOWN_NAME] + "…"


def refusal(request: HttpRequest, refused: Refused) -> HttpResponse:
    field = shown(refused.field)
    kind = door(request)
    if kind == "api":
        return JsonResponse({field: [refused.message]}, status=refused.status)
    if kind == "fhir":
        code = "too-costly" if refused.status == 413 else "invalid"
        outcome = operation_outcome([Issue(code, f"{field}: {refused.message}", field)])
        return JsonResponse(outcome, status=refused.status, content_type=FHIR_JSON)
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Bad request</title></head>\n<body><main>\n<h1>Bad request</h1>\n"
        f'<div class="alert alert-danger" role="alert"><strong>{escape(field)}</strong>: '
        f"{escape(refused.message)}</div>\n<p>Go back, correct it and try again.</p>\n"
        "</main></body></html>\n"
    )
    response = HttpResponse(page, status=refused.status, content_type="text/html; charset=utf-8")
    # Returned before the CSP and clickjacking middleware run: the page sets its own.
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "no-store"
    return response
