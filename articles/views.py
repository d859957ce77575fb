from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView, TemplateView

from articles import corrections, drafts, selectors, structured_data
from articles.models import Article, Contributor, Topic
from articles.review import may_decide, may_submit
from articles.review_dates import is_overdue


class PublicArticlesMixin:
    """Lists of public articles, paginated; a bad page number is a 404, not an error."""

    paginate_by = settings.ARTICLES_PER_PAGE
    context_object_name = "articles"

    def base_queryset(self):
        return Article.objects.published().for_listing()


class HomeView(PublicArticlesMixin, TemplateView):
    template_name = "articles/home.html"

    def get_context_data(self, **kwargs):
        latest = list(self.base_queryset()[:7])
        topics = list(selectors.topics_with_counts())
        return super().get_context_data(
            lead=latest[0] if latest else None,
            latest=latest[1:],
            topics=topics,
            topic_kinds=_group_by_kind(topics),
            **kwargs,
        )


class ArchiveView(PublicArticlesMixin, ListView):
    template_name = "articles/archive.html"

    def get_queryset(self):
        return self.base_queryset()


class TopicDetailView(PublicArticlesMixin, ListView):
    template_name = "articles/topic_detail.html"

    def get_queryset(self):
        self.topic = get_object_or_404(Topic, slug=self.kwargs["slug"])
        return self.base_queryset().filter(topics=self.topic)

    def get_context_data(self, **kwargs):
        return super().get_context_data(topic=self.topic, **kwargs)


class TopicListView(TemplateView):
    template_name = "articles/topic_list.html"

    def get_context_data(self, **kwargs):
        topics = list(selectors.topics_with_counts())
        return super().get_context_data(topic_kinds=_group_by_kind(topics), **kwargs)


class ArticleDetailView(DetailView):
    template_name = "articles/article_detail.html"
    context_object_name = "article"

    def get_queryset(self):
        return Article.objects.select_related(
            "author__contributor", "approval__by__contributor"
        ).prefetch_related("topics", "authors", "faqs", "references")

    def get_object(self, queryset=None):
        article = super().get_object(queryset)
        if article.is_public:
            return article
        # Staff preview drafts and scheduled articles; to everyone else they do not exist.
        if self.request.user.has_perm("articles.view_article"):
            self.preview = True
            return article
        raise Http404("No article here.")

    def get_context_data(self, **kwargs):
        article = self.object
        topics = list(article.topics.all())
        notes = corrections.article_notes(article)
        modified = corrections.article_modified(article, notes)
        return super().get_context_data(
            topics=topics,
            related=selectors.related_articles(article=article),
            contributors=article.contributors,
            medical_review=selectors.article_medical_review(article),
            review_overdue=article.is_public and is_overdue(article),
            preview=getattr(self, "preview", False),
            changes=notes,
            modified=modified,
            jsonld=structured_data.article_graph(article=article, topics=topics, modified=modified),
            **kwargs,
        )


class ArticlePreviewView(ArticleDetailView):
    """The article page with its unpublished changes, for staff who may change articles or
    review them; to anyone else it does not exist. Never indexed, never kept by a cache; nothing is saved."""

    def get_object(self, queryset=None):
        user = self.request.user
        if not (user.is_staff and (may_submit(user) or may_decide(user))):
            raise Http404("No article here.")
        article = DetailView.get_object(self, queryset)
        self.draft = drafts.article_draft(article)
        return drafts.draft_article(article, self.draft) if self.draft else article

    def get_context_data(self, **kwargs):
        return super().get_context_data(draft_preview=True, draft=self.draft, **kwargs)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["X-Robots-Tag"] = "noindex"
        response["Cache-Control"] = "private, no-store"
        return response


class ContributorListView(ListView):
    template_name = "articles/contributor_list.html"
    context_object_name = "contributors"
    queryset = Contributor.objects.order_by("name", "pk")


class ContributorDetailView(DetailView):
    """A contributor's profile with the public articles they wrote and reviewed; a contributor
    with neither still has a page."""

    template_name = "articles/contributor_detail.html"
    context_object_name = "contributor"
    model = Contributor

    def get_context_data(self, **kwargs):
        contributor, limit = self.object, selectors.CONTRIBUTOR_PAGE_ARTICLES
        written = list(selectors.contributor_articles(contributor=contributor)[: limit + 1])
        reviewed = list(selectors.contributor_reviews(contributor=contributor)[: limit + 1])
        return super().get_context_data(
            written=written[:limit],
            written_more=len(written) > limit,
            reviewed=reviewed[:limit],
            reviewed_more=len(reviewed) > limit,
            limit=limit,
            jsonld=structured_data.contributor_graph(contributor=contributor),
            **kwargs,
        )


class CorrectionsView(ListView):
    """Every public update and correction, newest first."""

    template_name = "articles/corrections.html"
    context_object_name = "changes"
    paginate_by = settings.ARTICLES_PER_PAGE

    def get_queryset(self):
        return corrections.notes_for_listing()


class SearchView(PublicArticlesMixin, ListView):
    template_name = "articles/search.html"

    def get_queryset(self):
        self.query = selectors.clean_query(self.request.GET.get("q"))
        return selectors.article_search(query=self.query)

    def get_context_data(self, **kwargs):
        raw = self.request.GET.get("q") or ""
        context = super().get_context_data(
            query=self.query,
            query_truncated=len(raw) > settings.SEARCH_MAX_QUERY_LENGTH,
            **kwargs,
        )
        for item in context["articles"]:
            item.snippet = selectors.search_snippet(article=item, query=self.query)
        return context


def _group_by_kind(topics: list[Topic]) -> list[tuple[str, list[Topic]]]:
    labels = dict(Topic.Kind.choices)
    groups: dict[str, list[Topic]] = {}
    for topic in topics:
        groups.setdefault(topic.kind, []).append(topic)
    return [(labels[kind], groups[kind]) for kind in labels if kind in groups]
