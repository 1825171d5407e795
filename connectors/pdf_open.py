"""Opening PDFs the way a batch needs it: every way a file can be unreadable is a DocumentError.

A file that is missing, empty, not a PDF (a web page or an image saved as .pdf), corrupt or encrypted
fails its item with a DocumentError naming the file and the reason, so the batch goes on.
pdfplumber is imported inside functions only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orchestrator.errors import DocumentError, RetakeError

_LIBRARIES = ("pdfminer", "pdfplumber", "pypdfium2")

# What a file that is not a PDF starts with, and what it is (a mail gateway's "attachment" that is the
# login page it could not pass, a scan saved as .pdf, an Office file renamed).
_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive or an Office document (docx, xlsx, odt)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (doc, xls, msg)"),
    (b"{\\rtf", "an RTF document"),
)
# pdfminer refuses a password that RC4 or AES-128 encryption cannot take (not Latin-1) with an encoding error
_WRONG_PASSWORD = ("PDFPasswordIncorrect", "UnicodeEncodeError")
_HTML = ("<!doctype html", "<html", "<head", "<body", "<meta", "<title")


@contextmanager
def open_document(ctx: Any, file: str, *, password: str | None = None) -> Iterator[tuple[Any, str]]:
    """The open pdfplumber PDF of `file` (project-relative) and its name for messages, closed on exit."""
    path = ctx.resolve(file)  # resolved and inside the project: its name needs no second resolve
    name = str(path.relative_to(ctx.session.real_root))
    with _opened(path, name, password) as pdf:
        if not pdf.pages:
            raise DocumentError(f"{name}: empty: the PDF has no pages", file=name, reason="empty")
        yield pdf, name


def page_count(session: Any, file: str, *, password: str | None = None) -> int:
    """The number of pages of a project PDF: `pdf_pages('batch.pdf')` in expressions (items by page)."""
    path = session.resolve(file)
    with _opened(path, str(path.relative_to(session.real_root)), password) as pdf:
        return len(pdf.pages)


@contextmanager
def _opened(path: Path, name: str, password: str | None) -> Iterator[Any]:
    if not path.is_file():
        raise DocumentError(f"{name}: missing: no such file", file=name, reason="missing")
    quiet = logging.getLogger("pdfminer")  # "Could not get FontBBox" and the like
    if quiet.level != logging.ERROR:  # setting it anew would empty every logger's level cache, per document
        quiet.setLevel(logging.ERROR)
    pdf = _open(path, name, password)
    try:
        with pdf:
            yield pdf
    except RetakeError:
        raise
    except Exception as exc:
        if _from_library(exc):
            raise _document_error(name, exc, password, path) from None
        raise


def _open(path: Path, name: str, password: str | None) -> Any:
    import pdfplumber

    try:
        return pdfplumber.open(path, password=password or None)
    except Exception as exc:  # noqa: BLE001 - classified below; anything else is re-raised
        if password and type(_inner(exc)).__name__ in _WRONG_PASSWORD:
            # A PDF with only an owner password (it restricts printing or copying) opens in any viewer
            # without one: so one robot with one password reads a mixed inbox.
            try:
                return pdfplumber.open(path)
            except Exception:  # noqa: BLE001, S110 - the first error says it: the password given is wrong
                pass
        raise _document_error(name, exc, password, path) from None


def _inner(exc: BaseException) -> BaseException:
    """What pdfminer raised (pdfplumber wraps it in a PdfminerException)."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc


def _document_error(name: str, exc: BaseException, password: str | None, path: Path) -> BaseException:
    if isinstance(exc, OSError) and not _from_library(exc):
        return exc  # a disk or permission problem: not the document's fault
    inner = _inner(exc)
    kind = type(inner).__name__
    if kind in _WRONG_PASSWORD and (password or kind == "PDFPasswordIncorrect"):
        detail = ("the password given is wrong" if password
                  else "it needs a password: give it with `password:` (from a secret)")
        return DocumentError(f"{name}: encrypted: {detail}", file=name, reason="encrypted")
    if kind.startswith("PDFEncryption"):
        return DocumentError(f"{name}: encrypted with a method that cannot be read ({inner})", file=name,
                             reason="encrypted")
    start = _first_bytes(path)
    if start == b"":
        return DocumentError(f"{name}: empty file (0 bytes)", file=name, reason="empty")
    # A PDF may have a little junk before its "%PDF-" (readers look in the first 1024 bytes)
    detail = not_a_pdf(start) if start is not None and b"%PDF-" not in start else None
    detail = detail or str(inner).strip() or kind
    return DocumentError(f"{name}: corrupt or not a PDF ({detail})", file=name, reason="corrupt")


def _first_bytes(path: Path) -> bytes | None:
    try:
        with path.open("rb") as stream:
            return stream.read(1024)
    except OSError:
        return None


def not_a_pdf(start: bytes) -> str:
    """What a file that does not start like a PDF looks like, for the message: what to fix is upstream."""
    for signature, what in _SIGNATURES:
        if start.startswith(signature):
            return f"not a PDF: the file starts with the bytes of {what}"
    text = start.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    words = " ".join(text.split())
    shown = words[:40] + ("…" if len(words) > 40 else "")
    if text.lower().startswith(_HTML) or (text.startswith("<?xml") and "<html" in text.lower()):
        what = "an HTML page"
    elif text.startswith("<?xml"):
        what = "an XML file"
    elif sum(c.isprintable() or c.isspace() for c in text) - text.count("\ufffd") > 0.95 * len(text):
        what = "text"  # (U+FFFD stands for bytes that are not UTF-8)
    else:
        return "not a PDF: the file starts with bytes that are neither a PDF nor text"
    return f"not a PDF: the file starts with {shown!r}: {what}"


def _from_library(exc: BaseException) -> bool:
    if type(exc).__module__.split(".")[0] in _LIBRARIES:
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename if tb is not None else ""
    return any(f"/{lib}/" in filename for lib in _LIBRARIES)
