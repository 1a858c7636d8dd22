"""Text fields' word segmentation: ES ``standard`` tokens, indexed through tantivy's ``simple``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loghaven.engine import words

# What Elasticsearch's standard tokenizer (+ lowercase) gives for typical log text.
ES_STANDARD = [
    ("GET https://api.example.com/index.html", ["get", "https", "api.example.com", "index.html"]),
    ("from 192.168.1.1 port 443", ["from", "192.168.1.1", "port", "443"]),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:120.0)",
     ["mozilla", "5.0", "x11", "linux", "x86_64", "rv", "120.0"]),
    ("en-US,en;q=0.5", ["en", "us", "en", "q", "0.5"]),
    ("don't panic: 1,000 rows", ["don't", "panic", "1,000", "rows"]),
    ("it\u2019s __init__ ...end. .start", ["it\u2019s", "__init__", "end", "start"]),
    ("session=7d2bb67e0c26 a:b", ["session", "7d2bb67e0c26", "a:b"]),
]


@pytest.mark.parametrize(("text", "expected"), ES_STANDARD)
def test_tokens_are_elasticsearch_standard_tokens(text: str, expected: list[str]) -> None:
    assert words.tokens(text) == expected
    assert words.terms(text) == [words.term_form(token) for token in expected]


def test_index_form_changes_only_in_word_joiners() -> None:
    assert words.index_form("a.b c. .d") == "a\u01c0b c. .d"
    assert words.display_form(words.index_form("x86_64 1,000 a:b")) == "x86_64 1,000 a:b"


# Text made of what log lines hold: letters (some non-ASCII), digits, every joiner and the
# usual separators, so that joiners land at word edges, inside words and next to each other.
LOG_TEXT = st.text(alphabet="abcXYZé中0159._'\u2019,:;/-= \t()", max_size=40)


@settings(max_examples=400, deadline=None)
@given(LOG_TEXT)
def test_spans_find_the_words_tantivy_indexes(text: str) -> None:
    """Highlighting cuts the same words out of the source that the index holds."""
    assert len(words.index_form(text)) == len(text)
    assert [text[a:b].lower() for a, b in words.spans(text)] == words.tokens(text)


@settings(max_examples=400, deadline=None)
@given(LOG_TEXT)
def test_each_word_typed_into_a_term_query_finds_its_indexed_term(text: str) -> None:
    for token, term in zip(words.tokens(text), words.terms(text), strict=True):
        assert words.term_form(token) == term
        assert words.terms(token) == [term]
