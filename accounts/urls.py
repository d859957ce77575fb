from django.urls import path

from accounts import views

urlpatterns = [
    path("settings/", views.account_settings, name="account_settings"),
    path("settings/export/", views.account_export, name="account_export"),
    path("settings/delete/", views.account_delete_view, name="account_delete"),
]
