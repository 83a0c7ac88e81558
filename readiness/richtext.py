"""REDCap's HTML in labels, section headers, notes and choice labels, drawn as REDCap draws it and nothing more.

REDCap lets a project write HTML in those places (bold, italics, colour through ``<span style>``, line breaks,
links, simple lists and tables). It is rendered through an allow-list sanitiser (nh3, the Python binding of the Rust
``ammonia`` crate): only the tags and attributes below survive, ``style`` keeps only the CSS properties below, links
keep http(s)/mailto targets and get ``rel="noopener noreferrer"``; everything else (script, iframe, event handlers,
``javascript:`` URLs, forms) is removed, and text is escaped. The page's Content-Security-Policy forbids inline
script as a second line of defence.
"""

from __future__ import annotations

import nh3
from markupsafe import Markup

TAGS = frozenset({"b", "strong", "i", "em", "u", "s", "sub", "sup", "br", "p", "div", "span", "font", "small",
                  "big", "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "blockquote", "center",
                  "table", "thead", "tbody", "tr", "th", "td", "caption"})
ATTRIBUTES = {"*": {"style"}, "a": {"href", "title", "target"}, "font": {"color"}, "td": {"colspan", "rowspan"},
              "th": {"colspan", "rowspan", "scope"}}
STYLE_PROPERTIES = frozenset({"color", "background-color", "font-weight", "font-style", "text-decoration",
                              "text-align", "font-size"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize(html: str | None) -> Markup:
    """Safe markup for a REDCap label (plain text comes back escaped and unchanged otherwise). A line break in a
    label is a line break on the form, as REDCap shows it (``<br>``)."""
    if not html:
        return Markup("")
    html = html.replace("\r\n", "\n").strip().replace("\n", "<br>")
    return Markup(nh3.clean(html, tags=set(TAGS), attributes={k: set(v) for k, v in ATTRIBUTES.items()},  # noqa: S704
                            url_schemes=set(URL_SCHEMES), filter_style_properties=set(STYLE_PROPERTIES),
                            link_rel="noopener noreferrer"))


def plain(html: str | None) -> str:
    """The text of a label without its tags (for error summaries, CSV headers and page titles)."""
    return Markup(nh3.clean(html or "", tags=set())).unescape() if html else ""  # noqa: S704
