"""Hostile values at every URL of the portal, as each role, by every method: never a 5xx, never
an "Internal Server Error" in the log, and a refused request stores nothing (issue 14, item 5).

The URLs come from the resolver (a new URL is fuzzed without being listed here); path parameters
are filled with ids of real objects of both clinics. Each request is a GET with hostile query
parameters, a POST of a hostile form (urlencoded or multipart, with a hostile file name), or a
POST of a JSON body: the REST API's create body or a PAS bundle with hostile values planted at
random places where the URL takes one, otherwise an object of the portal's own field names.

The classes of values: NUL characters, unpaired surrogates (JSON only: a form cannot carry one),
numbers such as 1e999999999 and 10**400 (as JSON numbers and as strings), NaN and Infinity, JSON
nested 6,000 deep, the dates 0001-01-01 and 9999-12-31, Unicode look-alikes ("²", full-width
letters, zero-width spaces, bidi overrides) and very long strings.

What "stores nothing" means here:
- a request carrying text the edge refuses (a NUL anywhere, a surrogate, JSON deeper than
  settings.JSON_MAX_DEPTH or with a non-finite or out-of-range number) is answered 400 before any
  view runs: not one row is written anywhere, audit log included;
- any other refused request (4xx, or a page re-rendered with its errors: a 200 to a POST outside
  /api/ and /fhir/) writes no row of the portal's data (every model of reviews and accounts); the
  audit log may gain only rows of reading or signing in (*.view, *.download, *.inquire,
  *.export, auth.*), which the portal writes for reads whatever their outcome.
Requests that are accepted (a valid form, say) may store what they store.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote
from uuid import uuid4

import pytest
from django import forms
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from tests.conftest import client_for
from tests.factories import approvable_facts, make_case, make_patient
from tests.fhir.support import example as fhir_example

# A clinic user, a pharmacist, an auditor and an administrator (the admin site is a URL too).
ROLES = ("riverside", "phil", "audrey", "admin")
METHODS = ("GET", "POST form", "POST json")
DEEP = 6000
SURROGATE = "\ud800"

# --- the URLs, from the resolver ---------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern: its pieces from the root (route strings or regexes) and its name."""

    name: str
    pieces: tuple[RoutePattern | RegexPattern, ...]

    def __str__(self) -> str:
        return self.name


