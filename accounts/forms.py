from __future__ import annotations

from django import forms

from accounts.models import User


class SignupDetailsForm(forms.Form):
    """Extra fields on allauth's signup form."""

    display_name = forms.CharField(
        max_length=60,
        required=False,
        label="Display name",
        help_text="Optional. Shown beside your comments; you can change it later.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    def signup(self, request, user) -> None:
        user.display_name = self.cleaned_data.get("display_name", "").strip()
        user.save(update_fields=["display_name"])


class ProfileForm(forms.ModelForm):
    """What a reader shows beside their comments, which emails they receive; staff's time zone."""

    class Meta:
        model = User
        fields = (
            "display_name",
            "role",
            "expertise",
            "competing_interests",
            "notify_replies",
            "notify_article_comments",
            "time_zone",
            "notify_comment_approved",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown beside every comment: it can be changed, never emptied.
        self.fields["display_name"].required = True
        if not self.instance.is_staff:
            del self.fields["time_zone"]  # only the admin shows times in it


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.choices = list(choices)
        for choice in self.choices:
            self.fields[choice.name] = forms.BooleanField(
                label=choice.label,
                help_text=choice.help_text,
                initial=choice.initial,
                required=False,
            )

    def answers(self) -> dict[str, bool]:
        return {choice.name: self.cleaned_data[choice.name] for choice in self.choices}

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password. Nothing was deleted.")
        return password
