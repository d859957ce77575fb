from django.contrib import admin

from newsletter.models import Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "status", "frequency", "consent_at", "consent_source", "created_at")
    list_filter = ("status", "frequency", "consent_source", "topics")
    search_fields = ("email",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "email", "status", "user", "consent_at", "consent_source", "consent_topics",
        "created_at", "requested_at", "unsubscribed_at",
    )  # fmt: skip
    fields = (*readonly_fields, "frequency", "topics")

    def has_add_permission(self, request) -> bool:
        return False  # people subscribe themselves, with double opt-in
