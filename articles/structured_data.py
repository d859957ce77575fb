"""schema.org JSON-LD for articles: WebPage, Article, FAQPage and BreadcrumbList."""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import strip_tags

from articles.models import Article, Topic
from core.links import absolute_url


def publisher() -> dict:
    """The site as an organisation, with its logo (an absolute URL, as schema.org wants)."""
    return {
        "@type": "Organization",
        "name": settings.SITE_NAME,
        "url": settings.SITE_URL,
        "logo": {"@type": "ImageObject", "url": absolute_url(static("img/logo.png"))},
    }


def article_graph(*, article: Article, topics: list[Topic]) -> list[dict]:
    url = absolute_url(article.get_absolute_url())
    if article.byline_is_group:
        author = {"@type": "Organization", "name": article.byline, "url": settings.SITE_URL}
    else:
        author = {"@type": "Person", "name": article.byline}
    page = {
        "@context": "https://schema.org",
        "@type": "WebPage",
        "@id": url,
        "url": url,
        "name": article.title,
    }
    if article.last_reviewed:
        # schema.org defines lastReviewed on WebPage, not on Article.
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
            "dateModified": article.updated_at,
            "author": author,
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
