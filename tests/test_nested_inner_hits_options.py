"""The per-hit options of ``inner_hits`` on ``nested`` queries (``highlight``, ``explain``,
``fields``, ``docvalue_fields``, ``version``, ``seq_no_primary_term``), from the Elasticsearch
documentation's examples ("Retrieve inner hits": the ``test`` index whose ``comments`` are
nested objects, and their ``votes`` one level deeper)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

WORDS = {"title": "Test title", "comments": [{"author": "kimchy", "text": "comment text"},
                                            {"author": "nik9000", "text": "words words words"}]}
VOTES = {"title": "Test title", "comments": [
    {"author": "kimchy", "text": "comment text", "votes": []},
    {"author": "nik9000", "text": "words words words", "votes": [
        {"value": 1, "voter": "kimchy"}, {"value": -1, "voter": "other"}]}]}
MATCH_WORDS = {"match": {"comments.text": "words"}}


@pytest.fixture
def test(es: httpx.Client, index_name: str) -> str:
    """The documentation's ``test`` index: ``comments`` nested, their fields mapped
    dynamically (``text`` with a ``keyword`` sub-field), ``comments.votes`` nested in them."""
    assert es.put(f"/{index_name}", json={"mappings": {"properties": {"comments": {
        "type": "nested", "properties": {"votes": {"type": "nested"}}}}}}).status_code == 200
    assert es.put(f"/{index_name}/_doc/1?refresh=true", json=VOTES).status_code in (200, 201)
    return index_name


def search(es: httpx.Client, index: str, inner_hits: dict[str, Any],
           query: dict[str, Any] | None = None, path: str = "comments") -> dict[str, Any]:
    response = es.post(f"/{index}/_search", json={"_source": False, "query": {"nested": {
        "path": path, "query": query or MATCH_WORDS, "inner_hits": inner_hits}}})
    assert response.status_code == 200, response.text
    return response.json()


def inner(result: dict[str, Any], name: str = "comments") -> list[dict[str, Any]]:
    return result["hits"]["hits"][0]["inner_hits"][name]["hits"]["hits"]


def test_docvalue_fields_by_full_name(es: httpx.Client, index_name: str) -> None:
    """The documentation's example of inner hits without ``_source``, verbatim."""
    es.put(f"/{index_name}", json={"mappings": {"properties": {"comments": {"type": "nested"}}}})
    es.put(f"/{index_name}/_doc/1?refresh=true", json=WORDS)
    response = es.post(f"/{index_name}/_search", json={"query": {"nested": {
        "path": "comments", "query": MATCH_WORDS, "inner_hits": {
            "_source": False, "docvalue_fields": ["comments.text.keyword"]}}}})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    score = hits["max_score"]
    assert hits == {"total": {"value": 1, "relation": "eq"}, "max_score": score, "hits": [{
        "_index": index_name, "_id": "1", "_score": score, "_source": WORDS, "inner_hits": {
            "comments": {"hits": {
                "total": {"value": 1, "relation": "eq"}, "max_score": score, "hits": [{
                    "_index": index_name, "_id": "1",
                    "_nested": {"field": "comments", "offset": 1}, "_score": score,
                    "fields": {"comments.text.keyword": ["words words words"]}}]}}}}]}


def test_docvalue_fields_of_a_deeper_object(es: httpx.Client, test: str) -> None:
    result = search(es, test, {"_source": False, "docvalue_fields": [
        "comments.votes.value", "comments.votes.voter.keyword", "comments.author.keyword"]},
        {"match": {"comments.votes.voter": "kimchy"}}, path="comments.votes")
    assert [hit["fields"] for hit in inner(result, "comments.votes")] == [
        {"comments.votes.value": [1], "comments.votes.voter.keyword": ["kimchy"]}]


def test_fields_by_pattern(es: httpx.Client, test: str) -> None:
    """Patterns as top-level ``fields`` takes them; the object's own fields by full name,
    text as sent, the objects nested in it grouped as a top-level hit groups them."""
    result = search(es, test, {"_source": False, "fields": ["comments.*"]})
    assert [hit["fields"] for hit in inner(result)] == [{
        "comments.author": ["nik9000"], "comments.author.keyword": ["nik9000"],
        "comments.text": ["words words words"], "comments.text.keyword": ["words words words"],
        "comments.votes": [
            {"value": [1], "voter": ["kimchy"], "voter.keyword": ["kimchy"]},
            {"value": [-1], "voter": ["other"], "voter.keyword": ["other"]}]}]
    only = search(es, test, {"_source": False, "fields": ["comments.author"]})
    assert [hit["fields"] for hit in inner(only)] == [{"comments.author": ["nik9000"]}]


