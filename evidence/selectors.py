"""Which trials an article cites, their cards, and which public articles cite a trial."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from articles.models import Article, Reference
from evidence.models import Trial, TrialChange
from evidence.registry import NCT_RE

# The latest change's fields, read in the cards' own query.
LATEST_CHANGE_FIELDS = ("pk", "kind", "old_status", "new_status", "registry_date", "recorded_at")


def article_nct_ids(article: Article, references=None) -> list[str]:
    """The NCT numbers the article names, in its body then its references, each once.
    `references`: the article's references when the caller has them (prefetched)."""
    found = NCT_RE.findall(article.body or "")
    for reference in article.references.all() if references is None else references:
        found += NCT_RE.findall(f"{reference.identifier} {reference.url}")
    return list(dict.fromkeys(found))


def with_latest_change(trials: QuerySet[Trial]) -> QuerySet[Trial]:
    """Trials annotated with their latest change's fields (`latest_<field>`), in one query."""
    latest = TrialChange.objects.filter(trial=OuterRef("pk")).order_by("-recorded_at", "-pk")
    return trials.annotate(
        **{f"latest_{name}": Subquery(latest.values(name)[:1]) for name in LATEST_CHANGE_FIELDS}
    )


def latest_change(trial: Trial) -> TrialChange | None:
    """The change a `with_latest_change` trial carries, as an unsaved-looking TrialChange."""
    if getattr(trial, "latest_pk", None) is None:
        return None
    fields = {name: getattr(trial, f"latest_{name}") for name in LATEST_CHANGE_FIELDS}
    return TrialChange(trial=trial, **fields)


def article_trials(article: Article, references=None) -> list[Trial]:
    """The cards of the trials the article cites that the registry has given, each with its
    latest change (`trial.latest_change`): one query."""
    ids = article_nct_ids(article, references)
    if not ids:
        return []
    found = with_latest_change(Trial.objects.filter(nct_id__in=ids, as_of__isnull=False))
    trials = {t.nct_id: t for t in found}
    for trial in trials.values():
        trial.latest_change = latest_change(trial)
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


def articles_citing(nct_id: str) -> list[Article]:
    """The public articles that cite the trial, in their body or their references, newest
    first (the text search narrows, the NCT pattern decides)."""
    candidates = (
        Article.objects.published()
        .filter(
            Q(body__contains=nct_id)
            | Q(references__identifier__contains=nct_id)
            | Q(references__url__contains=nct_id)
        )
        .distinct()
        .select_related("author")
        .prefetch_related("references")
        .order_by("-published_at", "pk")
    )
    return [article for article in candidates if nct_id in article_nct_ids(article)]
