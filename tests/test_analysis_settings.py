"""Index analysis settings (issue 22), each checked against the example of the Elasticsearch
documentation page it comes from: the request the page shows and the tokens or hits it says
come back. Indexing and searching are checked together: a field's analyzer is what is
indexed, and its search analyzer is what queries use."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


def _tokens(es: httpx.Client, body: dict[str, Any], index: str | None = None) -> list[str]:
    path = f"/{index}/_analyze" if index else "/_analyze"
    response = es.post(path, json=body)
    assert response.status_code == 200, response.text
    return [t["token"] for t in response.json()["tokens"]]


def _create(es: httpx.Client, name: str, body: dict[str, Any]) -> None:
    response = es.put(f"/{name}", json=body)
    assert response.status_code == 200, response.text


def _index(es: httpx.Client, name: str, docs: list[dict[str, Any]]) -> None:
    lines = []
    for number, doc in enumerate(docs, start=1):
        lines.append({"index": {"_id": str(number)}})
        lines.append(doc)
    payload = "\n".join(httpx.Response(200, json=x).text for x in lines) + "\n"
    response = es.post(f"/{name}/_bulk?refresh=true", content=payload,
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200 and not response.json()["errors"], response.text


def _ids(es: httpx.Client, name: str, query: dict[str, Any]) -> list[str]:
    response = es.post(f"/{name}/_search", json={"query": query})
    assert response.status_code == 200, response.text
    return sorted(hit["_id"] for hit in response.json()["hits"]["hits"])


def _error(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["type"], error["reason"]


# --- custom analyzers (analysis-custom-analyzer.html) ------------------------------------------

def test_custom_analyzer_html_strip_lowercase_asciifolding(es: httpx.Client,
                                                           index_name: str) -> None:
    _create(es, index_name, {"settings": {"analysis": {"analyzer": {"my_custom_analyzer": {
        "type": "custom", "tokenizer": "standard", "char_filter": ["html_strip"],
        "filter": ["lowercase", "asciifolding"]}}}}})
    body = es.post(f"/{index_name}/_analyze", json={
        "analyzer": "my_custom_analyzer", "text": "Is this <b>déjà vu</b>?"}).json()
    assert [t["token"] for t in body["tokens"]] == ["is", "this", "deja", "vu"]
    # offsets point into the text before the char filter (where a removed tag ends a
    # token, Lucene's exact end offset is not asserted here)
    assert [t["start_offset"] for t in body["tokens"]] == [0, 3, 11, 16]


def test_custom_analyzer_with_its_own_components(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {
        "settings": {"analysis": {
            "analyzer": {"my_custom_analyzer": {
                "char_filter": ["emoticons"], "tokenizer": "punctuation",
                "filter": ["lowercase", "english_stop"]}},
            "tokenizer": {"punctuation": {"type": "pattern", "pattern": "[ .,!?]"}},
            "char_filter": {"emoticons": {"type": "mapping",
                                          "mappings": [":) => _happy_", ":( => _sad_"]}},
            "filter": {"english_stop": {"type": "stop", "stopwords": "_english_"}}}},
        "mappings": {"properties": {"text": {"type": "text",
                                             "analyzer": "my_custom_analyzer"}}}})
    assert _tokens(es, {"analyzer": "my_custom_analyzer", "text": "I'm a :) person, and you?"},
                   index_name) == ["i'm", "_happy_", "person", "you"]
    # what is indexed is that analysis: the emoticon is searchable as its replacement
    _index(es, index_name, [{"text": "I'm a :) person, and you?"}, {"text": "so :( today"}])
    assert _ids(es, index_name, {"match": {"text": ":)"}}) == ["1"]
    assert _ids(es, index_name, {"term": {"text": "_sad_"}}) == ["2"]
    assert _ids(es, index_name, {"match_phrase": {"text": "I'm :) person"}}) == []
    assert _ids(es, index_name, {"match_phrase": {"text": "I'm a :) person"}}) == ["1"]
    assert _ids(es, index_name, {"query_string": {"query": "text:PERSON"}}) == ["1"]


def test_settings_show_analysis_as_es_does(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"settings": {"analysis": {
        "analyzer": {"my": {"type": "custom", "tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding"]}},
        "filter": {"syn": {"type": "synonym", "synonyms": ["a, b => c"]}}}}})
    settings = es.get(f"/{index_name}/_settings").json()[index_name]["settings"]
    assert settings["index"]["analysis"] == {
        "analyzer": {"my": {"type": "custom", "tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding"]}},
        "filter": {"syn": {"type": "synonym", "synonyms": ["a, b => c"]}}}
    flat = es.get(f"/{index_name}/_settings?flat_settings=true").json()[index_name]["settings"]
    assert flat["index.analysis.analyzer.my.type"] == "custom"
    assert flat["index.analysis.analyzer.my.filter"] == ["lowercase", "asciifolding"]


# --- built-in analyzers ------------------------------------------------------------------------

SENTENCE = "The 2 QUICK Brown-Foxes jumped over the lazy dog's bone."


def test_standard_analyzer_configured(es: httpx.Client, index_name: str) -> None:
    """analysis-standard-analyzer.html: max_token_length 5 and the English stop words."""
    _create(es, index_name, {"settings": {"analysis": {"analyzer": {"my_english_analyzer": {
        "type": "standard", "max_token_length": 5, "stopwords": "_english_"}}}}})
    assert _tokens(es, {"analyzer": "my_english_analyzer", "text": SENTENCE}, index_name) == \
        ["2", "quick", "brown", "foxes", "jumpe", "d", "over", "lazy", "dog's", "bone"]


@pytest.mark.parametrize(("analyzer", "tokens"), [
    ("stop", ["quick", "brown", "foxes", "jumped", "over", "lazy", "dog", "s", "bone"]),
    ("pattern", ["the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy",
                 "dog", "s", "bone"]),
    ("simple", ["the", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog",
                "s", "bone"]),
    ("whitespace", ["The", "2", "QUICK", "Brown-Foxes", "jumped", "over", "the", "lazy",
                    "dog's", "bone."]),
])
def test_builtin_analyzers(es: httpx.Client, analyzer: str, tokens: list[str]) -> None:
    assert _tokens(es, {"analyzer": analyzer, "text": SENTENCE}) == tokens


def test_pattern_classes_are_java_ascii_ones(es: httpx.Client) -> None:
    """Java's ``\\W`` is ASCII-only unless UNICODE_CHARACTER_CLASS is set: the pattern
    analyzer's default ``\\W+`` splits accented words, as in ES."""
    assert _tokens(es, {"analyzer": "pattern", "text": "déjà vu"}) == ["d", "j", "vu"]
    assert _tokens(es, {"tokenizer": {"type": "pattern", "pattern": "\\W+",
                                      "flags": "UNICODE_CHARACTER_CLASS"},
                        "text": "déjà vu"}) == ["déjà", "vu"]
    assert _tokens(es, {"tokenizer": {"type": "pattern", "pattern": "[^\\p{L}]+"},
                        "text": "déjà vu"}) == ["déjà", "vu"]


