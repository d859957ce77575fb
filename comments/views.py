"""Comment views. Every one works as a plain form post; with htmx they answer with fragments."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from articles.views import ArticleDetailView
from comments import moderation, selectors, services
from comments.forms import CommentEditForm, CommentForm, CommentReportForm, ModerationForm
from comments.models import Comment, ModerationDecision
from comments.presentation import DONE, UNDO_SALT, decision_message, undo_url, viewer_context
from core.markup import render_user_markdown
from core.ratelimit import ip_digest

MAIN_FORM = "comment-form"


def _reply_form_id(parent_pk) -> str:
    return f"reply-form-{parent_pk}"


class CommentCreateView(ArticleDetailView):
    """POST a comment to an article. Errors re-render the form with the typed text kept."""

    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        return redirect(f"{self.get_object().get_absolute_url()}#discussion")

    def post(self, request, *args, **kwargs):
        self.object = article = self.get_object()
        if not request.user.is_authenticated:
            target = f"{article.get_absolute_url()}#discussion"
            return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
        raw_parent = request.POST.get("parent", "")
        self.form_id = _reply_form_id(raw_parent) if raw_parent.isdigit() else MAIN_FORM
        self.parent = None
        if raw_parent.isdigit():
            self.parent = Comment.objects.filter(pk=int(raw_parent), article=article).first()
        form = CommentForm(request.POST, user=request.user, auto_id=_auto_id(self.form_id))
        if not form.is_valid():
            return self.render_form(form, status=400)
        if form.is_spam_trap:
            messages.success(request, "Thank you for your comment.")
            return redirect(article)
        if "preview" in request.POST:
            return self.render_form(form, preview=render_user_markdown(form.cleaned_data["body"]))
        if raw_parent and self.parent is None:
            return self.render_form(
                form, error="That comment can no longer be replied to.", status=400
            )
        try:
            comment = services.comment_submit(
                article=article,
                author=request.user,
                body=form.cleaned_data["body"],
                parent=self.parent,
                ip_digest=ip_digest(request.META.get("REMOTE_ADDR", "")),
                profile=form.profile() if form.needs_profile else None,
            )
        except services.RateLimited as error:
            response = self.render_form(form, error=str(error), status=429)
            response["Retry-After"] = str(error.retry_after)
            return response
        except services.PostingForbidden as error:
            return self.render_form(form, error=str(error), status=403)
        except services.CommentError as error:
            return self.render_form(form, error=str(error), status=400)
        if comment.status == Comment.Status.APPROVED:
            done = "Your comment is published."
        else:
            done = (
                "Thank you. Your comment is waiting for a moderator and only you can see it "
                "until then."
            )
        if request.htmx:
            return self.render_posted(comment, done)
        level = messages.SUCCESS if comment.status == Comment.Status.APPROVED else messages.INFO
        # Marks the page as the one after a post (the comment-draft script forgets the draft).
        messages.add_message(request, level, done, extra_tags="comment-posted")
        return redirect(comment.get_absolute_url())

    def render_form(self, form, *, status: int = 200, error: str = "", preview: str = ""):
        if self.request.htmx:
            context = {
                **viewer_context(self.request, self.object),
                "form": form,
                "form_id": self.form_id,
                "reply_to": self.parent,
                "error": error,
                "preview": preview,
            }
            return render(self.request, "comments/_form.html", context, status=status)
        context = self.get_context_data(
            object=self.object, comment_form=form, comment_error=error, comment_preview=preview
        )
        return self.render_to_response(context, status=status)

    def render_posted(self, comment: Comment, done: str):
        """The new comment, appended where it belongs, and the form reset (or closed)."""
        comment = Comment.objects.select_related("author").get(pk=comment.pk)
        context = {
            **viewer_context(self.request, self.object),
            "node": selectors.Node(comment),
            "form_id": self.form_id,
            "done": done if self.parent else "",
            "success": "" if self.parent else done,
            "form": CommentForm(user=self.request.user),
        }
        return render(self.request, "comments/_posted.html", context)


def _auto_id(form_id: str) -> str:
    # Several forms share a page (the main one and inline replies): ids must stay unique.
    return "id_%s" if form_id == MAIN_FORM else f"id_{form_id}_%s"


@require_GET
def comment_reply_form(request, pk: int):
    """The reply form for one comment: a fragment for htmx, else the page's own form."""
    comment = get_object_or_404(
        Comment.objects.select_related("article", "author"), pk=pk, status=Comment.Status.APPROVED
    )
    if not comment.article.is_public:
        raise Http404("No comment here.")
    if not request.htmx:
        return redirect(f"{comment.article.get_absolute_url()}?reply={pk}#comment-form")
    form_id = _reply_form_id(pk)
    form = CommentForm(user=request.user, initial={"parent": pk}, auto_id=_auto_id(form_id))
    form.fields["body"].widget.attrs["autofocus"] = True
    context = {
        **viewer_context(request, comment.article),
        "form": form,
        "form_id": form_id,
        "reply_to": comment,
    }
    return render(request, "comments/_form.html", context)


