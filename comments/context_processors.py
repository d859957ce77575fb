from django.utils.functional import SimpleLazyObject

from comments.models import Comment, is_moderator


def moderation(request) -> dict:
    """The size of the moderation queue (waiting or reported comments), for moderators only,
    counted only if shown."""
    user = getattr(request, "user", None)

    def queue() -> int:
        if not is_moderator(user):
            return 0
        return Comment.objects.needing_moderation().count()

    return {"moderation_queue": SimpleLazyObject(queue)}
