"""The article page's JSON-LD through extruct and pyld, as a search engine reads it."""

import extruct
import pytest
from pyld import jsonld

pytestmark = pytest.mark.django_db

SCHEMA = "http://schema.org/"
SITE_URL = "http://testserver"


def _offline_schema_context(url, options=None):
    # pyld would fetch https://schema.org/ for the context; tests never reach the internet.
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": {"@context": {"@vocab": SCHEMA}},
    }


def expanded(html: str) -> list[dict]:
    blocks = extruct.extract(html, base_url=SITE_URL, syntaxes=["json-ld"], uniform=True)["json-ld"]
    assert blocks, "no JSON-LD on the page"
    return jsonld.expand(blocks, {"documentLoader": _offline_schema_context})


def nodes_of(graph: list[dict], kind: str) -> list[dict]:
    return [node for node in graph if f"{SCHEMA}{kind}" in node.get("@type", [])]


def value(node: dict, prop: str):
    (item,) = node[f"{SCHEMA}{prop}"]
    return item.get("@value", item.get("@id", item))


def test_the_article_page_has_article_faq_breadcrumbs_and_a_publisher_logo(validated):
    graph = expanded(validated.html["article"])
    (article,) = nodes_of(graph, "Article") + nodes_of(graph, "NewsArticle")
    assert nodes_of(graph, "FAQPage")
    (crumbs,) = nodes_of(graph, "BreadcrumbList")
    assert len(crumbs[f"{SCHEMA}itemListElement"]) >= 2
    (publisher,) = article[f"{SCHEMA}publisher"]
    assert f"{SCHEMA}Organization" in publisher["@type"]
    (logo,) = publisher[f"{SCHEMA}logo"]
    assert value(logo, "url").startswith(f"{SITE_URL}/static/")
    (page,) = nodes_of(graph, "MedicalWebPage")
    assert value(page, "url") == value(article, "url")
    for faq in nodes_of(graph, "FAQPage"):
        for question in faq[f"{SCHEMA}mainEntity"]:
            (answer,) = question[f"{SCHEMA}acceptedAnswer"]
            text = value(answer, "text")
            assert text == text.strip()


def test_a_group_byline_is_an_organization(validated):
    graph = expanded(validated.html["article-now"])  # by the editors, as a body
    (article,) = nodes_of(graph, "NewsArticle")
    (author,) = article[f"{SCHEMA}author"]
    assert f"{SCHEMA}Organization" in author["@type"]
    assert value(author, "name") == "Driverline editors"


def test_the_founding_article_names_its_writer_and_its_medical_reviewer_as_people(validated):
    graph = expanded(validated.html["article"])
    (article,) = nodes_of(graph, "NewsArticle")
    (author,) = article[f"{SCHEMA}author"]
    assert f"{SCHEMA}Person" in author["@type"]
    assert value(author, "url") == f"{SITE_URL}/contributors/oriel-marchetti-vance/"
    (page,) = nodes_of(graph, "MedicalWebPage")
    (reviewer,) = page[f"{SCHEMA}reviewedBy"]
    assert value(reviewer, "name") == "Ines Calloway-Brandt"
    assert value(reviewer, "honorificSuffix") == "MD, PhD"
    (affiliation,) = reviewer[f"{SCHEMA}affiliation"]
    assert f"{SCHEMA}Organization" in affiliation["@type"]
    assert value(page, "lastReviewed")
