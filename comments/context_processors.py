from django.utils.functional import SimpleLazyObject

from comments.models import Comment


def moderation(request) -> dict:
    """The size of the moderation queue (waiting or reported comments), for moderators only,
    counted only if shown."""
    user = getattr(request, "user", None)

    def queue() -> int:
        if user is None or not user.is_authenticated or not user.is_staff:
            return 0
        if not user.has_perm("comments.change_comment"):
            return 0
        return Comment.objects.needing_moderation().count()

    return {"moderation_queue": SimpleLazyObject(queue)}
