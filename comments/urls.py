from django.urls import path

from comments import views

urlpatterns = [
    path(
        "articles/<slug:slug>/comments/",
        views.CommentCreateView.as_view(),
        name="comment_create",
    ),
    path("comments/<int:pk>/", views.comment_permalink, name="comment_permalink"),
    path("comments/<int:pk>/reply/", views.comment_reply_form, name="comment_reply_form"),
    path("comments/<int:pk>/helpful/", views.comment_helpful, name="comment_helpful"),
    path("comments/<int:pk>/report/", views.comment_report, name="comment_report"),
    path("comments/<int:pk>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/remove/", views.comment_remove, name="comment_remove"),
    path("comments/<int:pk>/moderate/", views.comment_moderate_inline, name="comment_moderate"),
    path("comments/undo/<str:token>/", views.comment_undo, name="comment_undo"),
]
