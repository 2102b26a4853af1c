"""The report's PDF: HTML laid out by WeasyPrint as a tagged PDF (PDF/UA-1), reading nothing but
the report's own files under ``reports/static``.

A light module (WeasyPrint and the standard library only), so that a helper process can import it
quickly to write the report's PDF while the run writes its other files (``flows/run/pdf.py``).
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

REPORTS_DIR = Path(__file__).resolve().parent
STATIC_DIR = REPORTS_DIR / "static"


class _SvgStyleNoise(logging.Filter):
    """matplotlib writes SVG presentation attributes as inline styles; WeasyPrint's CSS parser
    warns that they are unknown CSS properties before its SVG renderer applies them anyway."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "unknown property" not in record.getMessage()


logging.getLogger("weasyprint").addFilter(_SvgStyleNoise())


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves files under ``reports/static`` and ``data:`` URIs,
    and refuses everything else (other local files, http, https, ftp)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file", "data"))
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)  # the content is in the URI itself
        path = static_file(url)
        if path is None:
            self.refused.append(url)
            # WeasyPrint logs this and leaves the resource out; rendering carries on.
            raise ValueError(f"the report reads only files under {STATIC_DIR}, not {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def static_file(url: str) -> Path | None:
    """The file a ``file:`` URL names, if it lies under ``reports/static`` (after resolving
    ``..`` and symbolic links); otherwise None."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(url2pathname(unquote(parts.path))).resolve()
    inside = path.is_relative_to(STATIC_DIR.resolve())
    return path if inside and path.is_file() else None


def write_pdf(html: str, pdf_path: Path) -> None:
    """Write ``html`` (a report, pack or comparison rendered from its template) as a tagged PDF:
    title, language, structure tree and bookmarks from the headings. Its stylesheets, fonts and
    images are fetched through ``StaticOnlyFetcher``."""
    document = HTML(
        string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=StaticOnlyFetcher()
    )
    document.write_pdf(pdf_path, pdf_variant="pdf/ua-1")
