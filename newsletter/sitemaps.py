from django.urls import reverse

from articles.sitemaps import CanonicalSitemap
from newsletter.models import Edition
from newsletter.selectors import editions_in_archive


class NewsletterSitemap(CanonicalSitemap):
    """The signup page, the archive and every edition in it."""

    changefreq = "weekly"
    priority = 0.4

    def items(self) -> list[str | Edition]:
        editions = editions_in_archive().only("pk")
        return ["newsletter_subscribe", "newsletter_archive", *editions]

    def location(self, item: str | Edition) -> str:
        if isinstance(item, Edition):
            return reverse("newsletter_archive_detail", args=[item.pk])
        return reverse(item)
