"""Markdown for comments: the descriptions' safe subset, plus clickable bare links.

Comments come from anyone with the link, so their links carry rel="nofollow ugc noopener"
(search engines give spam no credit for them), and a bare https://... address becomes a
link as people expect from chat and mail. No dependency is added for that: a small rule
after markdown-it's inline parsing turns addresses in plain text into links; text inside
links and code is left alone.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from bitpoll.polls.models import ALLOWED_TAGS

# An address ends before trailing punctuation, so "see https://example.org." links the site.
_URL = re.compile(r"https?://[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}*_]", re.IGNORECASE)


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _link_bare_urls(state: StateCore) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        out: list[Token] = []
        depth = 0
        for token in block.children:
            depth += token.type == "link_open"
            depth -= token.type == "link_close"
            if token.type != "text" or depth or not _URL.search(token.content):
                out.append(token)
                continue
            position = 0
            for match in _URL.finditer(token.content):
                if match.start() > position:
                    out.append(_text(token.content[position : match.start()]))
                opening = Token("link_open", "a", 1)
                opening.attrs = {"href": match.group()}
                out += [opening, _text(match.group()), Token("link_close", "a", -1)]
                position = match.end()
            if position < len(token.content):
                out.append(_text(token.content[position:]))
        block.children = out


# Line breaks as typed: a comment is written like a message, not like a document.
_MARKDOWN = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False, "breaks": True}
)
_MARKDOWN.disable("image")
_MARKDOWN.core.ruler.push("bare_links", _link_bare_urls)


def render_comment(text: str) -> str:
    """A comment's Markdown as sanitised HTML: no images, no raw HTML, marked links."""
    return nh3.clean(
        _MARKDOWN.render(text),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
