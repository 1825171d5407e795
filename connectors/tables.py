"""Tables: `table.read`, `table.write`, `table.filter`, `table.validate` (CSV, Excel, JSON; pandas).

Rows are lists of plain mappings, so steps, expressions and the ledger can hold them. Reading lives
in connectors/tables_io.py (CSV typing and sniffing in tables_csv.py, Excel sheets in tables_excel.py,
their zero-padded number formats in tables_formats.py), writing in tables_write.py (each cell's value
in tables_values.py), row rules in connectors/tables_rules.py; pandas is imported inside functions only.
docs/actions/tables.md is the manual, with the rows-as-items pattern.
"""

from __future__ import annotations

import re
import threading
import weakref
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.tables_rules import ColumnRule, did_you_mean
from orchestrator.actions import action
from orchestrator.errors import BusinessError
from orchestrator.expressions import is_template

Format = Literal["csv", "excel", "json", "jsonl"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ReadArgs(Strict):
    path: str = Field(description="The file, relative to the project folder.")
    format: Format | None = Field(None, description="csv, excel, json or jsonl; default: from the extension.")
    sheet: str | int | None = Field(None, description="Excel: a sheet name, or its number from 0 (default: first).")
    encoding: str | None = Field(None, description="CSV: default sniffed (UTF-8, CP949, ...).")
    delimiter: str | None = Field(None, description="CSV: default sniffed (, ; tab |).")
    decimal: Literal[".", ","] = Field(".", description="CSV: the decimal mark; ',' reads 1.234,56 as 1234.56.")
    skip_rows: int = Field(0, ge=0, description="Lines to skip above the header.")
    as_text: bool | list[str] = Field(False, description="Keep all (or these) columns as text: ids, zip codes.")
    json_path: str | None = Field(None, description="JSON: where the list of rows is, e.g. data.items.")
    limit: int | None = Field(None, ge=0)


@action("table.read", args=ReadArgs, scalar="path")
def table_read(ctx, args: ReadArgs) -> list[dict[str, Any]]:
    """Rows of a CSV, Excel or JSON file: `table.read: {path: data/orders.xlsx, sheet: March}`."""
    from connectors.tables_io import read_rows

    path = ctx.resolve(args.path)
    rows = read_rows(path, name=ctx.session.relative(path), fmt=args.format, sheet=args.sheet,
                     encoding=args.encoding, delimiter=args.delimiter, decimal=args.decimal, skip_rows=args.skip_rows,
                     as_text=args.as_text, json_path=args.json_path)
    return rows if args.limit is None else rows[: args.limit]


class WriteArgs(Strict):
    path: str
    rows: list[Any]
    format: Format | None = None
    columns: list[str] | None = Field(None, description="Column order (and names for rows given as lists).")
    sheet: str = "Sheet1"
    encoding: str | None = Field(None, description="CSV: default utf-8, or the file's own when appending.")
    delimiter: str | None = Field(None, description="CSV: default ',' (';' with decimal ','), or the file's own "
                                                     "when appending.")
    decimal: Literal[".", ","] = Field(".", description="CSV: the decimal mark of the numbers: ',' writes 1234,56.")
    append: bool = Field(False, description="Add the rows after those already in the file (or sheet).")
    as_text: bool | list[str] = Field(False, description="Excel: keep ISO dates of all (or these) columns as text.")

    @field_validator("sheet")
    @classmethod
    def _excel_sheet_name(cls, sheet: str) -> str:
        from connectors.tables_write import sheet_name_problem

        problem = None if is_template(sheet) else sheet_name_problem(sheet)  # a template is known at run time
        if problem:
            raise ValueError(problem)
        return sheet


@action("table.write", args=WriteArgs, effect=True)
def table_write(ctx, args: WriteArgs) -> str:
    """Write rows to CSV, Excel or JSON; returns the path: `table.write: {path: out/x.xlsx, rows: ...}`."""
    from connectors.tables_write import write_rows

    path = ctx.resolve(args.path)
    name = ctx.session.relative(path)
    count = write_rows(path, args.rows, name=name, fmt=args.format, columns=args.columns, sheet=args.sheet,
                       encoding=args.encoding, delimiter=args.delimiter, append=args.append, as_text=args.as_text,
                       decimal=args.decimal)
    ctx.log.info(f"wrote {count} row(s) to {name}") if ctx.log else None
    return name


class FilterArgs(Strict):
    rows: list[dict[str, Any]]
    where: str | None = Field(None, description="A condition per row, without braces: amount > 100.")
    equals: dict[str, Any] | None = None
    in_: dict[str, list[Any]] | None = Field(None, alias="in")
    not_in: dict[str, list[Any]] | None = None
    columns: list[str] | None = Field(None, description="Keep only these columns.")
    limit: int | None = Field(None, ge=0)


@action("table.filter", args=FilterArgs, scalar="rows")
def table_filter(ctx, args: FilterArgs) -> list[dict[str, Any]]:
    """The rows that pass: `table.filter: {rows: "{{ steps.orders }}", where: "amount > 100"}`."""
    test = _condition(args.where) if args.where else None
    kept = []
    for number, row in enumerate(args.rows, start=1):
        if args.equals and any(not _same(row.get(k), v) for k, v in args.equals.items()):
            continue
        if args.in_ and any(not any(_same(row.get(k), v) for v in vs) for k, vs in args.in_.items()):
            continue
        if args.not_in and any(any(_same(row.get(k), v) for v in vs) for k, vs in args.not_in.items()):
            continue
        if test is not None and not test(row, number):
            continue
        kept.append({k: row.get(k) for k in args.columns} if args.columns else row)
        if args.limit is not None and len(kept) >= args.limit:
            break
    return kept


def _same(value: Any, wanted: Any) -> bool:
    return value == wanted or (value is not None and str(value).strip() == str(wanted).strip())


def _condition(where: str) -> Any:
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    from orchestrator.expressions import environment

    text = where.strip()
    if text.startswith("{{") and text.endswith("}}"):
        text = text[2:-2]
    try:
        compiled = environment().compile_expression(text, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise BusinessError(f"table.filter: where {where!r}: {exc.message}") from None

    def test(row: dict[str, Any], number: int) -> bool:
        names = {k: v for k, v in row.items() if isinstance(k, str) and k.isidentifier()}
        try:
            result = compiled(**names, row=row, index=number)
            if hasattr(result, "_fail_with_undefined_error"):
                result._fail_with_undefined_error()
            return bool(result)
        except UndefinedError as exc:
            unknown = re.match(r"'([^']+)' is undefined", exc.message or "")
            hint = did_you_mean(unknown.group(1), [str(k) for k in row]) if unknown else ""
            raise BusinessError(f"table.filter: where {where!r} on row {number}: {exc.message}{hint}; columns: "
                                f"{', '.join(map(str, row))} (use row['a name'] for names with spaces)") from None
        except SecurityError as exc:
            raise BusinessError(f"table.filter: where {where!r} refused by the sandbox: {exc}") from None
        except TypeError as exc:
            if "NoneType" in str(exc) and any(v is None for v in row.values()):
                return False  # an empty cell compares (or adds up) to nothing, as NULL in SQL: no match
            raise BusinessError(f"table.filter: where {where!r} failed on row {number}: {exc}") from None
        except (ValueError, ZeroDivisionError, KeyError, IndexError, AttributeError) as exc:
            raise BusinessError(f"table.filter: where {where!r} failed on row {number}: {exc}") from None

    return test


class ValidateArgs(Strict):
    rows: list[dict[str, Any]] | None = Field(None, description="A whole table: returns valid and invalid rows.")
    row: dict[str, Any] | None = Field(None, description="One row (the item): fails the item when invalid.")
    required: list[str] = Field(default_factory=list, description="Columns that must be present and filled.")
    columns: dict[str, ColumnRule] = Field(default_factory=dict, description="Rules per column.")
    unique: list[str] = Field(default_factory=list, description="Columns whose values may not repeat (rows).")
    fail: bool = Field(False, description="rows: fail the step when any row is invalid.")

    @model_validator(mode="after")
    def _one_input(self) -> ValidateArgs:
        if (self.rows is None) == (self.row is None):
            raise ValueError("give `row:` (one row, e.g. the item) or `rows:` (a table), not both")
        if not self.required and not self.columns and not self.unique:
            raise ValueError("say what a valid row is: `required:`, `columns:` rules or `unique:`")
        return self


@action("table.validate", args=ValidateArgs)
def table_validate(ctx, args: ValidateArgs) -> Any:
    """Check rows: `table.validate: {row: "{{ item }}", required: [id], columns: {amount: {type: number, min: 0}}}`.

    With `row:` an invalid row fails the item (a business error with every reason); the typed row is
    returned. With `rows:` the output is {valid: [...], invalid: [{row, data, errors}], errors: [...]}."""
    from connectors.tables_rules import check_row, duplicates

    _known_columns(args, [args.row] if args.row is not None else args.rows or [])
    if args.row is not None:
        typed, problems = check_row(args.row, required=args.required, rules=args.columns)
        if problems:
            where = item_origin(ctx) if args.row == ctx.item else None
            raise BusinessError(f"invalid {where or 'row'}: {'; '.join(problems)}")
        return typed
    assert args.rows is not None
    unique = list(args.unique) + [c for c, r in args.columns.items() if r.unique and c not in args.unique]
    repeated: dict[int, list[str]] = {}
    for column in unique:
        for index, problem in duplicates(args.rows, [column]).items():
            repeated.setdefault(index, []).append(problem)
    valid, invalid, errors = [], [], []
    for index, row in enumerate(args.rows):
        typed, problems = check_row(row, required=args.required, rules=args.columns)
        problems += repeated.get(index, [])
        if problems:
            invalid.append({"row": index + 1, "data": row, "errors": problems})
            errors.append(f"row {index + 1}: {'; '.join(problems)}")
        else:
            valid.append(typed)
    if errors and args.fail:
        shown = "; ".join(errors[:10]) + (f"; and {len(errors) - 10} more" if len(errors) > 10 else "")
        raise BusinessError(f"{len(errors)} invalid row(s) of {len(args.rows)}: {shown}")
    return {"valid": valid, "invalid": invalid, "errors": errors}


def _known_columns(args: ValidateArgs, rows: list[dict[str, Any]]) -> None:
    """A rule on a column no row has is a misspelling, not a valid table: say which columns there are.

    A `required` column may be absent: then each row says that it is missing."""
    if not rows:
        return
    present = list(dict.fromkeys(str(k) for r in rows for k in r))
    named = [c for c, rule in args.columns.items() if not rule.required] + list(args.unique)
    for column in named:
        if column not in present:
            raise BusinessError(f"table.validate: no column {column!r} in the rows{did_you_mean(column, present)}; "
                                f"columns: {', '.join(present)}")


_origins: weakref.WeakKeyDictionary[Any, dict[int, tuple[Any, str]]] = weakref.WeakKeyDictionary()
_origins_lock = threading.Lock()


def item_origin(ctx: Any) -> str | None:
    """`row 3 of data/orders.xlsx (sheet Orders)` for an item that is a row of `read_table(...)`, else None.

    The ledger keeps an item's values only, so the robot's `items:` is read again, once per run in a
    process and only when a row fails, with `read_table` noting where each row was; a row that no longer
    reads the same (the file changed meanwhile) is not placed. An `items:` with a SQL query is not run again."""
    session = ctx.session
    with _origins_lock:
        known = _origins.get(session)
        if known is None:
            known = _origins[session] = _item_origins(session)
    found = known.get(ctx.index)
    return found[1] if found and found[0] == ctx.item else None


def _item_origins(session: Any) -> dict[int, tuple[Any, str]]:
    import json

    from connectors.tables_io import read_located
    from orchestrator.expressions import evaluate

    expression = session.robot.items
    if not isinstance(expression, str) or "read_table" not in expression or "query(" in expression:
        return {}
    places: dict[int, tuple[Any, str | None]] = {}  # id(row) -> (row, where); the row kept so its id stays its own

    def read_table(path: str, **options: Any) -> list[dict[str, Any]]:
        target = session.resolve(path)
        options.setdefault("fmt", options.pop("format", None))
        name = session.relative(target)
        table = read_located(target, name=name, **options)
        for index, row in enumerate(table.rows):
            places[id(row)] = (row, table.where(index, name))
        return table.rows

    try:
        values = list(evaluate(expression, {**session.expression_base(), "read_table": read_table}))
    except Exception:  # noqa: BLE001 - the file moved or changed since the run began: the row is not placed
        return {}
    found = {}
    for index, value in enumerate(values):
        row, where = places.get(id(value), (None, None))
        if row is value and where:
            found[index] = (json.loads(json.dumps(value, default=str)), where)  # as the ledger holds the item
    return found
