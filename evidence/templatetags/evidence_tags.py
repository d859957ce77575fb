from django import template

from evidence import selectors

register = template.Library()


@register.simple_tag
def article_trials(article):
    """The trial cards of an article: `{% article_trials article as trials %}`."""
    return selectors.article_trials(article, article.references.all())


@register.simple_tag
def article_findings(article):
    """What the weekly checks found in an article's references, newest first (the admin's
    change form): `{% article_findings original as findings %}`."""
    from evidence.models import Finding

    return list(Finding.objects.filter(article=article)[:20]) if article else []
