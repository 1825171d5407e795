"""Documents: `pdf.text`, `pdf.tables` and `pdf.extract` (named fields and line items), on pdfplumber.

A corrupt, encrypted or empty document fails its item with a DocumentError naming the file and the
reason (see connectors/pdf_open.py); fields are found by connectors/pdf_extract.py and typed by
connectors/pdf_values.py. pdfplumber is imported inside functions only. docs/actions/pdf.md is the manual.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestrator.actions import action
from orchestrator.errors import BusinessError, DocumentError

Pages = int | str | list[int | str] | None
Kind = Literal["text", "string", "number", "integer", "date"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DocumentArgs(Strict):
    file: str = Field(description="The PDF, relative to the project folder.")
    pages: Pages = Field("all", description="all, 3, -1, last, '2-4', '1,3,5-7' or a list; from 1.")
    dedupe: bool = Field(True, description="Remove doubled faux-bold characters.")
    password: str | None = Field(None, description="The password of an encrypted PDF (use a secret).")


class TextArgs(DocumentArgs):
    layout: bool = Field(False, description="Keep the page layout (columns, indentation).")
    allow_empty: bool = Field(False, description="Return '' for a document without text instead of failing.")


class TablesArgs(DocumentArgs):
    table: int | None = Field(None, ge=1, description="Only the N-th table of the pages read (from 1).")
    header: bool = Field(True, description="The first row is the header: rows become mappings.")
    by_table: bool = Field(False, description="One {pages, header, rows} per table, not one list of rows.")
    settings: dict[str, Any] | None = Field(None, description="pdfplumber table settings.")


class FieldSpec(Strict):
    regex: str | None = Field(None, validation_alias=AliasChoices("regex", "pattern"))
    anchor: str | list[str] | None = Field(None, validation_alias=AliasChoices("anchor", "label"))
    direction: Literal["auto", "right", "below"] = "auto"
    lines: int = Field(1, ge=1, le=50)
    region: list[float] | None = Field(None, min_length=4, max_length=4,
                                       validation_alias=AliasChoices("region", "bbox"))
    page: int | None = Field(None, ge=1)
    type: Kind = "text"
    decimal: Literal[".", ","] | None = None
    formats: list[str] | None = None
    required: bool = False
    default: Any = None

    @model_validator(mode="after")
    def _one_way(self) -> FieldSpec:
        if self.regex is None and self.anchor is None and self.region is None:
            raise ValueError("say where the field is: `anchor:` (a label), `regex:` or `region:`")
        if self.anchor is not None and self.region is not None:
            raise ValueError("give `anchor:` or `region:`, not both")
        if self.regex is not None:
            import re

            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex {self.regex!r} is not a valid regular expression: {exc}") from None
        return self


class TableSpec(Strict):
    columns: dict[str, str | list[str] | int] = Field(min_length=1)
    types: dict[str, Kind] = Field(default_factory=dict)
    decimal: Literal[".", ","] | None = None
    formats: list[str] | None = None
    settings: dict[str, Any] | None = Field(None, validation_alias=AliasChoices("settings", "table_settings"))
    header: bool = True
    required: bool = False
    until: str | None = Field(None, description="A regex: the row that matches it and those after are not items.")
    totals: bool = Field(True, description="false: a totals row does not end the items (only `until:` does).")
    edges: list[float] | None = Field(None, min_length=2, description="x of the columns' edges, left to "
                                      "right, in points: a table without rules read between them.")

    @field_validator("columns", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any) -> Any:
        """`item: No` (a "No" column) is read by YAML as false, which would pass for column index 0."""
        for name, header in (value.items() if isinstance(value, dict) else ()):
            if isinstance(header, bool):
                raise ValueError(f"column {name}: YAML read the header as {str(header).lower()}, not as text: write "  # noqa: TRY004
                                 f"it in quotes (\"{'Yes' if header else 'No'}\")")
        return value

    @model_validator(mode="after")
    def _known_columns(self) -> TableSpec:
        if self.until is not None:
            import re

            try:
                re.compile(self.until)
            except re.error as exc:
                raise ValueError(f"until {self.until!r} is not a valid regular expression: {exc}") from None
        self._check_edges()
        unknown = sorted(set(self.types) - set(self.columns))
        if unknown:
            raise ValueError(f"types name columns that are not in `columns:`: {', '.join(unknown)}")
        # (a `{{ }}` index is a number only once rendered: `retake validate` sees the template)
        if not self.header and not all(isinstance(v, int) or "{{" in str(v) for v in self.columns.values()):
            raise ValueError("without a header row, give every column by its index from 0")
        return self

    def _check_edges(self) -> None:
        if self.edges is None:
            return
        if self.settings is not None:
            raise ValueError("give `edges:` or `settings:`, not both")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:])):
            raise ValueError(f"edges {self.edges} must grow from left to right")
        if not self.header or any(isinstance(v, int) for v in self.columns.values()):
            raise ValueError("`edges:` needs the header row: name every column by its header")


class ExtractArgs(DocumentArgs):
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    tables: dict[str, TableSpec] = Field(default_factory=dict)
    required: list[str] = Field(default_factory=list, description="Names that must be found.")

    @field_validator("fields", "tables", mode="before")
    @classmethod
    def _named_list(cls, value: Any) -> Any:
        """A list of specs with a `name` each reads as the mapping: [{name: total, anchor: Total}]."""
        if isinstance(value, list) and all(isinstance(v, dict) and "name" in v for v in value):
            return {v["name"]: {k: x for k, x in v.items() if k != "name"} for v in value}
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _anchor_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"anchor": v} if isinstance(v, (str, list)) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _names(self) -> ExtractArgs:
        if not self.fields and not self.tables:
            raise ValueError("name what to extract under `fields:` and/or `tables:`")
        both = sorted(set(self.fields) & set(self.tables))
        if both:
            raise ValueError(f"{', '.join(both)}: a name is a field or a table, not both")
        unknown = [n for n in self.required if n not in self.fields and n not in self.tables]
        if unknown:
            raise ValueError(f"required names no field or table: {', '.join(unknown)}")
        return self


def _labels(spec: FieldSpec) -> list[str]:
    if spec.anchor is None:
        return []
    return [spec.anchor] if isinstance(spec.anchor, str) else list(spec.anchor)


def _pages(args: DocumentArgs, pdf: Any, name: str) -> list[int]:
    from connectors.pdf_values import select_pages

    try:
        chosen = select_pages(args.pages, len(pdf.pages))
    except ValueError as exc:
        raise BusinessError(f"{name}: {exc}", file=name) from None
    if not chosen:
        raise BusinessError(f"{name}: pages {args.pages!r} are not in this document of {len(pdf.pages)} "
                            "page(s)", file=name)
    return chosen


def _empty(name: str, views: list[Any]) -> DocumentError:
    numbers = ", ".join(str(v.number) for v in views[:10]) + (", ..." if len(views) > 10 else "")
    return DocumentError(f"{name}: empty: no text on page(s) {numbers} (a blank page, or a scanned image "
                         "without a text layer: OCR is not part of Retake)", file=name, reason="empty")


def _check_settings(settings: dict[str, Any] | None, name: str) -> None:
    if not settings:
        return
    from pdfplumber.table import TableSettings

    try:
        TableSettings.resolve(settings)
    except (TypeError, ValueError) as exc:
        raise BusinessError(f"table settings {settings!r}: {exc}", file=name) from None


@action("pdf.text", args=TextArgs, scalar="file")
def pdf_text(ctx, args: TextArgs) -> str:
    """The text of a PDF, pages separated by a form feed: `pdf.text: {file: "{{ item }}", pages: 1}`."""
    from connectors.pdf_document import PageView
    from connectors.pdf_open import open_document

    with open_document(ctx, args.file, password=args.password) as (pdf, name):
        texts, views = [], []
        for index in _pages(args, pdf, name):
            view = PageView(pdf.pages[index], number=index + 1, dedupe=args.dedupe)
            views.append(view)
            try:
                texts.append(view.page.extract_text(layout=args.layout) if view.has_text else "")
            finally:
                view.close()
    if not any(texts) and not args.allow_empty:
        raise _empty(name, views)
    return "\f".join(texts)


@action("pdf.tables", args=TablesArgs, scalar="file")
def pdf_tables(ctx, args: TablesArgs) -> list[Any]:
    """Ruled tables as rows keyed by their header: `pdf.tables: {file: "{{ item }}", pages: 1}`; with
    `by_table: true`, one {pages, header, rows} per table, to tell the tables apart."""
    from connectors.pdf_document import PageView
    from connectors.pdf_open import open_document
    from connectors.pdf_tables import TableRows

    with open_document(ctx, args.file, password=args.password) as (pdf, name):
        _check_settings(args.settings, name)
        collected = TableRows(header=args.header, only=args.table)
        views, text = [], False
        for index in _pages(args, pdf, name):
            view = PageView(pdf.pages[index], number=index + 1, dedupe=args.dedupe)
            views.append(view)
            try:
                text = text or view.has_text
                for position, table in enumerate(view.tables(args.settings)):
                    collected.add(table, first_on_page=position == 0, page=view.number)
            finally:
                view.close()
    if not text:
        raise _empty(name, views)  # a scan: its tables are images, not "no tables"
    return collected.tables if args.by_table else collected.rows


@action("pdf.extract", args=ExtractArgs, scalar="file")
def pdf_extract(ctx, args: ExtractArgs) -> dict[str, Any]:
    """Named fields (by anchor label, regex or region; typed) and line-item tables of a PDF.

    `pdf.extract: {file: "{{ item }}", fields: {total: {anchor: Total, type: number, required: true}}}`"""
    from connectors.pdf_document import PageView
    from connectors.pdf_extract import FieldValueError, extract_table, find_field
    from connectors.pdf_open import open_document

    with open_document(ctx, args.file, password=args.password) as (pdf, name):
        for spec in args.tables.values():
            _check_settings(spec.settings, name)
        views = [PageView(pdf.pages[i], number=i + 1, dedupe=args.dedupe) for i in _pages(args, pdf, name)]
        result: dict[str, Any] = {}
        problems: dict[str, str] = {}
        try:
            labels = {f: _labels(s) for f, s in args.fields.items()}
            for field, spec in args.fields.items():
                stops = tuple(sorted({label for other, ls in labels.items() if other != field for label in ls}
                                     - set(labels[field])))
                try:
                    value = find_field(views, spec, stops=stops)
                except FieldValueError as exc:
                    problems[field], value = str(exc), None
                result[field] = spec.default if value is None else value
            for table, tspec in args.tables.items():
                try:
                    wanted = tspec.required or table in args.required
                    result[table] = extract_table(views, tspec, required=wanted)
                except FieldValueError as exc:
                    problems[table], result[table] = str(exc), []
            if all(v in (None, []) for v in result.values()) and not any(v.has_text for v in views):
                raise _empty(name, views)
        finally:
            for view in views:
                view.close()
    required = list(args.required) + [n for n, s in args.fields.items() if s.required and n not in args.required]
    required += [n for n, s in args.tables.items() if s.required and n not in required]
    missing = [n for n in required if result.get(n) in (None, "", []) and n not in problems]
    if missing or problems:
        parts = ([f"required field(s) missing: {', '.join(missing)}"] if missing else [])
        parts += [f"{field}: {text}" for field, text in problems.items()]
        raise DocumentError(f"{name}: {'; '.join(parts)}", file=name, reason="fields",
                            fields=missing + list(problems))
    return result
