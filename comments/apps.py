from django.apps import AppConfig


class CommentsConfig(AppConfig):
    """Threaded, moderated discussion."""

    name = "comments"

    def ready(self) -> None:
        from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
        from django.db.models.functions import Coalesce

        from articles.models import register_listing_annotation
        from comments import personal_data  # noqa: F401  (registers the exporter)
        from comments.models import Comment

        @register_listing_annotation
        def comment_count(articles):
            # A subquery in the listing query itself: no query per article, and no join with
            # the comments, which would multiply each article's row (and everything computed
            # on it, such as a search rank) by its comments before a GROUP BY.
            approved = (
                Comment.objects.filter(article=OuterRef("pk"), status=Comment.Status.APPROVED)
                .order_by()
                .values("article")
                .annotate(count=Count("pk"))
                .values("count")
            )
            return articles.annotate(
                comment_count=Coalesce(Subquery(approved), Value(0), output_field=IntegerField())
            )