def test_english_analyzer(es: httpx.Client) -> None:
    """The english analyzer: possessive stemmer, lowercase, stop words, Porter stemmer."""
    assert _tokens(es, {"analyzer": "english", "text": SENTENCE}) == \
        ["2", "quick", "brown", "fox", "jump", "over", "lazi", "dog", "bone"]


def test_unsupported_language_analyzer_is_refused(es: httpx.Client, index_name: str) -> None:
    response = es.put(f"/{index_name}", json={"settings": {"analysis": {"analyzer": {
        "fr": {"type": "french"}}}}})
    status, kind, reason = _error(response)
    assert (status, kind) == (400, "illegal_argument_exception")
    assert "not supported by Loghaven: analyzer type [french]" in reason
    response = es.put(f"/{index_name}", json={"mappings": {"properties": {
        "t": {"type": "text", "analyzer": "german"}}}})
    status, kind, reason = _error(response)
    assert (status, kind) == (400, "mapper_parsing_exception")
    assert "not supported by Loghaven: analyzer type [german]" in reason
    response = es.post("/_analyze", json={"analyzer": "spanish", "text": "x"})
    assert "not supported by Loghaven: analyzer type [spanish]" in _error(response)[2]


# --- tokenizers ----------------------------------------------------------------------------------

def test_edge_ngram_autocomplete(es: httpx.Client, index_name: str) -> None:
    """analysis-edgengram-tokenizer.html, "Limitations of the max_gram parameter" example."""
    _create(es, index_name, {
        "settings": {"analysis": {
            "analyzer": {"autocomplete": {"tokenizer": "autocomplete", "filter": ["lowercase"]},
                         "autocomplete_search": {"tokenizer": "lowercase"}},
            "tokenizer": {"autocomplete": {"type": "edge_ngram", "min_gram": 2,
                                           "max_gram": 10, "token_chars": ["letter"]}}}},
        "mappings": {"properties": {"title": {"type": "text", "analyzer": "autocomplete",
                                              "search_analyzer": "autocomplete_search"}}}})
    assert _tokens(es, {"analyzer": "autocomplete", "text": "Quick Foxes"}, index_name) == \
        ["qu", "qui", "quic", "quick", "fo", "fox", "foxe", "foxes"]
    _index(es, index_name, [{"title": "Quick Foxes"}])
    assert _ids(es, index_name, {"match": {"title": {"query": "Quick Fo",
                                                     "operator": "and"}}}) == ["1"]
    assert _ids(es, index_name, {"match": {"title": {"query": "Quick Fa",
                                                     "operator": "and"}}}) == []
    field = _tokens(es, {"field": "title", "text": "Quick Foxes"}, index_name)
    assert field[:2] == ["qu", "qui"]


