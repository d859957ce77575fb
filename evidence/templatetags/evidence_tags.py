from django import template

from evidence import selectors

register = template.Library()


@register.simple_tag
def article_trials(article):
    """The trial cards of an article: `{% article_trials article as trials %}`."""
    return selectors.article_trials(article, article.references.all())
