from django.urls import path

from newsletter import trial_views, views

urlpatterns = [
    path("newsletter/", views.subscribe, name="newsletter_subscribe"),
    path("newsletter/archive/", views.archive, name="newsletter_archive"),
    path("newsletter/archive/<int:pk>/", views.archive_detail, name="newsletter_archive_detail"),
    path("newsletter/account/", views.account_subscription, name="newsletter_account"),
    path("newsletter/check-your-inbox/", views.check_inbox, name="newsletter_check_inbox"),
    path("newsletter/confirm/<str:token>/", views.confirm, name="newsletter_confirm"),
    path("newsletter/preferences/<str:token>/", views.preferences, name="newsletter_preferences"),
    path("newsletter/unsubscribe/<str:token>/", views.unsubscribe, name="newsletter_unsubscribe"),
    path("newsletter/trials/<str:nct_id>/follow/", trial_views.trial_follow, name="trial_follow"),
    path(
        "newsletter/trials/<str:nct_id>/unfollow/",
        trial_views.trial_unfollow,
        name="trial_unfollow",
    ),
    path(
        "newsletter/trials/check-your-inbox/",
        trial_views.trial_follow_check_inbox,
        name="trial_follow_check_inbox",
    ),
    path(
        "newsletter/trials/confirm/<str:token>/",
        trial_views.trial_follow_confirm,
        name="trial_follow_confirm",
    ),
    path(
        "newsletter/trials/unfollow/<str:token>/",
        trial_views.trial_unfollow_link,
        name="trial_unfollow_link",
    ),
]
