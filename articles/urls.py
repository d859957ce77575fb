from django.urls import path

from articles import feeds, views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("articles/", views.ArchiveView.as_view(), name="archive"),
    path("articles/<slug:slug>/", views.ArticleDetailView.as_view(), name="article_detail"),
    path(
        "articles/<slug:slug>/preview/", views.ArticlePreviewView.as_view(), name="article_preview"
    ),
    path("contributors/", views.ContributorListView.as_view(), name="contributor_list"),
    path(
        "contributors/<slug:slug>/",
        views.ContributorDetailView.as_view(),
        name="contributor_detail",
    ),
    path("topics/", views.TopicListView.as_view(), name="topic_list"),
    path("topics/<slug:slug>/", views.TopicDetailView.as_view(), name="topic_detail"),
    path("topics/<slug:slug>/feed/rss/", feeds.TopicRssFeed(), name="topic_feed_rss"),
    path("topics/<slug:slug>/feed/atom/", feeds.TopicAtomFeed(), name="topic_feed_atom"),
    path("corrections/", views.CorrectionsView.as_view(), name="corrections"),
    path("corrections/feed/", feeds.CorrectionsFeed(), name="corrections_feed"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("feed/rss/", feeds.LatestArticlesFeed(), name="feed_rss"),
    path("feed/atom/", feeds.LatestArticlesAtomFeed(), name="feed_atom"),
]
