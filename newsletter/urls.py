from django.urls import path

from newsletter import views

urlpatterns = [
    path("newsletter/", views.subscribe, name="newsletter_subscribe"),
    path("newsletter/archive/", views.archive, name="newsletter_archive"),
    path("newsletter/archive/<int:pk>/", views.archive_detail, name="newsletter_archive_detail"),
    path("newsletter/account/", views.account_subscription, name="newsletter_account"),
    path("newsletter/check-your-inbox/", views.check_inbox, name="newsletter_check_inbox"),
    path("newsletter/confirm/<str:token>/", views.confirm, name="newsletter_confirm"),
    path("newsletter/preferences/<str:token>/", views.preferences, name="newsletter_preferences"),
    path("newsletter/unsubscribe/<str:token>/", views.unsubscribe, name="newsletter_unsubscribe"),
]
