from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.services import profile_update
from articles.markup import render_user_markdown
from articles.views import ArticleDetailView
from comments import selectors, services
from comments.forms import CommentEditForm, CommentForm
from comments.models import Comment, CommentFlag


class CommentCreateView(ArticleDetailView):
    """POST a comment to an article. Errors re-render the article page with the typed text."""

    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        return redirect(f"{self.get_object().get_absolute_url()}#discussion")

    def post(self, request, *args, **kwargs):
        self.object = article = self.get_object()
        allowed, why = services.can_post(request.user)
        if why == "sign_in":
            target = f"{article.get_absolute_url()}#discussion"
            return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
        form = CommentForm(request.POST, user=request.user)
        if not allowed:
            return self.render_form(form, status=403)
        if not form.is_valid():
            return self.render_form(form, status=400)
        if form.is_spam_trap:
            messages.success(request, "Thank you for your comment.")
            return redirect(article)
        if "preview" in request.POST:
            return self.render_form(form, preview=render_user_markdown(form.cleaned_data["body"]))
        parent = None
        if form.cleaned_data.get("parent"):
            parent = Comment.objects.filter(pk=form.cleaned_data["parent"], article=article).first()
            if parent is None:
                return self.render_form(
                    form, error="That comment can no longer be replied to.", status=400
                )
        try:
            digest = services.ip_hash(request.META.get("REMOTE_ADDR", ""))
            services.comment_rate_check(user_id=request.user.pk, ip_digest=digest)
            with transaction.atomic():
                if form.needs_profile:
                    profile_update(user=request.user, **form.profile())
                comment = services.comment_post(
                    article=article,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    parent=parent,
                    ip_digest=digest,
                )
        except services.RateLimited as error:
            return self.render_form(form, error=str(error), status=429)
        except services.CommentError as error:
            return self.render_form(form, error=str(error), status=400)
        if comment.status == Comment.Status.APPROVED:
            messages.success(request, "Your comment is published.")
        else:
            messages.info(
                request,
                "Thank you. Your comment is waiting for a moderator and only you can see it "
                "until then.",
            )
        return redirect(comment.get_absolute_url())

    def render_form(self, form, *, status: int = 200, error: str = "", preview: str = ""):
        context = self.get_context_data(
            object=self.object, comment_form=form, comment_error=error, comment_preview=preview
        )
        return self.render_to_response(context, status=status)


@require_GET
def comment_permalink(request, pk: int):
    """A stable link to one comment: the right page of its article, scrolled to it."""
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    if not comment.article.is_public or not (
        Comment.objects.visible_to(request.user).filter(pk=pk).exists()
    ):
        raise Http404("No comment here.")
    page = selectors.comment_page_number(comment=comment, user=request.user)
    query = f"?{urlencode({'page': page})}" if page > 1 else ""
    return redirect(f"{comment.article.get_absolute_url()}{query}#{comment.anchor}")


def _published_comment(request, pk: int) -> Comment:
    comment = get_object_or_404(
        Comment.objects.select_related("article"), pk=pk, status=Comment.Status.APPROVED
    )
    if not comment.article.is_public:
        raise Http404("No comment here.")
    return comment


def _refuse(request, message: str, status: int):
    return render(request, "comments/refused.html", {"message": message}, status=status)


@require_POST
@login_required
def comment_helpful(request, pk: int):
    """Mark or unmark a published comment as helpful (verified readers, once each)."""
    comment = _published_comment(request, pk)
    allowed, _ = services.can_post(request.user)
    if not allowed:
        return _refuse(request, "Confirm your email address to mark comments as helpful.", 403)
    try:
        marked = services.comment_mark_helpful(comment=comment, user=request.user)
    except services.CommentError as error:
        return _refuse(request, str(error), 400)
    messages.success(request, "Marked as helpful." if marked else "Helpful mark removed.")
    return redirect(comment.get_absolute_url())


@require_POST
@login_required
def comment_report(request, pk: int):
    """Report a published comment to the moderators, with a reason."""
    comment = _published_comment(request, pk)
    allowed, _ = services.can_post(request.user)
    if not allowed:
        return _refuse(request, "Confirm your email address to report comments.", 403)
    reason = request.POST.get("reason", "")
    if reason not in CommentFlag.Reason.values:
        return _refuse(request, "Choose a reason for your report.", 400)
    try:
        services.comment_flag(comment=comment, user=request.user, reason=reason)
    except services.CommentError as error:
        return _refuse(request, str(error), 400)
    messages.success(request, "Thank you. The moderators will look at this comment.")
    return redirect(comment.article.get_absolute_url() + "#comments")


@require_POST
@permission_required("comments.change_comment", raise_exception=True)
def comment_moderate_inline(request, pk: int):
    """A moderator's decision taken on the article page itself."""
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    action = request.POST.get("action", "")
    labels = {"approve": "published", "reject": "rejected", "spam": "marked as spam"}
    if action not in labels:
        return _refuse(request, "Choose approve, reject or spam.", 400)
    services.comment_moderate(
        comments=[comment],
        moderator=request.user,
        action=action,
        reason=request.POST.get("reason", "")[:300] or "on the article page",
    )
    messages.success(request, f"Comment {labels[action]}.")
    if action == "approve":
        return redirect(comment.get_absolute_url())
    return redirect(f"{comment.article.get_absolute_url()}#comments")


@login_required
def comment_edit(request, pk: int):
    """The author's edit form (works without JavaScript)."""
    comment = get_object_or_404(
        Comment.objects.select_related("article"), pk=pk, author=request.user
    )
    form = CommentEditForm(request.POST or None, initial={"body": comment.body})
    error, status = "", 200
    if not comment.is_editable:
        error, status = (
            f"This comment can no longer be edited: comments can be changed for "
            f"{settings.COMMENTS_EDIT_MINUTES} minutes after posting.",
            400 if request.method == "POST" else 200,
        )
    elif request.method == "POST":
        if form.is_valid():
            try:
                services.comment_edit(
                    comment=comment, user=request.user, body=form.cleaned_data["body"]
                )
            except services.CommentError as failure:
                error, status = str(failure), 400
            else:
                messages.success(request, "Your comment is updated.")
                return redirect(comment.get_absolute_url())
        else:
            status = 400
    return render(
        request,
        "comments/edit.html",
        {"comment": comment, "form": form, "error": error},
        status=status,
    )


@require_POST
@login_required
def comment_remove(request, pk: int):
    comment = get_object_or_404(
        Comment.objects.select_related("article"), pk=pk, author=request.user
    )
    services.comment_remove(comment=comment, user=request.user)
    messages.success(request, "Your comment is removed. Replies to it stay in place.")
    return redirect(f"{comment.article.get_absolute_url()}#comments")
