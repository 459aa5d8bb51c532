"""Numbers, months, code lists and quotation marks as people write them (pure functions), and
the German plural forms and times the pages use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, render_template_string
from hypothesis import given
from hypothesis import strategies as st

from omk import numbers, wording
from omk.content import load_content


@pytest.mark.parametrize(
    ("value", "money", "expected"),
    [
        (None, False, ""),
        (0, False, "0"),
        (5352200, False, "5.352.200"),
        (5400000.5, False, "5.400.000,5"),
        (5400000.5, True, "5.400.000,50"),
        (1375000, True, "1.375.000"),
        (17.8, False, "17,8"),
        (0.25, False, "0,25"),
        (999, False, "999"),
        (-1234.5, False, "-1.234,5"),
        (1e-05, False, "0,00001"),
    ],
)
def test_a_saved_number_comes_back_as_germans_write_it(
    value: float | None, money: bool, expected: str
) -> None:
    assert numbers.format_field(value, money=money) == expected


@given(
    st.one_of(
        st.integers(min_value=-(10**12), max_value=10**12),
        st.decimals(min_value=-(10**9), max_value=10**9, places=3).map(float),
    )
)
def test_a_number_in_a_field_reads_back_to_itself(value: float) -> None:
    assert numbers.parse_number(numbers.format_field(value)) == pytest.approx(value)


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("12.5", "12,5"),
        ("1.234", "1234"),
        ("5.400.000", "5400000"),
        ("12,5", None),
        ("1.234,5", None),
        ("1234", None),
        ("", None),
        ("zwölf.5", None),
    ],
)
def test_a_dot_that_could_mean_two_things_is_said_back(typed: str, read_as: str | None) -> None:
    assert numbers.understood(typed) == read_as


def test_a_month_in_a_field_is_written_as_germans_type_it() -> None:
    assert numbers.month_field("2019-05") == "05/2019"
    assert numbers.month_field("2019") == "2019"
    assert numbers.month_field(None) == ""
    assert numbers.month(numbers.month_field("2019-05")) == ("2019-05", None)


def test_quotation_marks_inside_a_title_become_single_ones() -> None:
    assert wording.quoted("Sprachcafé") == "„Sprachcafé“"
    assert wording.quoted("Sprachcafé „Neue Nachbarn“") == "„Sprachcafé ‚Neue Nachbarn‘“"
    assert wording.quoted('Projekt "Ankommen"') == "„Projekt 'Ankommen'“"


@pytest.mark.parametrize(
    "title",
    [
        "„Flüchtlingshilfe Quirnbach“: Ehrenamt im Dorf",
        "„Hessisch Oldendorf packt Integration an“",
        '"Ankommen" in Bebra',
    ],
)
def test_a_title_that_opens_with_its_own_quotation_mark_is_not_wrapped_again(
    title: str,
) -> None:
    assert wording.quoted(title) == title
    assert wording.quoted(f"  {title} ") == title
    assert wording.quoted(title, "en") == title


def test_english_pages_quote_titles_in_english_quotation_marks() -> None:
    assert wording.quoted("Sprachcafé „Neue Nachbarn“", "en") == "“Sprachcafé ‘Neue Nachbarn’”"


def test_code_lists_are_written_as_words_and_read_back_from_words_or_codes() -> None:
    taxonomy = load_content().taxonomy
    text = wording.codes_to_text(taxonomy, "target_groups", ["alle", "familien"])
    assert text == "Alle; Familien"
    assert wording.text_to_codes(taxonomy, "target_groups", text) == ["alle", "familien"]
    # codes, English labels, other case and spacing, line breaks: all still read
    assert wording.text_to_codes(taxonomy, "target_groups", "ALLE;\n  families ; Familien") == [
        "alle",
        "familien",
    ]
    recommendations = wording.codes_to_text(taxonomy, "recommendations", ["A1"])
    assert recommendations == "A1 – Integration ganzheitlich denken"
    assert wording.text_to_codes(taxonomy, "recommendations", recommendations + "; a2") == [
        "A1",
        "A2",
    ]
    # what is none of these stays as typed, for validation to name
    assert wording.text_to_codes(taxonomy, "fields", "Quatsch") == ["Quatsch"]
    assert wording.text_to_codes(taxonomy, "fields", None) == []
    assert ";" in wording.example(taxonomy, "fields")


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 von 13 Kommunen hat noch nicht eingereicht."),
        (2, "2 von 13 Kommunen haben noch nicht eingereicht."),
    ],
)
def test_plural_forms_agree_with_the_number(app: Flask, n: int, expected: str) -> None:
    with app.test_request_context(headers={"Accept-Language": "de"}):
        text = render_template_string(
            '{{ ngettext("%(num)s von %(total)s Kommunen hat noch nicht eingereicht.", '
            '"%(num)s von %(total)s Kommunen haben noch nicht eingereicht.", n, total=13) }}',
            n=n,
        )
    assert text == expected


@pytest.mark.parametrize(
    ("n", "de", "en"),
    [
        (1, "Zurückgegeben mit 1 Hinweis.", "Returned with 1 comment."),
        (3, "Zurückgegeben mit 3 Hinweisen.", "Returned with 3 comments."),
    ],
)
def test_the_return_message_counts_in_words(app: Flask, n: int, de: str, en: str) -> None:
    from flask_babel import force_locale, ngettext

    for locale, expected in (("de", de), ("en", en)):
        with app.test_request_context(), force_locale(locale):
            text = ngettext(
                "Zurückgegeben mit %(num)s Hinweis. Die Kommune ist benachrichtigt.",
                "Zurückgegeben mit %(num)s Hinweisen. Die Kommune ist benachrichtigt.",
                n,
            )
        assert text.startswith(expected)


def test_times_are_shown_in_german_time(app: Flask) -> None:
    winter = datetime(2026, 1, 15, 1, 46, 48, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 1, 46, 48, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        shown = render_template_string(
            "{{ format_datetime(w) }} | {{ format_datetime(s) }} | "
            "{{ (w|local_time).strftime('%H:%M') }} | {{ (naive|local_time).strftime('%H:%M') }}",
            w=winter,
            s=summer,
            naive=winter.replace(tzinfo=None),
        )
    assert "02:46:48" in shown.split(" | ")[0]
    assert "03:46:48" in shown.split(" | ")[1]
    assert shown.split(" | ")[2:] == ["02:46", "02:46"]


def test_indicator_lists_are_written_as_labels() -> None:
    content = load_content()
    text = wording.indicators_to_text(content, ["unterbringung.zuweisungen", "x.y"])
    assert text == f"{content.indicators['unterbringung.zuweisungen'].label}; x.y"
