from __future__ import annotations

from django import forms

from articles.models import Topic
from newsletter.interests import InterestError, Pair, pair_check
from newsletter.models import Subscriber


class PreferencesForm(forms.Form):
    frequency = forms.ChoiceField(
        label="How often", choices=Subscriber.Frequency.choices, widget=forms.RadioSelect
    )
    topics = forms.ModelMultipleChoiceField(
        label="Topics",
        queryset=Topic.objects.order_by("kind", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Choose none to hear about every topic, unless you add alerts for a biomarker in "
            "a cancer type: then you hear about those alone."
        ),
    )


class InterestForm(forms.Form):
    """One combination: a biomarker in a cancer type, either of them "any", not both."""

    prefix = "interest"
    biomarker = forms.ModelChoiceField(
        label="Biomarker",
        queryset=Topic.objects.filter(kind=Topic.Kind.BIOMARKER).order_by("name"),
        required=False,
        empty_label="Any biomarker",
    )
    cancer_type = forms.ModelChoiceField(
        label="Cancer type",
        queryset=Topic.objects.filter(kind=Topic.Kind.CANCER_TYPE).order_by("name"),
        required=False,
        empty_label="Any cancer type",
    )

    def pair(self) -> Pair:
        return self.cleaned_data["biomarker"], self.cleaned_data["cancer_type"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                pair_check(cleaned["biomarker"], cleaned["cancer_type"])
            except InterestError as error:
                raise forms.ValidationError(str(error)) from error
        return cleaned


class SignupForm(PreferencesForm):
    email = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.org"}),
    )
    source = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    # The page the form was on, to lead the reader back there (checked by views.return_path).
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=300)
    # A honeypot: people never see or fill it; many bots do.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    field_order = ["email", "frequency", "topics"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("frequency", Subscriber.Frequency.WEEKLY)
        super().__init__(*args, **kwargs)


class TrialFollowForm(forms.Form):
    """Follow a trial by email (the card's form for readers who are not signed in)."""

    email = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.org"}),
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=300)
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
