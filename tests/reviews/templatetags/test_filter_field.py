"""The queue's filter fields, written in Python: the markup crispy-forms would write, escaped."""

from html.parser import HTMLParser

import pytest
from django.template import engines

from accounts.models import Organization
from reviews.forms_reviewer import QueueFilterForm

FAST = engines["django"].from_string(
    "{% load reviews_extras %}{% for field in form.visible_fields %}{% filter_field field %}"
    "{% endfor %}"
)
CRISPY = engines["django"].from_string(
    "{% load crispy_forms_tags %}{% for field in form.visible_fields %}"
    "{{ field|as_crispy_field }}{% endfor %}"
)


class Controls(HTMLParser):
    """What a browser and a screen reader act on: ids, names, labels, values, states, messages."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split()) - {"select", "textinput"}  # crispy's own
        keep = ("id", "for", "name", "value", "selected", "aria-invalid", "aria-describedby")
        self.found.append((tag, *(f"{k}={a[k]}" for k in keep if k in a), *sorted(classes)))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.found.append(("text", " ".join(data.split())))


def controls(html: str) -> list[tuple[str, ...]]:
    parser = Controls()
    parser.feed(html)
    return parser.found


def render(template: object, data: dict[str, str] | None) -> str:
    form = QueueFilterForm(data)
    if data is not None:
        form.is_valid()
    return template.render({"form": form})  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"scope": "mine", "urgency": "expedited", "q": "PA-2024", "sort": "-due"},
        {"status": "bogus", "due": "later", "sort": "nonsense", "q": "x" * 40},
    ],
    ids=["unbound", "filtered", "invalid"],
)
@pytest.mark.django_db
def test_it_writes_what_crispy_forms_writes(data: dict[str, str] | None) -> None:
    Organization.objects.create(name="Riverside Hematology", npi="1234567893")

    assert controls(render(FAST, data)) == controls(render(CRISPY, data))


@pytest.mark.django_db
def test_it_selects_the_chosen_clinic_and_marks_an_invalid_value() -> None:
    clinic = Organization.objects.create(name="Riverside Hematology", npi="1234567893")

    html = render(FAST, {"clinic": str(clinic.pk), "status": "bogus"})

    assert f'<option value="{clinic.pk}" selected>Riverside Hematology</option>' in html
    assert 'aria-describedby="id_status_error" aria-invalid="true"' in html
    assert 'class="form-select is-invalid" id="id_status"' in html
    assert '<div id="id_status_error" class="invalid-feedback">' in html
    assert "bogus is not one of the available choices" in html


@pytest.mark.django_db
def test_it_escapes_labels_and_values() -> None:
    Organization.objects.create(name="<script>alert(1)</script> Clinic", npi="1234567893")

    html = render(FAST, {"q": '"><img src=x onerror=alert(1)>'})

    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Clinic" in html
    assert 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in html
