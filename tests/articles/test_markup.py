from core.markup import identifier_url, render_article_markdown, render_user_markdown


def test_headings_get_ids_and_build_the_table_of_contents():
    rendered = render_article_markdown(
        "# Top\n\n## Why it matters\n\n### Details\n\n## Why it matters"
    )
    assert '<h2 id="top">Top</h2>' in rendered.html  # an h1 in the body becomes an h2
    assert '<h3 id="details">' in rendered.html
    assert [entry["id"] for entry in rendered.toc] == [
        "top",
        "why-it-matters",
        "details",
        "why-it-matters-2",
    ]
    assert rendered.toc[2]["level"] == 3


def test_heading_named_like_a_page_section_gets_its_own_id():
    rendered = render_article_markdown("## References")
    assert 'id="references-2"' in rendered.html


def test_trial_numbers_and_dois_become_links_but_not_inside_code_or_links():
    rendered = render_article_markdown(
        "See NCT02912949 and doi 10.1056/NEJMoa2005653. "
        "Not `NCT12345678`, nor [the trial NCT00000001](https://example.org/x)."
    )
    assert '<a href="https://clinicaltrials.gov/study/NCT02912949" rel="noopener">' in rendered.html
    assert 'href="https://doi.org/10.1056/NEJMoa2005653"' in rendered.html
    assert "<code>NCT12345678</code>" in rendered.html
    assert "clinicaltrials.gov/study/NCT00000001" not in rendered.html


def test_raw_html_and_script_urls_never_survive():
    html = render_article_markdown(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))"
    ).html
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, not run


def test_reading_time_counts_words():
    assert render_article_markdown("word " * 10).reading_minutes == 1
    assert render_article_markdown("word " * 1000).reading_minutes == 5


def test_reader_markdown_is_a_small_subset_with_nofollow_links():
    html = render_user_markdown("## Heading\n\n*yes* [link](https://example.org) ![img](x.png)")
    assert "<h2" not in html
    assert "<img" not in html
    assert '<a href="https://example.org" rel="nofollow ugc noopener">link</a>' in html
    assert "<em>yes</em>" in html


def test_identifier_urls():
    assert identifier_url("nct02912949") == "https://clinicaltrials.gov/study/NCT02912949"
    assert identifier_url("10.1000/xyz123") == "https://doi.org/10.1000/xyz123"
    assert identifier_url("not an id") is None
