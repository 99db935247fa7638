"""HTML mail: readable text for the classifier and the list, and a sanitised copy for display.

selectolax (Lexbor) is used because it measured about fifteen times faster than html2text here.
Sanitising in the core is the first of two walls: the UI also blocks every network request.
"""

from __future__ import annotations

import re

_BLOCK_TAGS = (
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table",
    "section", "article", "header", "footer", "ul", "ol", "hr", "pre",
)
_DROP_TAGS = ["script", "style", "head", "title", "noscript", "template", "svg", "object",
              "embed", "iframe", "frame", "frameset", "applet", "form", "meta", "link", "base"]
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n\s*\n+")
_URL_ATTRS = ("href", "src", "action", "background", "poster", "srcset", "formaction", "xlink:href")

MAX_HTML_CHARS = 2_000_000


def html_to_text(html: str) -> str:
    """Readable text from HTML: block elements become line breaks, list items get bullets."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css(",".join(_DROP_TAGS)):
        node.decompose()
    body = tree.body or tree.root
    if body is None:
        return ""
    for node in body.css(",".join(_BLOCK_TAGS)):
        node.insert_before("\n")
        node.insert_after("\n")
    for node in body.css("li"):
        node.insert_before("• ")
    for node in body.css("td,th"):
        node.insert_after("  ")
    for node in body.css("a[href]"):
        href = node.attributes.get("href") or ""
        label = node.text(deep=True, separator="").strip()
        if href.startswith(("http://", "https://")) and href not in label and label:
            node.insert_after(f" <{href}>")
    text = body.text(deep=True, separator="")
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def sanitise_html(html: str) -> str:
    """Remove everything that can run or phone home; keep the look of the message.

    Scripts, frames, forms, event handlers and javascript: URLs go. Remote images and
    stylesheets are neutralised (src moved to data-blocked-src) so nothing loads even in a
    viewer without its own network guard; links stay, the UI confirms before opening them.
    """
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html[:MAX_HTML_CHARS])
    for node in tree.css(",".join(t for t in _DROP_TAGS if t not in ("head", "title", "style"))):
        node.decompose()
    for node in tree.css("*"):
        attrs = node.attributes
        for name in list(attrs):
            lname = name.lower()
            value = (attrs.get(name) or "").strip()
            if lname.startswith("on"):
                del node.attrs[name]
            elif lname in _URL_ATTRS:
                if value.lower().startswith(("javascript:", "vbscript:", "data:text/html")):
                    del node.attrs[name]
                elif lname != "href" and not value.lower().startswith(("cid:", "data:image/")):
                    node.attrs["data-blocked-" + lname] = value
                    del node.attrs[name]
            elif lname == "style" and "url(" in value.lower():
                node.attrs[name] = re.sub(r"url\([^)]*\)", "none", value, flags=re.I)
    for node in tree.css("style"):
        css = node.text()
        if "url(" in css.lower() or "@import" in css.lower():
            cleaned = re.sub(r"url\([^)]*\)", "none", css, flags=re.I)
            cleaned = re.sub(r"@import[^;]*;", "", cleaned, flags=re.I)
            node.replace_with(LexborHTMLParser(f"<style>{cleaned}</style>").css_first("style"))
    return tree.html or ""
