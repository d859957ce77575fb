from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from evidence.models import Finding, Trial, TrialChange


class TrialChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TrialChange
    fields = (
        "recorded_at", "kind", "old_status", "new_status", "registry_date", "editors_notified_at",
    )  # fmt: skip
    readonly_fields = fields
    extra = 0
    deletable = False


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Trials as the registry last gave them: read only, since only the registry changes them."""

    list_display = ("nct_id", "title", "overall_status", "as_of", "failures", "last_error")
    list_filter = ("overall_status",)
    search_fields = ("nct_id", "title", "sponsor")
    readonly_fields = (
        "nct_id", "title", "phases", "overall_status", "conditions", "interventions", "sponsor",
        "enrollment", "enrollment_actual", "locations", "last_update_posted",
        "results_first_posted", "as_of", "source", "checked_at", "failures", "next_attempt_at",
        "last_error",
    )  # fmt: skip
    inlines = (TrialChangeInline,)
    deletable = False


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every finding in the articles' references, site-wide: what to look at, newest first.
    Read only: an editor acts on the article (a correction, a review), not here."""

    list_display = ("found_at", "kind", "article", "target", "notice", "noticed_on")
    list_filter = ("kind",)
    list_select_related = ("article",)
    search_fields = ("target", "notice", "article__title")
    readonly_fields = ("article", "reference", "kind", "target", "notice", "noticed_on", "found_at")
    fields = readonly_fields
    deletable = False