@pytest.mark.parametrize(("tokenizer", "text", "tokens"), [
    ("edge_ngram", "Quick Fox", ["Q", "Qu"]),
    ({"type": "edge_ngram", "min_gram": 2, "max_gram": 10, "token_chars": ["letter", "digit"]},
     "2 Quick Foxes.", ["Qu", "Qui", "Quic", "Quick", "Fo", "Fox", "Foxe", "Foxes"]),
    ("ngram", "Quick Fox", ["Q", "Qu", "u", "ui", "i", "ic", "c", "ck", "k", "k ", " ", " F",
                            "F", "Fo", "o", "ox", "x"]),
    ({"type": "ngram", "min_gram": 3, "max_gram": 3, "token_chars": ["letter", "digit"]},
     "2 Quick Foxes.", ["Qui", "uic", "ick", "Fox", "oxe", "xes"]),
    ("path_hierarchy", "/one/two/three", ["/one", "/one/two", "/one/two/three"]),
    ({"type": "path_hierarchy", "delimiter": "-", "replacement": "/", "skip": 2},
     "one-two-three-four-five", ["/three", "/three/four", "/three/four/five"]),
    ({"type": "path_hierarchy", "reverse": True}, "one/two/three",
     ["one/two/three", "two/three", "three"]),
    ("letter", "The 2 QUICK Brown-Foxes jumped", ["The", "QUICK", "Brown", "Foxes", "jumped"]),
    ("lowercase", "The 2 QUICK Brown-Foxes", ["the", "quick", "brown", "foxes"]),
    ({"type": "pattern", "pattern": ","}, "comma,separated,values",
     ["comma", "separated", "values"]),
    ({"type": "pattern", "pattern": "\"((?:\\\\\"|[^\"]|\\\\\")+)\"", "group": 1},
     "\"value\", \"value with embedded \\\" quote\"",
     ["value", "value with embedded \\\" quote"]),
    ({"type": "simple_pattern", "pattern": "[0123456789]{3}"}, "fd-786-335-514-x",
     ["786", "335", "514"]),
    ({"type": "simple_pattern_split", "pattern": "_"}, "an_underscored_phrase",
     ["an", "underscored", "phrase"]),
    ({"type": "char_group", "tokenize_on_chars": ["whitespace", "-", "\n"]},
     "The QUICK brown-fox", ["The", "QUICK", "brown", "fox"]),
])
def test_tokenizers(es: httpx.Client, tokenizer: Any, text: str, tokens: list[str]) -> None:
    assert _tokens(es, {"tokenizer": tokenizer, "text": text}) == tokens


def test_path_hierarchy_indexes_every_ancestor(es: httpx.Client, index_name: str) -> None:
    """analysis-pathhierarchy-tokenizer.html: file paths searchable by any ancestor folder,
    with a ``keyword`` search analyzer on the tree sub-field."""
    _create(es, index_name, {
        "settings": {"analysis": {
            "analyzer": {"custom_path_tree": {"tokenizer": "custom_hierarchy"}},
            "tokenizer": {"custom_hierarchy": {"type": "path_hierarchy", "delimiter": "/"}}}},
        "mappings": {"properties": {"file_path": {
            "type": "text",
            "fields": {"tree": {"type": "text", "analyzer": "custom_path_tree"}}}}}})
    _index(es, index_name, [
        {"file_path": "/User/alice/photos/2017/05/16/my_photo1.jpg"},
        {"file_path": "/User/alice/photos/2017/05/16/my_photo2.jpg"},
        {"file_path": "/User/alice/photos/2017/05/15/my_photo1.jpg"},
        {"file_path": "/User/bob/photos/2017/05/16/my_photo1.jpg"}])
    assert _ids(es, index_name, {"term": {"file_path.tree": "/User/alice/photos/2017/05/16"}}) \
        == ["1", "2"]
    assert _ids(es, index_name, {"term": {"file_path.tree": "/User/alice"}}) == ["1", "2", "3"]
    assert _ids(es, index_name, {"match": {"file_path": "16"}}) == ["1", "2", "4"]


# --- token filters ----------------------------------------------------------------------------

@pytest.mark.parametrize(("tokenizer", "filters", "text", "tokens"), [
    ("standard", [{"type": "asciifolding", "preserve_original": True}], "açaí à la carte",
     ["acai", "açaí", "a", "à", "la", "carte"]),
    ("standard", ["uppercase"], "the Quick FoX JUMPs", ["THE", "QUICK", "FOX", "JUMPS"]),
    ("standard", ["truncate"], "the quinquennial extravaganza carried on",
     ["the", "quinquenni", "extravagan", "carried", "on"]),
    ("whitespace", ["unique"], "the quick fox jumps the lazy fox",
     ["the", "quick", "fox", "jumps", "lazy"]),
    ("standard", ["reverse"], "quick fox jumps", ["kciuq", "xof", "spmuj"]),
    ("whitespace", [{"type": "length", "min": 0, "max": 4}],
     "the quick brown fox jumps over the lazy dog",
     ["the", "fox", "over", "the", "lazy", "dog"]),
    ("keyword", ["trim"], " fox ", ["fox"]),
    ("standard", [{"type": "edge_ngram", "min_gram": 1, "max_gram": 3}],
     "the quick brown fox jumps",
     ["t", "th", "the", "q", "qu", "qui", "b", "br", "bro", "f", "fo", "fox", "j", "ju",
      "jum"]),
    ("standard", ["ngram"], "Quick fox",
     ["Q", "Qu", "u", "ui", "i", "ic", "c", "ck", "k", "f", "fo", "o", "ox", "x"]),
    ("whitespace", ["shingle"], "quick brown fox jumps",
     ["quick", "quick brown", "brown", "brown fox", "fox", "fox jumps", "jumps"]),
    ("whitespace", ["stemmer"], "the foxes jumping quickly", ["the", "fox", "jump", "quickli"]),
    ("whitespace", ["porter_stem"], "the foxes jumping quickly",
     ["the", "fox", "jump", "quickli"]),
    ("whitespace", [{"type": "snowball", "language": "English"}],
     "the foxes jumping quickly", ["the", "fox", "jump", "quick"]),
    ("whitespace", [{"type": "stemmer", "language": "german"}], "Häuser", ["Haus"]),
    ("standard", [{"type": "stop", "stopwords": ["and", "is", "the"]}],
     "the quick fox jumps over the lazy dog and the cat",
     ["quick", "fox", "jumps", "over", "lazy", "dog", "cat"]),
    ("whitespace", [{"type": "stop", "stopwords": "_french_"}], "le chat et la souris",
     ["chat", "souris"]),
    ("standard", ["elision"], "j\u2019examine près du wharf", ["examine", "près", "du", "wharf"]),
    ("standard", ["apostrophe"], "Istanbul'a veya Istanbul'dan", ["Istanbul", "veya",
                                                                   "Istanbul"]),
    ("whitespace", [{"type": "keep", "keep_words": ["dog", "elephant", "fox"]}],
     "the quick fox jumps over the lazy dog", ["fox", "dog"]),
    ("standard", [{"type": "keep_types", "types": ["<NUM>"]}], "1 quick fox 2 lazy dogs",
     ["1", "2"]),
    ("standard", [{"type": "keep_types", "types": ["<NUM>"], "mode": "exclude"}],
     "1 quick fox 2 lazy dogs", ["quick", "fox", "lazy", "dogs"]),
    ("standard", ["limit"], "quick fox jumps over lazy dog", ["quick"]),
    ("standard", [{"type": "limit", "max_token_count": 2}], "quick fox jumps over lazy dog",
     ["quick", "fox"]),
    ("whitespace", ["fingerprint"], "zebra jumps over resting resting dog",
     ["dog jumps over resting zebra"]),
    ("whitespace", [{"type": "stemmer_override", "rules": ["running, runs => run"]},
                    "porter_stem"], "running runs stopped", ["run", "run", "stop"]),
    ("whitespace", ["keyword_repeat", "stemmer", "remove_duplicates"], "jumping dog",
     ["jumping", "jump", "dog"]),
    ("whitespace", [{"type": "pattern_replace", "pattern": "(dog)",
                     "replacement": "watch$1"}], "foxes jump lazy dogs",
     ["foxes", "jump", "lazy", "watchdogs"]),
])
def test_token_filters(es: httpx.Client, tokenizer: str, filters: list[Any], text: str,
                       tokens: list[str]) -> None:
    assert _tokens(es, {"tokenizer": tokenizer, "filter": filters, "text": text}) == tokens