def test_highlight_by_full_name(es: httpx.Client, test: str) -> None:
    result = search(es, test, {"_source": False, "highlight": {"fields": {"comments.text": {}}}})
    assert [(hit["_nested"], hit["highlight"]) for hit in inner(result)] == [
        ({"field": "comments", "offset": 1},
         {"comments.text": ["<em>words</em> <em>words</em> <em>words</em>"]})]
    tagged = search(es, test, {"_source": False, "highlight": {
        "pre_tags": ["["], "post_tags": ["]"], "fields": {"comments.*": {}}}},
        {"match": {"comments.author": "nik9000"}})
    assert [hit["highlight"] for hit in inner(tagged)] == [{"comments.author": ["[nik9000]"]}]


def test_highlight_refusals_are_the_top_level_ones(es: httpx.Client, test: str) -> None:
    response = es.post(f"/{test}/_search", json={"query": {"nested": {
        "path": "comments", "query": MATCH_WORDS,
        "inner_hits": {"highlight": {"fields": {"comments.text": {}}, "nope": 1}}}}})
    assert response.status_code == 400
    assert "[highlight] unknown field [nope]" in response.text


def test_explain(es: httpx.Client, test: str) -> None:
    result = search(es, test, {"_source": False, "explain": True})
    hit, = inner(result)
    explanation = hit["_explanation"]
    assert set(explanation) == {"value", "description", "details"}
    assert explanation["value"] == pytest.approx(hit["_score"])
    assert explanation["details"]


def test_version_is_the_parents(es: httpx.Client, test: str) -> None:
    """ES's ``Nested doc version and seqIDs`` test: the nested document has the root's
    version; ``seq_no_primary_term`` shows nothing on it (a nested document has no primary
    term in ES, so its sequence number stays unassigned and is not printed)."""
    options = {"_source": False, "version": True, "seq_no_primary_term": True}
    assert [(h["_version"], "_seq_no" in h, "_primary_term" in h)
            for h in inner(search(es, test, options))] == [(1, False, False)]
    es.put(f"/{test}/_doc/1?refresh=true", json=VOTES)
    assert [h["_version"] for h in inner(search(es, test, options))] == [2]
    assert "_version" not in inner(search(es, test, {"_source": False}))[0]


def test_options_together(es: httpx.Client, test: str) -> None:
    result = search(es, test, {
        "name": "voted", "size": 1, "sort": [{"comments.votes.value": "asc"}],
        "_source": ["comments.votes.voter"], "version": True,
        "highlight": {"fields": {"comments.votes.voter": {}}},
        "fields": ["comments.votes.voter"], "docvalue_fields": ["comments.votes.value"]},
        {"bool": {"should": [{"match": {"comments.votes.voter": "other"}},
                             {"range": {"comments.votes.value": {"gte": -1}}}]}},
        path="comments.votes")
    voted = result["hits"]["hits"][0]["inner_hits"]["voted"]["hits"]
    assert voted == {"total": {"value": 2, "relation": "eq"}, "max_score": None, "hits": [{
        "_index": test, "_id": "1",
        "_nested": {"field": "comments", "offset": 1, "_nested": {"field": "votes", "offset": 1}},
        "_version": 1, "_score": None, "_source": {"voter": "other"},
        "fields": {"comments.votes.voter": ["other"], "comments.votes.value": [-1]},
        "highlight": {"comments.votes.voter": ["<em>other</em>"]}, "sort": [-1]}]}
    explained = search(es, test, {"explain": True, "_source": False,
                                  "docvalue_fields": ["comments.number"]},
                       {"nested": {"path": "comments.votes", "inner_hits": {
                           "explain": True, "_source": False, "version": True},
                           "query": {"match": {"comments.votes.voter": "kimchy"}}}})
    comment, = inner(explained)
    assert comment["_explanation"]["value"] == pytest.approx(comment["_score"])
    vote, = comment["inner_hits"]["comments.votes"]["hits"]["hits"]
    assert vote["_nested"]["_nested"] == {"field": "votes", "offset": 0}
    assert vote["_version"] == 1
    assert vote["_explanation"]["value"] == pytest.approx(vote["_score"])

