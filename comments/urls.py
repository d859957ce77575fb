from django.urls import path

from comments import views

urlpatterns = [
    path(
        "articles/<slug:slug>/comments/",
        views.CommentCreateView.as_view(),
        name="comment_create",
    ),
    path("comments/<int:pk>/", views.comment_permalink, name="comment_permalink"),
]