def test_stop_filter_keeps_position_gaps(es: httpx.Client) -> None:
    body = es.post("/_analyze", json={"tokenizer": "whitespace", "filter": ["stop"],
                                      "text": "a quick fox"}).json()
    assert [(t["token"], t["position"]) for t in body["tokens"]] == [("quick", 1), ("fox", 2)]


def test_shingle_positions_and_types(es: httpx.Client) -> None:
    body = es.post("/_analyze", json={"tokenizer": "whitespace", "filter": ["shingle"],
                                      "text": "quick brown fox"}).json()
    assert [(t["token"], t["position"], t["type"]) for t in body["tokens"]][:2] == \
        [("quick", 0, "word"), ("quick brown", 0, "shingle")]


# --- synonyms -------------------------------------------------------------------------------

def test_synonyms_index_and_search(es: httpx.Client, index_name: str) -> None:
    """analysis-synonym-tokenfilter.html, Solr format: equivalent words and explicit
    mappings, applied at index time and at search time."""
    _create(es, index_name, {
        "settings": {"analysis": {
            "analyzer": {"synonym": {"tokenizer": "whitespace",
                                     "filter": ["lowercase", "synonym"]}},
            "filter": {"synonym": {"type": "synonym", "synonyms": [
                "universe, cosmos", "foozball , foosball", "Kitty, cat => feline"]}}}},
        "mappings": {"properties": {"body": {"type": "text", "analyzer": "synonym"}}}})
    body = es.post(f"/{index_name}/_analyze", json={"analyzer": "synonym",
                                                    "text": "the Cosmos kitty"}).json()
    assert [(t["token"], t["position"], t["type"]) for t in body["tokens"]] == [
        ("the", 0, "word"), ("cosmos", 1, "word"), ("universe", 1, "SYNONYM"),
        ("feline", 2, "SYNONYM")]
    _index(es, index_name, [{"body": "the cosmos is vast"}, {"body": "a cat sleeps"},
                            {"body": "foosball table"}])
    assert _ids(es, index_name, {"match": {"body": "universe"}}) == ["1"]
    assert _ids(es, index_name, {"match": {"body": "kitty"}}) == ["2"]
    assert _ids(es, index_name, {"match": {"body": "cat"}}) == ["2"]  # cat is indexed as feline
    assert _ids(es, index_name, {"match_phrase": {"body": "universe is vast"}}) == ["1"]
    assert _ids(es, index_name, {"match": {"body": {"query": "foozball table",
                                                    "operator": "and"}}}) == ["3"]


def test_synonym_graph_single_words(es: httpx.Client) -> None:
    tokens = _tokens(es, {"tokenizer": "standard", "filter": [
        "lowercase", {"type": "synonym_graph", "synonyms": ["laptop, notebook"]}],
        "text": "New Laptop"})
    assert tokens == ["new", "laptop", "notebook"]


def test_multi_word_synonym_outputs_are_refused(es: httpx.Client, index_name: str) -> None:
    for rules in (["ny, new york"], ["ny => new york"]):
        response = es.put(f"/{index_name}", json={"settings": {"analysis": {
            "analyzer": {"syn": {"tokenizer": "standard", "filter": ["my_syn"]}},
            "filter": {"my_syn": {"type": "synonym_graph", "synonyms": rules}}}}})
        status, kind, reason = _error(response)
        assert (status, kind) == (400, "illegal_argument_exception")
        assert "not supported by Loghaven: multi-word synonym [new york]" in reason


