from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts.forms import AccountDeleteForm, ProfileForm
from accounts.personal_data import account_delete, deletion_choices, personal_data_export


def admin_login_redirect(request):
    """The admin's login form has no rate limit; send staff through allauth's instead."""
    if request.user.is_authenticated:
        # A signed-in reader without staff rights: the site login would send them back here.
        raise PermissionDenied(
            "The administration is for the site’s editors and moderators; your account is a "
            "reader’s account."
        )
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


@login_required
def account_settings(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your settings are saved.")
            return redirect("account_settings")
        return render(request, "account/settings.html", {"form": form}, status=400)
    return render(request, "account/settings.html", {"form": form})


@login_required
def account_export(request):
    """Everything we hold about the signed-in reader, as a JSON download."""
    data = personal_data_export(user=request.user)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="driverline-my-data.json"'
    return response


@login_required
def account_delete_view(request):
    """Delete the account after the password is typed again."""
    choices = deletion_choices(user=request.user)
    form = AccountDeleteForm(request.POST or None, user=request.user, choices=choices)
    if request.method == "POST":
        if form.is_valid():
            account_delete(user=request.user, choices=form.answers())
            logout(request)
            messages.success(request, "Your account is deleted. Your comments remain, anonymised.")
            return redirect("home")
        return render(request, "account/delete.html", {"form": form}, status=400)
    return render(request, "account/delete.html", {"form": form})
