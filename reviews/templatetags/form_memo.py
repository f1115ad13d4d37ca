"""{{ form|crispy_memo }}: crispy-forms' markup of an unbound form, rendered once per process.

crispy-forms renders every field, and every option of a select or checkbox list, through its
templates: about a fifth of the reviewer's case page (issue 20), whose five action forms are
nearly always unbound and the same from one case to the next. Their markup is a function of
what the form is made of: its class, prefix and id format, and for each field its kind, label,
help text, required and disabled flags, initial value, widget and widget attributes, and
choices. That whole description is the cache key, so a cached rendering is only ever reused for
a form that would render the same (one clinic's data cannot come back on another's form: it
would be in the key). A bound form (with what a user typed, or its errors), a form with a crispy
FormHelper, or one whose description cannot be frozen is rendered as crispy always renders it.
tests/reviews/templatetags/test_form_memo.py compares the two for every form of the case page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()

MAX_ENTRIES = 512  # forms differ by their choices (a case's lines, the reviewers): a few dozen
_cache: OrderedDict[Hashable, SafeString] = OrderedDict()
_lock = threading.Lock()


class Unfreezable(Exception):
    pass


def _freeze(value: Any) -> Hashable:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if callable(value):
        raise Unfreezable  # an initial value computed at render time
    return (type(value).__qualname__, str(value))


def signature(form: forms.BaseForm) -> Hashable | None:
    """Everything crispy's markup of this unbound form depends on, or None (do not cache)."""
    if form.is_bound or getattr(form, "helper", None) is not None:
        return None
    try:
        fields = tuple(
            (
                name,
                type(field).__qualname__,
                type(field.widget).__qualname__,
                str(field.label),
                str(field.help_text),
                field.required,
                field.disabled,
                field.show_hidden_initial,
                _freeze(field.initial),
                _freeze(form.initial.get(name)),
                _freeze(field.widget.attrs),
                _freeze(_choices(field)),
            )
            for name, field in form.fields.items()
        )
    except Unfreezable:
        return None
    return (
        type(form).__module__,
        type(form).__qualname__,
        form.prefix,
        form.auto_id,
        form.label_suffix,
        form.use_required_attribute,
        fields,
    )


def _choices(field: forms.Field) -> list[Any]:
    # iter() first: list() would ask a model choice iterator its length, a COUNT query.
    choices = list(iter(getattr(field, "choices", ())))
    if isinstance(field, forms.ModelChoiceField):
        # A model choice field queries its choices each time they are read: keep the list read
        # for the key, so a rendering (on a miss) does not query them again.
        field.choices = choices
    return choices


@register.filter
def crispy_memo(form: forms.BaseForm) -> SafeString:
    key = signature(form)
    if key is None:
        return as_crispy_form(form)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    rendered = as_crispy_form(form)
    with _lock:
        _cache[key] = rendered
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)
    return rendered
