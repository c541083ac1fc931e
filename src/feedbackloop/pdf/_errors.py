"""Errors raised while reading tables from PDFs (all are :class:`SourceReadError`)."""

from __future__ import annotations

from feedbackloop.errors import SourceReadError

__all__ = [
    "EncryptedPdfError",
    "NoTableFoundError",
    "NoTextLayerError",
    "NotAPdfError",
    "PageRangeError",
    "PdfReadError",
]


class PdfReadError(SourceReadError):
    """A PDF, or a page of it, that could not be read as tables.

    Attributes
    ----------
    source : str
        The file.
    page : int or None
        The page (numbered from 1) where it happened, if one page is to blame.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, *, source: str = "", page: int | None = None) -> None:
        super().__init__(message, adapter="pdf", source=source)
        self.page = page

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.message, self.source, self.page))

    def __str__(self) -> str:
        where = self.source + (f", page {self.page}" if self.page is not None else "")
        return f"[pdf] {where}: {self.message}" if where else f"[pdf] {self.message}"


def _rebuild(cls: type[PdfReadError], message: str, source: str, page: int | None) -> PdfReadError:
    return cls(message, source=source, page=page)


class NotAPdfError(PdfReadError):
    """The file does not exist, or is not a PDF (no ``%PDF-`` header).

    .. versionadded:: 0.1.0
    """


class EncryptedPdfError(PdfReadError):
    """The PDF is encrypted and the password is missing or wrong.

    .. versionadded:: 0.1.0
    """


class NoTextLayerError(PdfReadError):
    """A page is an image (a scan) without a text layer: it needs OCR first.

    .. versionadded:: 0.1.0
    """


class PageRangeError(PdfReadError, IndexError):
    """A page number that the PDF does not have.

    .. versionadded:: 0.1.0
    """


class NoTableFoundError(PdfReadError, LookupError):
    """No table was found on the pages asked for.

    .. versionadded:: 0.1.0
    """
