"""The one Markdown-to-safe-HTML pipeline, for editors' articles and readers' comments alike.

markdown-it-py parses with raw HTML off, so every tag in its output is one it made itself;
bleach then keeps only a short allow-list, as a second wall. Swapping bleach (end of life
since 6.4) for another cleaner touches this module only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import bleach
from django.conf import settings
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.token import Token

NCT_RE = re.compile(r"\bNCT\d{8}\b")
DOI_RE = re.compile(r"\b10\.\d{4,9}/[^\s<>\"']+[^\s<>\"'.,;:)\]]", re.IGNORECASE)
IDENTIFIER_RE = re.compile(f"{NCT_RE.pattern}|{DOI_RE.pattern}", re.IGNORECASE)

# Ids the article page uses itself; a heading with the same name gets a suffix.
RESERVED_IDS = frozenset(
    {"main", "contents", "faq", "references", "discussion", "comments", "newsletter", "related"}
)

PROTOCOLS = frozenset({"http", "https", "mailto"})
_INLINE_TAGS = {"a", "em", "strong", "code", "br", "del", "s"}
_BLOCK_TAGS = {"p", "ul", "ol", "li", "blockquote", "pre"}
ARTICLE_TAGS = frozenset(
    _INLINE_TAGS
    | _BLOCK_TAGS
    | {"h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub"}
)
COMMENT_TAGS = frozenset(_INLINE_TAGS | _BLOCK_TAGS)
ARTICLE_ATTRIBUTES = {"a": ["href", "title", "rel"], "h2": ["id"], "h3": ["id"], "h4": ["id"]}
COMMENT_ATTRIBUTES = {"a": ["href", "title", "rel"]}


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)
    words: int = 0

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.words / settings.READING_WORDS_PER_MINUTE))


def identifier_url(identifier: str) -> str | None:
    """The canonical link for a trial registry number or a DOI, or None for anything else."""
    identifier = identifier.strip()
    if NCT_RE.fullmatch(identifier.upper()):
        return f"https://clinicaltrials.gov/study/{identifier.upper()}"
    if DOI_RE.fullmatch(identifier):
        return f"https://doi.org/{identifier}"
    return None


def _link_identifiers(state) -> None:
    """Turn NCT numbers and DOIs in plain text into links (never inside links or code)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        link_depth = 0
        for token in block.children:
            if token.type == "link_open":
                link_depth += 1
            elif token.type == "link_close":
                link_depth -= 1
            if token.type != "text" or link_depth or not IDENTIFIER_RE.search(token.content):
                children.append(token)
                continue
            position = 0
            for match in IDENTIFIER_RE.finditer(token.content):
                if match.start() > position:
                    children.append(_text(token.content[position : match.start()]))
                link = Token("link_open", "a", 1)
                link.attrSet("href", identifier_url(match.group()) or "")
                children += [link, _text(match.group()), Token("link_close", "a", -1)]
                position = match.end()
            if position < len(token.content):
                children.append(_text(token.content[position:]))
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _heading_ids(state) -> None:
    """Give h2-h4 stable ids and collect the table of contents; an h1 becomes an h2."""
    seen: dict[str, int] = dict.fromkeys(RESERVED_IDS, 1)
    toc: list[dict] = []
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        if token.tag == "h1":
            token.tag = "h2"
        if token.tag in ("h5", "h6"):
            token.tag = "h4"
        if token.type == "heading_close":
            continue
        text = tokens[index + 1].content.strip()
        base = slugify(text)[:60] or "section"
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchor = base if count == 0 else f"{base}-{count + 1}"
        token.attrSet("id", anchor)
        if token.tag in ("h2", "h3"):
            toc.append({"level": int(token.tag[1]), "id": anchor, "text": text})
    state.env["toc"] = toc


def _link_rel(rel: str):
    def rule(state) -> None:
        for block in state.tokens:
            for token in block.children or ():
                if token.type == "link_open":
                    href = str(token.attrGet("href") or "")
                    if rel or not href.startswith(("/", "#", settings.SITE_URL)):
                        token.attrSet("rel", rel or "noopener")

    return rule


def _parser(*, headings: bool, rel: str) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "breaks": False})
    md.enable(["replacements", "smartquotes", "strikethrough"])
    if headings:
        md.enable("table")
        md.core.ruler.push("heading_ids", _heading_ids)
    else:
        md.disable(["heading", "lheading", "image", "hr"])
    md.core.ruler.push("link_identifiers", _link_identifiers)
    md.core.ruler.push("link_rel", _link_rel(rel))
    return md


_ARTICLE_MD = _parser(headings=True, rel="")
_SNIPPET_MD = _parser(headings=False, rel="")
_COMMENT_MD = _parser(headings=False, rel="nofollow ugc noopener")


def _clean(html: str, *, tags: frozenset[str], attributes: dict) -> str:
    return bleach.clean(html, tags=tags, attributes=attributes, protocols=PROTOCOLS, strip=True)


def render_article_markdown(source: str) -> Rendered:
    """Editors' Markdown: headings (with ids and a table of contents), tables, links."""
    env: dict = {}
    html = _ARTICLE_MD.render(source or "", env)
    return Rendered(
        html=_clean(html, tags=ARTICLE_TAGS, attributes=ARTICLE_ATTRIBUTES),
        toc=env.get("toc", []),
        words=len(re.findall(r"\w+", source or "")),
    )


def render_snippet_markdown(source: str) -> str:
    """Editors' short Markdown (FAQ answers): the readers' subset, with ordinary links."""
    html = _SNIPPET_MD.render(source or "")
    return _clean(html, tags=COMMENT_TAGS, attributes=COMMENT_ATTRIBUTES)


def render_user_markdown(source: str) -> str:
    """Readers' Markdown subset: emphasis, links, lists, quotes, code. Links are nofollow ugc."""
    html = _COMMENT_MD.render(source or "")
    return _clean(html, tags=COMMENT_TAGS, attributes=COMMENT_ATTRIBUTES)


def render_markdown_text(source: str) -> str:
    """Editors' Markdown as clean plain text, for the text part of a mail: headings as their
    own lines, emphasis without its marks, links as "text (url)", lists with dashes."""
    lines: list[str] = []
    prefixes: list[str] = []  # one per open list item or quote
    numbers: list[int | None] = []  # per open list: the next number, None for bullets
    first_line_prefix = ""
    cells: list[str] | None = None  # the table row being read
    for token in _ARTICLE_MD.parse(source or ""):
        if token.type == "tr_open":
            cells = []
        elif token.type == "tr_close" and cells is not None:
            lines.append("".join(prefixes) + " | ".join(cells))
            cells = None
        elif token.type == "table_close":
            lines.append("")
        elif token.type == "inline" and cells is not None:
            cells.append(_inline_text(token))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            numbers.append(int(token.attrGet("start") or 1) if token.tag == "ol" else None)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
            lines.append("")
        elif token.type == "list_item_open":
            marker = "- " if numbers[-1] is None else f"{numbers[-1]}. "
            if numbers[-1] is not None:
                numbers[-1] += 1
            first_line_prefix = "".join(prefixes) + marker
            prefixes.append(" " * len(marker))
        elif token.type == "blockquote_open":
            prefixes.append("> ")
        elif token.type in ("list_item_close", "blockquote_close"):
            prefixes.pop()
        elif token.type == "inline" or token.type in ("fence", "code_block"):
            text = _inline_text(token) if token.type == "inline" else token.content.rstrip("\n")
            for index, line in enumerate(text.split("\n")):
                lead = first_line_prefix if index == 0 and first_line_prefix else "".join(prefixes)
                lines.append(lead + line)
            first_line_prefix = ""
            if token.type != "inline" and not numbers:
                lines.append("")
        elif token.type in ("paragraph_close", "heading_close"):
            # Paragraphs inside a tight list are hidden: its items stay on consecutive lines.
            if not token.hidden:
                lines.append("")
        elif token.type == "hr":
            lines += ["----", ""]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _inline_text(block: Token) -> str:
    parts: list[str] = []
    hrefs: list[tuple[str, int]] = []
    for token in block.children or ():
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif token.type == "image":
            parts.append(token.content)
        elif token.type == "link_open":
            hrefs.append((str(token.attrGet("href") or ""), len(parts)))
        elif token.type == "link_close" and hrefs:
            href, start = hrefs.pop()
            label = "".join(parts[start:])
            if href and href not in (label, f"mailto:{label}"):
                if href.startswith("/"):
                    href = settings.SITE_URL + href  # a mail has no page to be relative to
                parts.append(f" ({href})")
    return "".join(parts)