def routes() -> list[Route]:
    def walk(patterns: list[Any], namespace: str, pieces: tuple[Any, ...]) -> Iterator[Route]:
        for pattern in patterns:
            here = (*pieces, pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                full = f"{namespace}:{inner}" if namespace and inner else namespace or inner
                yield from walk(pattern.url_patterns, full, here)
            elif isinstance(pattern, URLPattern):
                label = "".join(str(p) for p in here)
                name = f"{namespace}:{pattern.name}" if pattern.name else label
                yield Route(name if pattern.name and namespace else pattern.name or label, here)

    return list(walk(get_resolver().url_patterns, "", ()))


ROUTES = routes()
ROUTE_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


def path_for(route: Route, ids: dict[str, list[int]], pick: Any) -> str:
    """The route with each parameter filled: ids of existing objects for int and path
    parameters, the one code system for the slug, a hostile text for a catch-all."""
    parts = []
    for piece in route.pieces:
        if isinstance(piece, RoutePattern):
            text = ROUTE_PARAM.sub(
                lambda m: param_value(m["name"], m["converter"], ids, pick), str(piece)
            )
        else:
            text = REGEX_GROUP.sub(lambda m: regex_value(m["body"], pick), str(piece))
            text = text.lstrip("^").rstrip("$")
        parts.append(text)
    return "/" + "".join(parts)


def param_value(name: str, converter: str | None, ids: dict[str, list[int]], pick: Any) -> str:
    if converter == "slug":
        return "hemgenix-pa"
    if name == "content_type_id":
        return str(pick(ids["content_type"]))
    if name == "id":  # the admin's password change: a user
        return str(pick(ids["user"]))
    if converter == "path":  # the admin's object ids: also hostile text, percent-encoded
        return quote(str(pick(ids["any"] + ["x\x00y", "²", "9" * 30, "../.."])), safe="")
    return str(pick(ids["any"]))


def regex_value(body: str, pick: Any) -> str:
    if re.fullmatch(r"[\w|]+", body):  # an alternation of literals: the admin's app labels
        return str(pick(body.split("|")))
    return quote(str(pick(["nowhere/", "x\x00/", "²/"])), safe="")


# --- the values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """A JSON literal written as is (json.dumps cannot write 1e999999999 or 6,000 levels);
    ``edge``: whether the middleware must refuse it."""

    literal: str
    edge: bool


NUL_TEXT = st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=8), st.text(max_size=8))
HUGE_TEXT = st.sampled_from(
    ["1e999999999", "-1e999999999", "1e-999999999", str(10**400), "9" * 5000, "1e309", "1E+400"]
)
NON_FINITE_TEXT = st.sampled_from(["NaN", "nan", "Infinity", "-Infinity", "inf", "-0"])
DATE_TEXT = st.sampled_from(
    ["0001-01-01", "9999-12-31", "0000-00-00", "2023-02-30", "99999-01-01", "1899-12-31"]
)
# Superscript two, Arabic-Indic three, full-width "12" and "FEP", a zero-width space, a bidi
# override, a byte-order mark, dotted I, sharp s, a combining accent, a Hangul filler, and numbers
# Python reads but a person might not (0x10, 1_000, Arabic-Indic 0.5).
LOOKALIKE_TEXT = st.sampled_from(
    ["\u00b2", "\u0663", "\uff11\uff12", "\uff26\uff25\uff30-200101", "FEP\u200b-200101",
     " fep-200101 ", "\u202eFEP", "\ufeff1", "\u0130", "\u00df", "e\u0301", "\u115f", "0x10",
     "1_000", "+1", "-1", "\u0660\u066b\u0665"]
)  # fmt: skip
# What a digits-only check lets through to int(), or int() refuses: "²".isdigit() is true.
DIGIT_TEXT = st.sampled_from(["\u00b2", "\u0663", "\uff11\uff12", "9" * 5000, "-1", "0", "1e3"])
LONG_TEXT = st.sampled_from(["A" * 100_000, "9" * 20_000, "é" * 30_000, "[" * DEEP])
# No surrogates in plain text: a query string or a form cannot carry one (not UTF-8).
PLAIN_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)
RAW_JSON = st.sampled_from(
    [
        Raw("1e999999999", True),
        Raw("-1e999999999", True),
        Raw(str(10**400), True),
        Raw("1e309", True),
        Raw("NaN", True),
        Raw("Infinity", True),
        Raw("1e-999999999", False),
        Raw("1e14", False),
        Raw("[" * DEEP + "]" * DEEP, True),
        Raw('{"a":' * DEEP + "1" + "}" * DEEP, True),
    ]
)


def carries_edge(value: Any, in_json: bool) -> bool:
    """Whether the middleware must refuse a request carrying this value."""
    if isinstance(value, Raw):
        return value.edge
    if isinstance(value, str):
        return "\x00" in value or (in_json and re.search("[\ud800-\udfff]", value) is not None)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > django_settings.JSON_MAX_NUMBER
    if isinstance(value, float):
        return abs(value) > django_settings.JSON_MAX_NUMBER
    return False


# --- the field names and base documents --------------------------------------------------------


def form_field_names() -> list[str]:
    """Every field of the portal's own forms (pages) and the API's serializers."""
    import accounts.forms  # noqa: F401  (the forms register as subclasses on import)
    import oversight.forms  # noqa: F401
    import reviews.api.serializers as serializers
    import reviews.forms_prescriber
    import reviews.forms_reviewer  # noqa: F401

    names: set[str] = set()
    pending: list[type[Any]] = [forms.Form, forms.ModelForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in ("accounts", "oversight", "reviews", "pas"):
            names.update(getattr(cls, "base_fields", {}))
    for value in vars(serializers).values():
        if isinstance(value, type) and issubclass(value, serializers.serializers.Serializer):
            names.update(getattr(value, "_declared_fields", {}))
    # What list pages and the admin read besides their forms.
    return sorted(names | {"page", "q", "o", "p", "e", "next", "status", "_changelist_filters"})


TEMPLATE_FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.DOTALL)
FORM_TARGET = re.compile(r"""(?:action|hx-post)="\{%\s*url\s+['"](?P<url>[\w:-]+)['"]""")
FIELD_NAME = re.compile(r'\bname="(?P<name>[^"{}]+)"')


def template_fields() -> dict[str, set[str]]:
    """Field names by the URL name their form posts to (action="{% url ... %}" or hx-post),
    read from the portal's templates; "" holds every name any template writes out."""
    dirs = cast(list[str], django_settings.TEMPLATES[0]["DIRS"])
    folders = [Path(folder) for folder in dirs]
    folders += [Path(app.path) / "templates" for app in apps.get_app_configs()]
    found: dict[str, set[str]] = {"": set()}
    for folder in folders:
        if ".venv" in folder.parts or "site-packages" in folder.parts:
            continue
        for template in folder.glob("**/*.html"):
            text = template.read_text(encoding="utf-8", errors="replace")
            found[""].update(m["name"] for m in FIELD_NAME.finditer(text))
            for form in TEMPLATE_FORM.finditer(text):
                if target := FORM_TARGET.search(form["attrs"]):
                    names = {m["name"] for m in FIELD_NAME.finditer(form["body"])}
                    found.setdefault(target["url"], set()).update(names)
    return found


TEMPLATE_FIELDS = template_fields()
FIELD_NAMES = sorted(set(form_field_names()) | TEMPLATE_FIELDS[""] - {"csrfmiddlewaretoken"})
# What list pages, the API's lists and the admin read from the query string besides forms.
QUERY_NAMES = ["page", "q", "status", "patient", "date_from", "date_to", "clinic", "o", "p"]


def api_create_body() -> dict[str, Any]:
    return {
        "patient": {
            "member_id": f"FZ-{uuid4().hex[:10]}",
            "first_name": "Ann",
            "last_name": "Lee",
            "date_of_birth": "1980-01-01",
            "sex_assigned_at_birth": "male",
        },
        "facts": approvable_facts(),
        "submit": True,
    }


def base_document(route: Route, pick: Any) -> Any:
    """A real body for the URLs that take one, so planted values reach deep code."""
    if route.name == "api:cases":
        return api_create_body()
    if route.name == "fhir:submit":
        return fhir_example(pick(["approve", "pend", "deny"]))
    if route.name == "fhir:inquire":
        return fhir_example("inquiry")
    if route.name == "api:case_answer":
        return {"facts": approvable_facts(), "note": "Here it is."}
    return {name: "1" for name in FIELD_NAMES[:8]}


def leaf_paths(document: Any) -> list[tuple[Any, Any]]:
    """(container, key) for every place a value can be planted, new keys included."""
    places: list[tuple[Any, Any]] = []
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            places.append((node, "fuzz"))
            for key, value in node.items():
                places.append((node, key))
                pending.append(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                places.append((node, index))
                pending.append(value)
    return places


def encode(document: Any) -> str:
    """json.dumps with each Raw written as its literal."""
    raws: dict[str, str] = {}

    def default(value: Any) -> Any:
        if isinstance(value, Raw):
            token = f"@@raw{len(raws)}@@"
            raws[token] = value.literal
            return token
        raise TypeError(value)

    text = json.dumps(document, default=default)
    for token, literal in raws.items():
        text = text.replace(json.dumps(token), literal)
    return text


# --- the request -------------------------------------------------------------------------------


@dataclass
class Probe:
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    form: dict[str, Any] = field(default_factory=dict)
    multipart: bool = True
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    edge: bool = False

    def send(self, client: Client) -> Any:
        query = "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, vs in self.query.items() for v in vs
        )
        url = f"{self.path}?{query}" if query else self.path
        if self.method == "GET":
            return client.get(url, headers=self.headers)
        if self.method == "POST form" and self.multipart:
            return client.post(url, self.form, headers=self.headers)
        if self.method == "POST form":
            body = "&".join(
                f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in self.form.items()
            )
            return client.post(
                url, body, content_type="application/x-www-form-urlencoded", headers=self.headers
            )
        content_type = (
            "application/fhir+json" if self.path.startswith("/fhir/") else "application/json"
        )
        return client.post(url, self.body, content_type=content_type, headers=self.headers)


NUMBER_TEXT = HUGE_TEXT | NON_FINITE_TEXT | st.sampled_from(["1.5", "0", "-0.0001", "1" * 40])
RAW_NUMBER = RAW_JSON.filter(lambda raw: not raw.literal.startswith(("[", "{")))
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def values(kind: str, in_json: bool) -> st.SearchStrategy[Any]:
    """Hostile values for a field of this kind ("number", "date" or "text"): mostly of its own
    kind, so they pass the first checks and reach deeper code, and always possibly a NUL."""
    found: list[st.SearchStrategy[Any]] = [NUL_TEXT, LOOKALIKE_TEXT, DIGIT_TEXT]
    if kind == "number":
        found += [NUMBER_TEXT]
        if in_json:
            found += [RAW_NUMBER, st.sampled_from([10**400, -(10**20), 2**63, 1e308, 5e-324])]
    elif kind == "date":
        found += [DATE_TEXT, DATE_TEXT, st.sampled_from(["2024-13-01", "24-01-01", "2024-02-30"])]
    else:
        found += [LONG_TEXT, PLAIN_TEXT, DATE_TEXT, HUGE_TEXT]
        if in_json:
            found += [st.just(f"a{SURROGATE}b"), RAW_JSON, st.integers(), st.booleans()]
    return st.one_of(found)


def kind_of(value: Any) -> str:
    """The kind of a base document's value, to plant a hostile one of the same kind."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return "date"
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        return "number"
    return "text"


INPUT = re.compile(r"<(?:input|select|textarea)\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')


def page_fields(client: Client, path: str) -> dict[str, tuple[str, str]]:
    """The form fields a page shows: name -> (kind, value), read from its HTML."""
    response = client.get(path)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return {}
    found: dict[str, tuple[str, str]] = {}
    for tag in INPUT.findall(response.content.decode(errors="replace")):
        attrs = dict(ATTRIBUTE.findall(tag))
        name = attrs.get("name", "")
        if not name or name == "csrfmiddlewaretoken":
            continue
        kind = {"date": "date", "number": "number"}.get(attrs.get("type", ""), "text")
        if attrs.get("inputmode") in ("decimal", "numeric"):
            kind = "number"
        found.setdefault(name, (kind, attrs.get("value", "")))
    return found


# Read once per URL and role: which fields the page itself offers.
PAGE_FIELDS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}


@st.composite
def probes(
    draw: st.DrawFn,
    route: Route,
    method: str,
    ids: dict[str, list[int]],
    fields: dict[str, tuple[str, str]],
) -> Probe:
    def pick(options: list[Any]) -> Any:
        return draw(st.sampled_from(options))

    probe = Probe(method, path_for(route, ids, pick))
    probe.edge = "\x00" in probe.path.replace("%00", "\x00")
    # The page's own fields first, then any of the portal's field names, then hostile names.
    own = sorted(set(fields) | TEMPLATE_FIELDS.get(route.name, set())) or FIELD_NAMES
    names = st.one_of(
        [st.sampled_from(own)] * 3
        + [st.sampled_from(QUERY_NAMES), st.sampled_from(FIELD_NAMES), NUL_TEXT, LOOKALIKE_TEXT]
    )

    def planted() -> tuple[str, Any]:
        name = draw(names)
        return name, draw(values(fields.get(name, ("text", ""))[0], in_json=False))

    if method == "GET":
        for _ in range(draw(st.integers(1, 6))):
            name, value = planted()
            probe.query.setdefault(name, []).append(value)
            probe.edge |= carries_edge(name, False) or carries_edge(value, False)
    elif method == "POST form":
        probe.multipart = draw(st.booleans())
        probe.form = {name: value for name, (_, value) in fields.items()}  # the page as shown
        for _ in range(draw(st.integers(1, 4))):
            name, value = planted()
            probe.form[name] = value
        if probe.multipart and draw(st.booleans()):
            file_name = draw(
                st.sampled_from(
                    ["lab.pdf", "a\x00b.pdf", "\u00b2.pdf", "x" * 300 + ".pdf", "../../e.pdf"]
                )
            )
            probe.form["file"] = SimpleUploadedFile(file_name, b"%PDF-1.4\n%%EOF\n")
            probe.form.setdefault("kind", "lab_report")
            # Not an edge refusal: Django's multipart parser drops NUL from file names itself.
        # Decided last: the upload may have taken the place of a planted "file" field.
        probe.edge = any(
            carries_edge(k, False) or carries_edge(v, False)
            for k, v in probe.form.items()
            if isinstance(v, str)
        )
    else:
        document = base_document(route, pick)
        for _ in range(draw(st.integers(1, 4))):
            container, key = pick(leaf_paths(document))
            current = container[key] if isinstance(container, list) or key in container else None
            container[key] = draw(values(kind_of(current), in_json=True))
        probe.body = encode(document)
        probe.edge = still_edge(document)
        if route.name.startswith("api:") and draw(st.booleans()):
            key = draw(st.sampled_from(["k-1", "k\x00", "\u00b2", "K" * 5000, f"k-{uuid4().hex}"]))
            probe.headers["Idempotency-Key"] = key
            probe.edge |= "\x00" in key
    return probe


def still_edge(document: Any) -> bool:
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if any(carries_edge(key, True) for key in node):
                return True
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
        elif carries_edge(node, True):
            return True
    return False


# --- what was stored ---------------------------------------------------------------------------

DATA_MODELS = [
    model for label in ("reviews", "accounts") for model in apps.get_app_config(label).get_models()
]
READS = (
    Q(action__endswith=".view")
    | Q(action__endswith=".download")
    | Q(action__endswith=".inquire")
    | Q(action__endswith=".export")
    | Q(action__startswith="auth.")
)


def stored() -> dict[str, int]:
    """Row counts of the portal's data and of the audit log, in one query."""
    tables = {model._meta.label: model._meta.db_table for model in DATA_MODELS}
    tables["audit rows"] = AuditLog._meta.db_table
    quote = connection.ops.quote_name
    # Table names from the models, quoted: nothing here comes from a request.
    columns = ", ".join(f"(SELECT count(*) FROM {quote(t)})" for t in tables.values())  # noqa: S608
    reads = AuditLog.objects.filter(READS).count()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        counts = dict(zip(tables, cursor.fetchone(), strict=True))
    counts["audit rows other than reads"] = counts["audit rows"] - reads
    return counts


FIELD_ERRORS = (b"invalid-feedback", b"errorlist", b"is-invalid")


def refused(probe: Probe, response: Any) -> bool:
    """A 4xx, or a page that came back to a POST showing its form's errors."""
    if response.status_code >= 400:
        return True
    page_post = probe.method != "GET" and not probe.path.startswith(("/api/", "/fhir/"))
    shown = b"" if getattr(response, "streaming", False) else response.content
    return page_post and response.status_code == 200 and any(m in shown for m in FIELD_ERRORS)


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(users: dict[str, User]) -> dict[str, list[int]]:
    """Both clinics' patients and cases (a draft, a submitted one, a decided one with its
    document at Riverside; a draft and a submitted one at Lakeside): the ids URLs are filled
    with."""
    riverside, lakeside, phil = users["riverside"], users["lakeside"], users["phil"]
    draft = make_case(riverside, submit=False)
    upload = SimpleUploadedFile("lab.pdf", b"%PDF-1.4\n% lab\n%%EOF\n")
    document = services.document_attach(
        actor=riverside, case=draft, upload=upload, kind="lab_report"
    )
    decided = make_case(riverside, claim_by=phil)
    services.case_approve(actor=phil, case=decided)
    submitted = make_case(riverside)
    theirs = [
        make_case(lakeside, submit=False),
        make_case(lakeside, patient=make_patient(lakeside)),
    ]
    cases = [draft, decided, submitted, *theirs]
    return {
        "any": [c.pk for c in cases] + [document.pk] + [c.patient_id for c in cases],
        "user": [u.pk for u in users.values()],
        "content_type": list(ContentType.objects.values_list("pk", flat=True)[:5]),
    }


def examples(count: int) -> settings:
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
        database=None,
        # No shrinking: each example is a dozen requests, and the failing one is named in full.
        phases=[Phase.explicit, Phase.generate],
    )


