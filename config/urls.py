from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import TemplateView

from accounts.views import admin_login_redirect
from articles.sitemaps import sitemaps
from core import outbox
from newsletter.sitemaps import NewsletterSitemap

admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = "Publishing and moderation"
admin.site.site_url = "/"

handler429 = "core.ratelimit.rate_limited"  # allauth's hook for its rate limits' answer

urlpatterns = [
    # Staff sign in through allauth's rate-limited login, never the admin's own form.
    path("admin/login/", admin_login_redirect, name="admin_login_redirect"),
    path("admin/outbox/", outbox.outbox, name="outbox"),
    path("admin/outbox/<str:name>/", outbox.outbox_message, name="outbox_message"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    # Mail providers' bounce and complaint webhooks (README, "Sending at scale").
    path("anymail/", include("core.webhooks")),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": {**sitemaps, "newsletter": NewsletterSitemap}},
        name="sitemap",
    ),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("", include("comments.urls")),
    path("", include("newsletter.urls")),
    path("", include("articles.urls")),
]