@require_GET
def comment_permalink(request, pk: int):
    """A stable link to one comment: the right page of its article, scrolled to it."""
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    if not comment.article.is_public:
        raise Http404("No comment here.")
    if not Comment.objects.visible_to(request.user).filter(pk=pk).exists():
        # A mail about it may have gone out before a moderator hid it: say what happened.
        return render(request, "comments/hidden.html", {"comment": comment}, status=410)
    page = selectors.comment_page_number(comment=comment, user=request.user)
    query = f"?{urlencode({'page': page})}" if page > 1 else ""
    return redirect(f"{comment.article.get_absolute_url()}{query}#{comment.anchor}")


def _published_comment(request, pk: int) -> Comment:
    comment = get_object_or_404(
        Comment.objects.select_related("article", "author"), pk=pk, status=Comment.Status.APPROVED
    )
    if not comment.article.is_public:
        raise Http404("No comment here.")
    return comment


def _refuse(request, message: str, status: int):
    template = "comments/_refused.html" if request.htmx else "comments/refused.html"
    return render(request, template, {"message": message}, status=status)


def reader_action(what: str):
    """A verified reader's action on a published comment: loads the comment, or refuses."""

    def decorate(view):
        @wraps(view)
        @require_POST
        @login_required
        def wrapper(request, pk: int):
            comment = _published_comment(request, pk)
            allowed, _ = services.can_post(request.user)
            if not allowed:
                return _refuse(request, f"Confirm your email address to {what}.", 403)
            return view(request, comment)

        return wrapper

    return decorate


@reader_action("mark comments as helpful")
def comment_helpful(request, comment: Comment):
    """Mark or unmark a published comment as helpful (verified readers, once each)."""
    try:
        marked = services.comment_mark_helpful(comment=comment, user=request.user)
    except services.CommentError as error:
        return _refuse(request, str(error), 400)
    if request.htmx:
        comment.refresh_from_db(fields=["helpful_count"])
        context = {**viewer_context(request, comment.article), "comment": comment}
        return render(request, "comments/_helpful.html", {**context, "marked": marked})
    messages.success(request, "Marked as helpful." if marked else "Helpful mark removed.")
    return redirect(comment.get_absolute_url())


@reader_action("report comments")
def comment_report(request, comment: Comment):
    """Report a published comment to the moderators, with a reason."""
    form = CommentReportForm(request.POST)
    if not form.is_valid():
        return _refuse(request, form.errors["reason"][0], 400)
    try:
        services.comment_flag(
            comment=comment, user=request.user, reason=form.cleaned_data["reason"]
        )
    except services.CommentError as error:
        return _refuse(request, str(error), 400)
    if request.htmx:
        return render(request, "comments/_reported.html", {"comment": comment})
    comment.refresh_from_db(fields=["status"])
    if comment.status != Comment.Status.APPROVED:  # enough reports hid it: nothing to scroll to
        messages.success(
            request, "Thank you. The comment is hidden until a moderator has looked at it."
        )
        return redirect(comment.article.get_absolute_url() + "#comments")
    messages.success(request, "Thank you. The moderators will look at this comment.")
    return redirect(comment.get_absolute_url())  # back to the reader's place in the thread


@require_POST
@permission_required("comments.change_comment", raise_exception=True)
def comment_moderate_inline(request, pk: int):
    """A moderator's decision taken on the article page itself."""
    comment = get_object_or_404(Comment.objects.select_related("article", "author"), pk=pk)
    form = ModerationForm(request.POST, allow_ban=False)
    if not form.is_valid():
        return _refuse(request, form.first_error(), 400)
    action = form.cleaned_data["action"]
    try:
        decisions = moderation.comment_moderate(
            comments=[comment],
            moderator=request.user,
            action=action,
            reason=form.cleaned_data["reason_text"],
        )
    except services.CommentError as error:
        return _refuse(request, str(error), 400)
    if request.htmx:
        comment.refresh_from_db(fields=["status"])
        context = {
            **viewer_context(request, comment.article),
            "comment": comment,
            "undo_url": undo_url(decisions),
            "done": DONE[action],
        }
        return render(request, "comments/_moderated.html", context)
    decision_message(request, decisions, action)
    if action == "approve":
        return redirect(comment.get_absolute_url())
    return redirect(f"{comment.article.get_absolute_url()}#comments")


@permission_required("comments.change_comment", raise_exception=True)
def comment_undo(request, token: str):
    """Take back a moderator's recent decision: a page with a button, then the undo."""
    try:
        ids = signing.loads(token, salt=UNDO_SALT, max_age=settings.COMMENTS_UNDO_MINUTES * 60)
    except signing.BadSignature:
        return _refuse(
            request,
            f"This undo link has run out: a decision can be undone for "
            f"{settings.COMMENTS_UNDO_MINUTES} minutes. Decide again instead.",
            400,
        )
    decisions = list(
        ModerationDecision.objects.filter(pk__in=ids, moderator=request.user).select_related(
            "comment__article", "comment__author"
        )
    )
    if not decisions:
        raise Http404("No such decision.")
    if request.method == "POST":
        undone = moderation.comment_decisions_undo(decision_ids=ids, moderator=request.user)
        if undone:
            messages.success(request, f"Undone: {undone} comment(s) are back as they were.")
        else:
            messages.warning(request, "Nothing to undo: these comments were decided again since.")
        target = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        first = decisions[0].comment
        return redirect(f"{first.article.get_absolute_url()}#{first.anchor}")
    return render(
        request,
        "comments/undo.html",
        {"decisions": decisions, "next": request.GET.get("next", "")},
    )


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
