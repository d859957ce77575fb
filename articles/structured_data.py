"""schema.org JSON-LD for articles: Article, FAQPage and BreadcrumbList."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags

from articles.models import Article, Topic
from config.links import absolute_url


def article_graph(*, article: Article, topics: list[Topic]) -> list[dict]:
    url = absolute_url(article.get_absolute_url())
    organisation = {"@type": "Organization", "name": settings.SITE_NAME, "url": settings.SITE_URL}
    graph: list[dict] = [
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle" if article.kind == Article.Kind.NEWS else "Article",
            "headline": article.title[:110],
            "description": article.description,
            "url": url,
            "mainEntityOfPage": url,
            "datePublished": article.published_at,
            "dateModified": article.updated_at,
            "lastReviewed": article.last_reviewed,
            "author": (
                {"@type": "Person", "name": article.byline}
                if article.author and article.author.display_name
                else {**organisation, "name": article.byline}
            ),
            "publisher": organisation,
            "about": [topic.name for topic in topics],
            "wordCount": len(strip_tags(article.body_html).split()),
        }
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
                        "acceptedAnswer": {"@type": "Answer", "text": strip_tags(faq.answer_html)},
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