def test_multi_word_inputs_replaced_by_one_word(es: httpx.Client, index_name: str) -> None:
    """analysis-synonym-tokenfilter.html's Solr rules ``i-pod, i pod => ipod`` and
    ``sea biscuit, sea biscit => seabiscuit``: several words contracted to one."""
    _create(es, index_name, {
        "settings": {"analysis": {
            "analyzer": {"syn": {"tokenizer": "whitespace", "filter": ["lowercase", "s"]}},
            "filter": {"s": {"type": "synonym", "synonyms": [
                "i-pod, i pod => ipod", "sea biscuit, sea biscit => seabiscuit"]}}}},
        "mappings": {"properties": {"t": {"type": "text", "analyzer": "syn"}}}})
    body = es.post(f"/{index_name}/_analyze", json={"analyzer": "syn",
                                                    "text": "my I pod and sea biscit"}).json()
    assert [(t["token"], t["position"]) for t in body["tokens"]] == [
        ("my", 0), ("ipod", 1), ("and", 2), ("seabiscuit", 3)]
    _index(es, index_name, [{"t": "the sea biscuit race"}, {"t": "a new i-pod"}])
    assert _ids(es, index_name, {"match": {"t": "seabiscuit"}}) == ["1"]
    assert _ids(es, index_name, {"match_phrase": {"t": "sea biscit race"}}) == ["1"]
    assert _ids(es, index_name, {"match": {"t": "i pod"}}) == ["2"]
    assert _ids(es, index_name, {"match": {"t": "sea"}}) == []


# --- char filters -----------------------------------------------------------------------------

@pytest.mark.parametrize(("tokenizer", "char_filter", "text", "tokens"), [
    ("keyword", ["html_strip"], "<p>I&apos;m so <b>happy</b>!</p>", ["\nI'm so happy!\n"]),
    ("keyword", [{"type": "html_strip", "escaped_tags": ["b"]}],
     "<p>I&apos;m so <b>happy</b>!</p>", ["\nI'm so <b>happy</b>!\n"]),
    # the Arabic-Indic digits of the page's example, written by code point
    ("keyword", [{"type": "mapping", "mappings": [f"{chr(0x660 + d)} => {d}"
                                                  for d in range(10)]}],
     "My license plate is " + "".join(chr(0x660 + d) for d in (2, 5, 0, 1, 5)),
     ["My license plate is 25015"]),
    ("standard", [{"type": "pattern_replace", "pattern": "(\\d+)-(?=\\d)",
                   "replacement": "$1_"}], "My credit card is 123-456-789",
     ["My", "credit", "card", "is", "123_456_789"]),
])
def test_char_filters(es: httpx.Client, tokenizer: str, char_filter: list[Any], text: str,
                      tokens: list[str]) -> None:
    assert _tokens(es, {"tokenizer": tokenizer, "char_filter": char_filter,
                        "text": text}) == tokens


def test_explain_shows_each_stage(es: httpx.Client) -> None:
    detail = es.post("/_analyze", json={
        "tokenizer": "standard", "char_filter": ["html_strip"], "filter": ["lowercase"],
        "text": "<b>Hi</b> There", "explain": True}).json()["detail"]
    assert detail["custom_analyzer"] is True
    assert detail["charfilters"] == [{"name": "html_strip", "filtered_text": ["Hi There"]}]
    assert [t["token"] for t in detail["tokenizer"]["tokens"]] == ["Hi", "There"]
    assert [t["token"] for t in detail["tokenfilters"][0]["tokens"]] == ["hi", "there"]


# --- normalizers ------------------------------------------------------------------------------

def test_custom_normalizer_term_and_match(es: httpx.Client, index_name: str) -> None:
    """normalizer.html: BÀR is indexed as bar, and term and match queries normalise too."""
    _create(es, index_name, {
        "settings": {"analysis": {
            "char_filter": {"quote": {"type": "mapping", "mappings": ["« => \"", "» => \""]}},
            "normalizer": {"my_normalizer": {"type": "custom", "char_filter": ["quote"],
                                             "filter": ["lowercase", "asciifolding"]}}}},
        "mappings": {"properties": {"foo": {"type": "keyword",
                                            "normalizer": "my_normalizer"}}}})
    _index(es, index_name, [{"foo": "BÀR"}, {"foo": "bar"}, {"foo": "baz"}, {"foo": "«X»"}])
    assert _ids(es, index_name, {"term": {"foo": "BAR"}}) == ["1", "2"]
    assert _ids(es, index_name, {"match": {"foo": "BAR"}}) == ["1", "2"]
    assert _ids(es, index_name, {"term": {"foo": "\"x\""}}) == ["4"]
    assert _ids(es, index_name, {"prefix": {"foo": "BÀ"}}) == ["1", "2", "3"]
    aggs = es.post(f"/{index_name}/_search", json={"size": 0, "aggs": {"f": {"terms": {
        "field": "foo"}}}}).json()["aggregations"]["f"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in aggs} == {"bar": 2, "baz": 1, "\"x\"": 1}
    hits = es.post(f"/{index_name}/_search", json={
        "query": {"term": {"foo": "BAR"}}, "highlight": {"fields": {"foo": {}}}}).json()
    assert sorted(h["highlight"]["foo"][0] for h in hits["hits"]["hits"]) == \
        ["<em>BÀR</em>", "<em>bar</em>"]
    assert _tokens(es, {"normalizer": "my_normalizer", "text": "BÀR"}, index_name) == ["bar"]
    assert _tokens(es, {"field": "foo", "text": "«BÀR»"}, index_name) == ["\"bar\""]


