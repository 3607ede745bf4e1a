"""``report.html``: report.md as one self-contained page that opens offline.

The markdown is converted by Python-Markdown (tables, fenced code); every figure it links is
embedded as a base64 ``data:`` URI and the style sheet is inline, so the page fetches nothing:
it can be mailed or opened on a machine with no network. Links stay as they are (text).
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import markdown

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #222; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f2f2f2; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
blockquote { border-left: 4px solid #c44e52; margin: 0.8rem 0; padding: 0.2rem 0.8rem;
             background: #fbf0f0; }
code, pre { background: #f6f6f6; }
pre { padding: 0.5rem; overflow-x: auto; }
"""

_IMG = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")')


def _embed(match: re.Match[str], root: Path) -> str:
    src = html.unescape(match.group(2))
    if src.startswith("data:"):
        return match.group(0)
    path = (root / src).resolve()
    if not path.is_file():
        return match.group(0)
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    mime = "image/svg+xml" if path.suffix == ".svg" else f"image/{path.suffix.lstrip('.')}"
    return f"{match.group(1)}data:{mime};base64,{data}{match.group(3)}"


def markdown_to_html(text: str, root: Path, title: str = "report") -> str:
    """A whole HTML page from report markdown, figures (relative to ``root``) embedded."""
    body = markdown.markdown(text, extensions=["tables", "fenced_code"], output_format="html")
    body = _IMG.sub(lambda m: _embed(m, root), body)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )
