"""Changed words marked: an old and a new text side by side, <del> in the old and <ins> in the new.

Lines are matched first, so a long body costs little, then the words inside each changed run
of lines. Every piece of text is escaped here; the only markup in the result is our own.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Words, runs of white space, and each other character on its own (punctuation, symbols).
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class SideBySide:
    old: SafeString
    new: SafeString


def diff_words(old: str, new: str) -> SideBySide:
    """Both texts as HTML, the words only in `old` in <del>, those only in `new` in <ins>."""
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    left: list[str] = []
    right: list[str] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left += [escape(line) for line in old_lines[i1:i2]]
            right += [escape(line) for line in new_lines[j1:j2]]
        else:
            removed, added = _diff_tokens("\n".join(old_lines[i1:i2]), "\n".join(new_lines[j1:j2]))
            if i2 > i1:
                left.append(removed)
            if j2 > j1:
                right.append(added)
    return SideBySide(old=_lines_html(left), new=_lines_html(right))


def _diff_tokens(old: str, new: str) -> tuple[str, str]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    segments: list[list] = []  # [changed, old text, new text]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        segments.append([tag != "equal", "".join(a[i1:i2]), "".join(b[j1:j2])])
    # White space alone between two changes joins them: "<del>many tumour</del>", not two marks.
    for index in range(1, len(segments) - 1):
        segment = segments[index]
        if not segment[0] and segment[1].isspace():
            segment[0] = segments[index - 1][0] and segments[index + 1][0]
    merged: list[list] = []
    for segment in segments:
        if merged and merged[-1][0] and segment[0]:
            merged[-1][1] += segment[1]
            merged[-1][2] += segment[2]
        else:
            merged.append(segment)
    left, right = [], []
    for changed, old_text, new_text in merged:
        if not changed:
            left.append(escape(old_text))
            right.append(escape(new_text))
            continue
        if old_text:
            left.append(f"<del>{escape(old_text)}</del>")
        if new_text:
            right.append(f"<ins>{escape(new_text)}</ins>")
    return "".join(left), "".join(right)


def _lines_html(lines: list[str]) -> SafeString:
    # Each piece was escaped above; line breaks (inside marks too) become <br>.
    return mark_safe("<br>".join(lines).replace("\n", "<br>"))  # noqa: S308


class _TextParser(HTMLParser):
    BLOCKS = frozenset(
        {"p", "h2", "h3", "h4", "li", "blockquote", "pre", "tr", "table", "ul", "ol", "hr", "br"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("br", "hr"):
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text a reader sees in rendered HTML: one line per paragraph, heading or item."""
    parser = _TextParser()
    parser.feed(html or "")
    parser.close()
    text = re.sub(r"[ \t]*\n\s*", "\n", "".join(parser.parts))
    return re.sub(r"[ \t]+", " ", text).strip()