def test_normalizer_refusals(es: httpx.Client, index_name: str) -> None:
    response = es.put(f"/{index_name}", json={"settings": {"analysis": {"normalizer": {
        "n": {"type": "custom", "filter": ["lowercase", "stemmer"]}}}}})
    assert _error(response) == (400, "illegal_argument_exception",
                                "Custom normalizer [n] may not use filter [stemmer]")
    response = es.put(f"/{index_name}", json={"mappings": {"properties": {
        "k": {"type": "keyword", "normalizer": "nope"}}}})
    assert _error(response) == (400, "mapper_parsing_exception",
                                "normalizer [nope] not found for field [k]")


# --- mappings ---------------------------------------------------------------------------------

def test_multi_fields_with_their_own_analyzers(es: httpx.Client, index_name: str) -> None:
    """multi-fields.html: ``text`` with the standard analyzer, ``text.english`` with the
    english one; most_fields matches both documents."""
    _create(es, index_name, {"mappings": {"properties": {"text": {
        "type": "text", "fields": {"english": {"type": "text", "analyzer": "english"}}}}}})
    _index(es, index_name, [{"text": "quick brown fox"}, {"text": "quick brown foxes"}])
    assert _ids(es, index_name, {"multi_match": {
        "query": "quick brown foxes", "fields": ["text", "text.english"],
        "type": "most_fields"}}) == ["1", "2"]
    assert _ids(es, index_name, {"match": {"text": "foxes"}}) == ["2"]
    assert _ids(es, index_name, {"match": {"text.english": "foxes"}}) == ["1", "2"]


def test_unknown_analyzer_in_mapping(es: httpx.Client, index_name: str) -> None:
    response = es.put(f"/{index_name}", json={"mappings": {"properties": {
        "t": {"type": "text", "analyzer": "my_analyzer"}}}})
    status, kind, reason = _error(response)
    assert (status, kind) == (400, "mapper_parsing_exception")
    assert reason.endswith("analyzer [my_analyzer] has not been configured in mappings")
    assert es.get(f"/{index_name}").status_code == 404


