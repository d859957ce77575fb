from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts.forms import ProfileForm


def admin_login_redirect(request):
    """The admin's login form has no rate limit; send staff through allauth's instead."""
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