# The portal's own URLs get more examples than the admin site's (Django's code: one example,
# each URL as each role by each method, is enough there).
ADMIN_ROUTES = [route for route in ROUTES if str(route.pieces[0]) == "admin/"]
PORTAL_ROUTES = [route for route in ROUTES if route not in ADMIN_ROUTES]


def fuzz(routes: list[Route], count: int) -> Any:
    """A test sending ``count`` examples to each of ``routes``; each example is one drawn
    request per role and method, so every URL is tried as every role by every method."""

    @pytest.mark.parametrize("route", routes, ids=str)
    @examples(count)
    @given(data=st.data())
    def test(
        route: Route,
        data: st.DataObject,
        users: dict[str, User],
        world: dict[str, list[int]],
    ) -> None:
        for role in ROLES:
            client = client_for(users[role])
            client.raise_request_exception = False  # a 500 is an answer here, not an exception
            if (route.name, role) not in PAGE_FIELDS:
                shown = path_for(route, world, lambda options: options[0])
                PAGE_FIELDS[route.name, role] = page_fields(client, shown)
            fields = PAGE_FIELDS[route.name, role]
            for method in METHODS:
                probe = data.draw(probes(route, method, world, fields), label=f"{role} {method}")
                check(probe, role, client)

    return test


test_it_answers_hostile_input_at_every_portal_url_without_a_500 = fuzz(PORTAL_ROUTES, 3)
test_it_answers_hostile_input_at_every_admin_url_without_a_500 = fuzz(ADMIN_ROUTES, 1)