def test_default_analyzer_and_array_position_gap(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"settings": {"analysis": {"analyzer": {"default": {
        "type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]}}}},
        "mappings": {"properties": {"names": {"type": "text"}}}})
    _index(es, index_name, [{"names": ["John Abraham", "Lincoln Smith"]}])
    assert _ids(es, index_name, {"match_phrase": {"names": "abraham lincoln"}}) == []
    assert _ids(es, index_name, {"match_phrase": {"names": {
        "query": "abraham lincoln", "slop": 101}}}) == ["1"]
    assert _ids(es, index_name, {"match": {"names": "SMITH"}}) == ["1"]


def test_bulk_of_many_documents_uses_the_index_analyzer(es: httpx.Client,
                                                         index_name: str) -> None:
    """A bulk large enough for the ingest workers still indexes with the index's analysis."""
    _create(es, index_name, {
        "settings": {"analysis": {"analyzer": {"grams": {"tokenizer": "grams"}},
                                  "tokenizer": {"grams": {"type": "ngram", "min_gram": 3,
                                                          "max_gram": 3}}}},
        "mappings": {"properties": {"host": {"type": "text", "analyzer": "grams"}}}})
    _index(es, index_name, [{"host": f"web-{n:04d}.example"} for n in range(600)])
    response = es.post(f"/{index_name}/_search", json={
        "query": {"term": {"host": "007"}}, "track_total_hits": True}).json()
    assert response["hits"]["total"]["value"] == 11  # 0007 and 0070..0079 contain "007"


# --- settings updates and refusals --------------------------------------------------------

def test_analysis_changes_need_a_closed_index(es: httpx.Client, index_name: str) -> None:
    """indices-update-settings.html, "Update index analysis": close, define, reopen."""
    _create(es, index_name, {})
    body = {"analysis": {"analyzer": {"content": {"type": "custom", "tokenizer": "whitespace"}}}}
    response = es.put(f"/{index_name}/_settings", json=body)
    status, kind, reason = _error(response)
    assert (status, kind) == (400, "illegal_argument_exception")
    uuid = es.get(f"/{index_name}/_settings").json()[index_name]["settings"]["index"]["uuid"]
    assert reason == (f"Can't update non dynamic settings [[index.analysis.analyzer.content.type, "
                      f"index.analysis.analyzer.content.tokenizer]] for open indices "
                      f"[[{index_name}/{uuid}]]")
    assert es.post(f"/{index_name}/_close").status_code == 200
    assert es.put(f"/{index_name}/_settings", json=body).status_code == 200
    assert es.post(f"/{index_name}/_open").status_code == 200
    assert _tokens(es, {"analyzer": "content", "text": "Foo-Bar baz"}, index_name) == \
        ["Foo-Bar", "baz"]
    mapping = es.put(f"/{index_name}/_mapping", json={"properties": {
        "c": {"type": "text", "analyzer": "content"}}})
    assert mapping.status_code == 200, mapping.text
    _index(es, index_name, [{"c": "Foo-Bar baz"}])
    assert _ids(es, index_name, {"match": {"c": "Foo-Bar"}}) == ["1"]
    assert _ids(es, index_name, {"match": {"c": "foo"}}) == []


@pytest.mark.parametrize(("analysis", "reason"), [
    ({"tokenizer": {"my_tok": {"type": "foo"}},
      "analyzer": {"a": {"tokenizer": "my_tok"}}}, "Unknown tokenizer type [foo] for [my_tok]"),
    ({"filter": {"my_filter": {"type": "foo"}}}, "Unknown filter type [foo] for [my_filter]"),
    ({"char_filter": {"my_cf": {"type": "foo"}}}, "Unknown char_filter type [foo] for [my_cf]"),
    ({"analyzer": {"a": {"type": "custom", "tokenizer": "standard", "filter": ["nope"]}}},
     "Custom Analyzer [a] failed to find filter under name [nope]"),
    ({"analyzer": {"a": {"type": "custom", "tokenizer": "nope"}}},
     "Custom Analyzer [a] failed to find tokenizer under name [nope]"),
    ({"analyzer": {"a": {"type": "custom", "tokenizer": "standard", "char_filter": ["nope"]}}},
     "Custom Analyzer [a] failed to find char_filter under name [nope]"),
    ({"analyzer": {"a": {"type": "nope"}}}, "Unknown analyzer type [nope] for [a]"),
    ({"analyzer": {"a": {"filter": ["lowercase"]}}},
     "analyzer [a] must specify either an analyzer type, or a tokenizer"),
    ({"tokenizer": {"t": {"type": "ngram", "min_gram": 1, "max_gram": 3}}},
     "The difference between max_gram and min_gram in NGram Tokenizer must be less than or "
     "equal to: [1] but was [2]. This limit can be set by changing the "
     "[index.max_ngram_diff] index level setting."),
    ({"filter": {"f": {"type": "ngram", "min_gram": 2, "max_gram": 4}}},
     "The difference between max_gram and min_gram in NGram Tokenizer must be less than or "
     "equal to: [1] but was [2]. This limit can be set by changing the "
     "[index.max_ngram_diff] index level setting."),
    # the n-gram filters keep Lucene's own wording, which differs from the tokenizers'
    ({"filter": {"f": {"type": "ngram", "min_gram": 0, "max_gram": 1}}},
     "minGram must be greater than zero"),
    ({"filter": {"f": {"type": "edge_ngram", "min_gram": 3, "max_gram": 2}}},
     "minGram must not be greater than maxGram"),
    ({"tokenizer": {"t": {"type": "uax_url_email"}}},
     "not supported by Loghaven: tokenizer type [uax_url_email]"),
    ({"filter": {"f": {"type": "word_delimiter_graph"}}},
     "not supported by Loghaven: token filter type [word_delimiter_graph]"),
])
def test_bad_analysis_is_refused_at_creation(es: httpx.Client, index_name: str,
                                             analysis: dict[str, Any], reason: str) -> None:
    response = es.put(f"/{index_name}", json={"settings": {"analysis": analysis}})
    assert _error(response) == (400, "illegal_argument_exception", reason)
    assert es.get(f"/{index_name}").status_code == 404


def test_max_ngram_diff_allows_wider_grams(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"settings": {"index": {"max_ngram_diff": 2}, "analysis": {
        "tokenizer": {"t": {"type": "ngram", "min_gram": 1, "max_gram": 3}},
        "analyzer": {"a": {"tokenizer": "t"}}}}})
    assert _tokens(es, {"analyzer": "a", "text": "ab"}, index_name) == ["a", "ab", "b"]


def test_analysis_from_an_index_template(es: httpx.Client, index_name: str) -> None:
    template = {"index_patterns": [f"{index_name}*"], "template": {
        "settings": {"analysis": {"normalizer": {"fold": {"type": "custom",
                                                          "filter": ["lowercase", "asciifolding"]}}}},
        "mappings": {"properties": {"city": {"type": "keyword", "normalizer": "fold"}}}}}
    assert es.put(f"/_index_template/{index_name}", json=template).status_code == 200
    try:
        _index(es, f"{index_name}-1", [{"city": "Zürich"}])
        assert _ids(es, f"{index_name}-1", {"term": {"city": "ZURICH"}}) == ["1"]
    finally:
        es.delete(f"/_index_template/{index_name}")
        es.delete(f"/{index_name}-1")


def test_a_field_analyzer_cannot_change(es: httpx.Client, index_name: str) -> None:
    """mapping-params analyzer: the analyzer of an existing field cannot be updated;
    search_analyzer can."""
    _create(es, index_name, {"mappings": {"properties": {"t": {"type": "text",
                                                               "analyzer": "simple"}}}})
    response = es.put(f"/{index_name}/_mapping", json={"properties": {
        "t": {"type": "text", "analyzer": "whitespace"}}})
    assert _error(response) == (400, "illegal_argument_exception",
                                "Mapper for [t] conflicts with existing mapper:\n\tCannot "
                                "update parameter [analyzer] from [simple] to [whitespace]")
    response = es.put(f"/{index_name}/_mapping", json={"properties": {
        "t": {"type": "text", "analyzer": "simple", "search_analyzer": "whitespace"}}})
    assert response.status_code == 200, response.text
    _index(es, index_name, [{"t": "Foo bar"}])
    assert _ids(es, index_name, {"match": {"t": "foo"}}) == ["1"]
    assert _ids(es, index_name, {"match": {"t": "Foo"}}) == []  # whitespace keeps the case


def test_search_quote_analyzer(es: httpx.Client, index_name: str) -> None:
    """analyzer.html's search_quote_analyzer example: stop words kept for phrases only."""
    _create(es, index_name, {
        "settings": {"analysis": {"analyzer": {
            "my_analyzer": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]},
            "my_stop_analyzer": {"type": "custom", "tokenizer": "standard",
                                 "filter": ["lowercase", "english_stop"]}},
            "filter": {"english_stop": {"type": "stop", "stopwords": "_english_"}}}},
        "mappings": {"properties": {"title": {
            "type": "text", "analyzer": "my_analyzer", "search_analyzer": "my_stop_analyzer",
            "search_quote_analyzer": "my_analyzer"}}}})
    _index(es, index_name, [{"title": "The Quick Brown Fox"},
                            {"title": "A Quick Brown Fox"}])
    assert _ids(es, index_name, {"query_string": {"query": "\"the quick brown fox\""}}) == ["1"]
    assert _ids(es, index_name, {"match": {"title": "the"}}) == []  # a stop word at search


