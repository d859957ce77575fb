"""schema.org JSON-LD for articles (MedicalWebPage, Article, FAQPage, BreadcrumbList) and for
contributors' pages (ProfilePage)."""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import strip_tags

from articles.models import Article, Contributor, Topic
from articles.selectors import MedicalReview, article_medical_review
from core.links import absolute_url


def publisher() -> dict:
    """The site as an organisation, with its logo (an absolute URL, as schema.org wants)."""
    return {
        "@type": "Organization",
        "name": settings.SITE_NAME,
        "url": settings.SITE_URL,
        "logo": {"@type": "ImageObject", "url": absolute_url(static("img/logo.png"))},
    }


def person(contributor: Contributor) -> dict:
    """A contributor as a schema.org Person: their page, their role and credentials, where they work."""
    data = {
        "@type": "Person",
        "name": contributor.name,
        "url": absolute_url(contributor.get_absolute_url()),
    }
    if contributor.role:
        data["jobTitle"] = contributor.role
    if contributor.credentials:
        data["honorificSuffix"] = contributor.credentials
    if contributor.affiliation:
        data["affiliation"] = {"@type": "Organization", "name": contributor.affiliation}
    return data


def _authors(article: Article) -> list[dict] | dict:
    if people := article.contributors:
        return [person(contributor) for contributor in people]
    if article.byline_is_group:
        return {"@type": "Organization", "name": article.byline, "url": settings.SITE_URL}
    return {"@type": "Person", "name": article.byline}


def _reviewer(review: MedicalReview) -> dict:
    if review.contributor:
        return person(review.contributor)
    return {"@type": "Person", "name": review.name}


def article_graph(*, article: Article, topics: list[Topic], modified=None) -> list[dict]:
    """`modified`: its latest update or correction (articles.corrections.article_modified)."""
    url = absolute_url(article.get_absolute_url())
    review = article_medical_review(article)
    page = {
        "@context": "https://schema.org",
        # Every article here gives medical information; the page is where schema.org puts who
        # reviewed it and when (lastReviewed and reviewedBy belong to WebPage, not to Article).
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": article.title,
    }
    if review:
        page["lastReviewed"] = review.on
        if review.name:
            page["reviewedBy"] = _reviewer(review)
    elif article.last_reviewed:
        page["lastReviewed"] = article.last_reviewed
    graph: list[dict] = [
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle" if article.kind == Article.Kind.NEWS else "Article",
            "headline": article.title[:110],
            "description": article.description,
            "url": url,
            "mainEntityOfPage": {"@id": url},
            "datePublished": article.published_at,
            "dateModified": modified or article.published_at,
            "author": _authors(article),
            "publisher": publisher(),
            "about": [topic.name for topic in topics],
            "wordCount": len(strip_tags(article.body_html).split()),
        },
        page,
    ]
    faqs = list(article.faqs.all())
    if faqs:
        graph.append(
            {
                "@context": "https://schema.org",
                "@type": "FAQPage",
                "mainEntity": [
                    {
                        "@type": "Question",
                        "name": faq.question,
                        "acceptedAnswer": {
                            "@type": "Answer",
                            "text": strip_tags(faq.answer_html).strip(),
                        },
                    }
                    for faq in faqs
                ],
            }
        )
    crumbs = [("Home", reverse("home"))]
    if topics:
        crumbs.append((topics[0].name, topics[0].get_absolute_url()))
    crumbs.append((article.title, article.get_absolute_url()))
    graph.append(
        {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": i, "name": name, "item": absolute_url(path)}
                for i, (name, path) in enumerate(crumbs, start=1)
            ],
        }
    )
    return graph


def contributor_graph(*, contributor: Contributor) -> list[dict]:
    url = absolute_url(contributor.get_absolute_url())
    return [
        {
            "@context": "https://schema.org",
            "@type": "ProfilePage",
            "@id": url,
            "url": url,
            "name": contributor.name,
            "mainEntity": person(contributor),
        }
    ]
