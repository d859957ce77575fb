from accounts.personal_data import register_deleter, register_exporter
from comments.models import Comment, CommentFlag, HelpfulMark
from comments.services import comment_ban_keep, reactions_withdraw


@register_exporter
def export_comments(user) -> dict:
    return {
        "comments": [
            {
                "id": comment.pk,
                "article": comment.article.title,
                "url": comment.get_absolute_url(),
                "reply_to": comment.in_reply_to_id,
                "status": comment.status,
                "created_at": comment.created_at.isoformat(),
                "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
                "body": comment.body,
            }
            for comment in Comment.objects.filter(author=user).select_related("article")
        ],
        "helpful_marks": list(
            HelpfulMark.objects.filter(user=user).values_list("comment_id", flat=True)
        ),
        "reports": [
            {"comment": flag.comment_id, "reason": flag.reason, "at": flag.created_at.isoformat()}
            for flag in CommentFlag.objects.filter(user=user)
        ],
    }


@register_deleter
def delete_reactions(user, choices) -> None:
    reactions_withdraw(user=user)
    comment_ban_keep(user=user)