def test_highlight_uses_the_field_analyzer(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"mappings": {"properties": {"body": {"type": "text",
                                                                  "analyzer": "english"}}}})
    _index(es, index_name, [{"body": "The foxes were jumping"}])
    hit = es.post(f"/{index_name}/_search", json={
        "query": {"match": {"body": "fox jumped"}},
        "highlight": {"fields": {"body": {}}}}).json()["hits"]["hits"][0]
    assert hit["highlight"] == {"body": ["The <em>foxes</em> were <em>jumping</em>"]}


def test_replacing_a_document_with_analysed_fields(es: httpx.Client, index_name: str) -> None:
    """A document replaced or updated is indexed again through the field's analyzer."""
    _create(es, index_name, {"mappings": {"properties": {"t": {"type": "text",
                                                               "analyzer": "english"}}}})
    _index(es, index_name, [{"t": "running foxes"}])
    assert es.put(f"/{index_name}/_doc/1?refresh=true",
                  json={"t": "jumping cats"}).status_code == 200
    assert _ids(es, index_name, {"match": {"t": "fox"}}) == []
    assert _ids(es, index_name, {"match": {"t": "cat"}}) == ["1"]
    assert es.post(f"/{index_name}/_update/1?refresh=true",
                   json={"doc": {"t": "sleeping dogs"}}).status_code == 200
    assert _ids(es, index_name, {"match": {"t": "dog"}}) == ["1"]
    fields = es.post(f"/{index_name}/_search", json={"fields": ["t"]}).json()
    assert fields["hits"]["hits"][0]["fields"] == {"t": ["sleeping dogs"]}


def test_bulk_with_a_builtin_analyzer(es: httpx.Client, index_name: str) -> None:
    """A mapping naming only built-in analyzers is prepared by the ingest workers too."""
    _create(es, index_name, {"mappings": {"properties": {"t": {"type": "text",
                                                               "analyzer": "english"}}}})
    _index(es, index_name, [{"t": f"running foxes number {n}"} for n in range(300)])
    response = es.post(f"/{index_name}/_search", json={
        "query": {"match_phrase": {"t": "run fox"}}, "track_total_hits": True}).json()
    assert response["hits"]["total"]["value"] == 300


def test_composable_template_with_analysis_in_a_component(es: httpx.Client,
                                                          index_name: str) -> None:
    component = {"template": {"settings": {"analysis": {"analyzer": {"paths": {
        "tokenizer": "path_hierarchy"}}}}}}
    assert es.put(f"/_component_template/{index_name}", json=component).status_code == 200
    template = {"index_patterns": [f"{index_name}*"], "composed_of": [index_name],
                "template": {"mappings": {"properties": {"p": {"type": "text",
                                                               "analyzer": "paths"}}}}}
    try:
        response = es.put(f"/_index_template/{index_name}", json=template)
        assert response.status_code == 200, response.text
        _index(es, f"{index_name}-1", [{"p": "/a/b/c"}])
        assert _ids(es, f"{index_name}-1", {"term": {"p": "/a/b"}}) == ["1"]
    finally:
        es.delete(f"/_index_template/{index_name}")
        es.delete(f"/_component_template/{index_name}")
        es.delete(f"/{index_name}-1")


def test_position_increment_gap(es: httpx.Client, index_name: str) -> None:
    """position-increment-gap.html: no phrase across values by default, unless the slop
    covers the gap, or the field sets the gap to 0."""
    _create(es, index_name, {"mappings": {"properties": {
        "names": {"type": "text"},
        "joined": {"type": "text", "position_increment_gap": 0}}}})
    _index(es, index_name, [{"names": ["John Abraham", "Lincoln Smith"],
                             "joined": ["John Abraham", "Lincoln Smith"]}])
    assert _ids(es, index_name, {"match_phrase": {"names": "Abraham Lincoln"}}) == []
    assert _ids(es, index_name, {"match_phrase": {"names": {"query": "Abraham Lincoln",
                                                            "slop": 101}}}) == ["1"]
    assert _ids(es, index_name, {"match_phrase": {"joined": "Abraham Lincoln"}}) == ["1"]


@pytest.mark.parametrize(("field", "reason"), [
    ({"type": "text", "search_analyzer": "simple"},
     "analyzer on field [t] must be set when search_analyzer is set"),
    ({"type": "text", "analyzer": "simple", "search_quote_analyzer": "simple"},
     "analyzer and search_analyzer on field [t] must be set when search_quote_analyzer is set"),
])
def test_search_analyzers_need_an_analyzer(es: httpx.Client, index_name: str,
                                           field: dict[str, Any], reason: str) -> None:
    response = es.put(f"/{index_name}", json={"mappings": {"properties": {"t": field}}})
    status, kind, message = _error(response)
    assert (status, kind) == (400, "mapper_parsing_exception") and message.endswith(reason)
