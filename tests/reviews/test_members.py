"""The canonical member key: one member however a clinic types the ID."""

import re

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from reviews.members import MemberIdInvalid, member_key, name_key
from reviews.models import Patient
from tests.factories import make_patient
from tests.spellings import spellings

IDS = st.from_regex(r"[A-Z]{2,4}-?[0-9]{4,8}", fullmatch=True)


@given(st.data())
def test_it_gives_every_spelling_of_a_member_id_one_key(data: st.DataObject) -> None:
    member_id = data.draw(IDS)
    spelled = data.draw(spellings(member_id))
    assert member_key(spelled) == member_key(member_id) == member_id.replace("-", "")


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("F\u0415P-200101", "Cyrillic"),  # Cyrillic Ie looks like E
        ("FEP-2OO1O1\u0399", "Greek"),
        ("FEP\x00200101", "U+0000"),
        ("FEP/200101", "Solidus"),
        ("stra\u00dfe1", "Sharp S"),  # upper() would make it SS: refused, not guessed
    ],
)
def test_it_refuses_a_member_id_with_characters_no_member_id_has(typed: str, named: str) -> None:
    with pytest.raises(MemberIdInvalid, match=re.escape(named)):
        member_key(typed)


@pytest.mark.parametrize("typed", ["", "   ", "\u200b\u200b", "--"])
def test_it_refuses_an_empty_member_id(typed: str) -> None:
    with pytest.raises(MemberIdInvalid, match="Enter the member ID"):
        member_key(typed)


def test_it_refuses_a_member_id_longer_than_thirty_letters_and_digits() -> None:
    assert member_key("A" * 30 + "  --") == "A" * 30
    with pytest.raises(MemberIdInvalid, match="at most 30"):
        member_key("A" * 31)


def test_it_matches_last_names_without_case_accents_spaces_or_punctuation() -> None:
    assert name_key("Müller-O'Brien") == name_key("MULLER OBRIEN") == "mullerobrien"
    assert name_key("Nguyễn") == name_key("nguyen")
    assert name_key("Smith") != name_key("Smyth")


@pytest.mark.django_db
@given(st.text(max_size=40))
def test_every_key_it_gives_is_the_one_postgresql_computes(text: str) -> None:
    """The database's check (migration 0007) computes the key in SQL; the two must agree on
    every ID the application accepts, or a valid patient could not be saved."""
    try:
        key = member_key(text)
    except MemberIdInvalid:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT upper(regexp_replace(normalize(%s, NFKC), '[^A-Za-z0-9]', '', 'g'))", [text]
        )
        assert cursor.fetchone() == (key,)


@pytest.mark.django_db
def test_postgresql_refuses_a_key_that_is_not_the_member_ids(riverside: User) -> None:
    patient = make_patient(riverside, member_id="fep-200101")
    assert patient.member_key == "FEP200101"
    with (
        pytest.raises(IntegrityError, match="patient_member_key_of_member_id"),
        transaction.atomic(),
    ):
        Patient.objects.filter(pk=patient.pk).update(member_key="FEP200102")


@pytest.mark.django_db
def test_postgresql_computes_the_same_key_as_the_application(riverside: User) -> None:
    typed = " \uff26ep\u2010200\u200b101 "
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT upper(regexp_replace(normalize(%s, NFKC), '[^A-Za-z0-9]', '', 'g'))", [typed]
        )
        (computed,) = cursor.fetchone()
    assert computed == member_key(typed) == "FEP200101"


LETTERS = st.text(
    alphabet=st.characters(
        categories=["Lu", "Ll"], include_characters="".join(map(chr, range(0x370, 0x450)))
    ),
    max_size=20,
).filter(lambda name: all(c.isalpha() for c in name))


@given(LETTERS)
def test_it_gives_a_last_name_one_key_in_capitals_and_in_small_letters(name: str) -> None:
    """Case is folded before look-alike letters are read, so no script's capitals and small
    letters part one person in two (in Cyrillic as in Latin SMITH and Smith)."""
    assert name_key(name.upper()) == name_key(name.lower()) == name_key(name)
