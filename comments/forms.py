from __future__ import annotations

from django import forms
from django.conf import settings

from accounts.models import User
from comments.models import CommentFlag, ModerationDecision
from comments.moderation import moderation_reason
from comments.services import CommentError

EMPTY = {"required": "Your comment is empty. Write something first."}


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment",
        error_messages=EMPTY,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="You can use *emphasis*, **bold**, [links](https://…), lists, > quotes and `code`.",
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # A honeypot: people never see or fill it; many bots do.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # Asked once, on a reader's first comment, and shown beside every comment after.
    display_name = forms.CharField(label="Display name", max_length=60, required=False)
    role = forms.ChoiceField(
        label="I am a…", choices=[("", "Choose one"), *User.Role.choices], required=False
    )
    expertise = forms.CharField(
        label="Expertise or experience", max_length=120, required=False,
        help_text="Optional, e.g. “oncology nurse” or “caring for my mother since 2025”.",
    )  # fmt: skip
    competing_interests = forms.CharField(
        label="Competing interests", max_length=200, required=False,
        help_text="If you work for or receive money from a company in this field, say so here.",
    )  # fmt: skip

    PROFILE_FIELDS = ("display_name", "role", "expertise", "competing_interests")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].min_length = settings.COMMENTS_MIN_LENGTH
        self.fields["body"].max_length = settings.COMMENTS_MAX_LENGTH
        self.fields["body"].validators = []
        self.fields["body"].widget.attrs["maxlength"] = settings.COMMENTS_MAX_LENGTH
        self.needs_profile = bool(
            user and user.is_authenticated and not (user.role and user.display_name)
        )
        if self.needs_profile:
            self.fields["display_name"].required = self.fields["role"].required = True
            for name in self.PROFILE_FIELDS:
                self.initial.setdefault(name, getattr(user, name))
        else:
            for name in self.PROFILE_FIELDS:
                del self.fields[name]

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\x00", "").strip()
        if len(body) < settings.COMMENTS_MIN_LENGTH:
            raise forms.ValidationError(EMPTY["required"])
        if len(body) > settings.COMMENTS_MAX_LENGTH:
            raise forms.ValidationError(
                f"Comments can be up to {settings.COMMENTS_MAX_LENGTH:,} characters; "
                f"yours has {len(body):,}. Please shorten it."
            )
        return body

    @property
    def is_spam_trap(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def profile(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name] for name in self.PROFILE_FIELDS if name in self.fields
        }


class CommentEditForm(forms.Form):
    body = forms.CharField(
        label="Your comment", widget=forms.Textarea(attrs={"rows": 8}), error_messages=EMPTY
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["maxlength"] = settings.COMMENTS_MAX_LENGTH

    clean_body = CommentForm.clean_body


class CommentReportForm(forms.Form):
    """A reader's report: the reason is theirs to choose, never preselected."""

    CHOOSE = ("", "Choose a reason")

    reason = forms.ChoiceField(
        label="Why should moderators look at this?",
        choices=[CHOOSE, *CommentFlag.Reason.choices],
        error_messages={
            "required": "Choose a reason for your report.",
            "invalid_choice": "Choose one of the reasons offered for your report.",
        },
    )


class ModerationForm(forms.Form):
    """A moderator's decision: approving needs nothing more; hiding needs a reason, picked
    from a short list or written out (or both)."""

    Action = ModerationDecision.Action
    HIDING = (Action.REJECT, Action.SPAM, Action.BAN)

    action = forms.ChoiceField(
        choices=[
            (Action.APPROVE, "Approve"),
            (Action.REJECT, "Reject"),
            (Action.SPAM, "Spam"),
            (Action.BAN, "Spam and ban the author"),
        ],
        error_messages={"required": "Choose approve, reject, spam or ban."},
    )
    reason = forms.ChoiceField(
        label="Reason (to reject, mark as spam or ban)",
        required=False,
        choices=[("", "Choose a reason"), *ModerationDecision.Reason.choices],
    )
    note = forms.CharField(label="In your own words (optional)", required=False, max_length=200)

    def __init__(self, *args, allow_ban: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_ban:
            self.fields["action"].choices = self.fields["action"].choices[:3]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["reason_text"] = moderation_reason(
                choice=data.get("reason", ""), note=data.get("note", "")
            )
        except CommentError as error:
            raise forms.ValidationError(str(error)) from error
        if data["action"] in self.HIDING and not data["reason_text"]:
            raise forms.ValidationError(
                "Give a reason to reject, mark as spam or ban: pick one, or describe it."
            )
        return data

    def first_error(self) -> str:
        return next(iter(error for errors in self.errors.values() for error in errors))
