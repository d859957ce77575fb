"""Which trials an article cites, and their cards."""

from __future__ import annotations

from articles.models import Article, Reference
from evidence.models import Trial
from evidence.registry import NCT_RE


def article_nct_ids(article: Article, references=None) -> list[str]:
    """The NCT numbers the article names, in its body then its references, each once.
    `references`: the article's references when the caller has them (prefetched)."""
    found = NCT_RE.findall(article.body or "")
    for reference in article.references.all() if references is None else references:
        found += NCT_RE.findall(f"{reference.identifier} {reference.url}")
    return list(dict.fromkeys(found))


def article_trials(article: Article, references=None) -> list[Trial]:
    """The cards of the trials the article cites that the registry has given: one query."""
    ids = article_nct_ids(article, references)
    if not ids:
        return []
    trials = {t.nct_id: t for t in Trial.objects.filter(nct_id__in=ids, as_of__isnull=False)}
    return [trials[nct_id] for nct_id in ids if nct_id in trials]


def cited_nct_ids() -> list[str]:
    """Every NCT number a public article cites, each once."""
    found: dict[str, None] = {}
    for body in Article.objects.published().values_list("body", flat=True).iterator():
        found.update(dict.fromkeys(NCT_RE.findall(body)))
    public = Reference.objects.filter(article__in=Article.objects.published())
    for identifier, url in public.values_list("identifier", "url"):
        found.update(dict.fromkeys(NCT_RE.findall(f"{identifier} {url}")))
    return list(found)
