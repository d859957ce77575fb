from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


def admin_login_redirect(request):
    """The admin's login form has no rate limit; send staff through allauth's instead."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