def test_it_fuzzes_every_url_the_resolver_knows() -> None:
    assert len(PORTAL_ROUTES) + len(ADMIN_ROUTES) == len(ROUTES) == len(routes())
    assert {"api:cases", "fhir:submit", "audit:metrics", "prescriber:preview"} <= {
        route.name for route in PORTAL_ROUTES
    }


def check(probe: Probe, role: str, client: Client) -> None:
    before = stored()
    with errors_logged() as errors:
        response = probe.send(client)
    after = stored()
    where = f"{role} {probe.method} {probe.path[:120]} -> {response.status_code}"
    assert response.status_code < 500, where
    assert not [e for e in errors if "Internal Server Error" in e], (where, errors)
    if probe.edge:
        assert response.status_code == 400, where
        assert after == before, where  # refused before any view ran: not even an audit row
    elif refused(probe, response):
        portal = {k: v for k, v in after.items() if k != "audit rows"}
        assert portal == {k: v for k, v in before.items() if k != "audit rows"}, where


@contextmanager
def errors_logged() -> Iterator[list[str]]:
    """What django.request logs at ERROR meanwhile (where "Internal Server Error" goes); a
    handler of our own, so the check does not hang on pytest's log capture being enabled."""
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(record.getMessage())

    handler = Collect(logging.ERROR)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
