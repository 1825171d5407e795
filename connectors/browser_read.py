"""Browser actions that read the page or save files from it: text, attribute, table, count, evaluate,
download, screenshot, pdf. Saved files go into the item's artifacts (listed in the ledger), or to a
project path when `path:` is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from connectors import browser_locators, browser_paging
from connectors.browser import Args, Located, target
from connectors.browser_guard import guard
from connectors.browser_session import SECRET_MARK, open_browser
from orchestrator.actions import action


class TextArgs(Located):
    all: bool = False


@action("browser.text", args=TextArgs, scalar="locator")
def text(ctx: Any, args: TextArgs) -> Any:
    """The visible text of an element, or with `all: true` a list with one entry per match.

    `browser.text: {css: ".confirmation-number"}`"""
    browser = open_browser(ctx)
    what = f"browser.text {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, what, timeout_ms=timeout):
        if args.all:
            return [t.strip() for t in loc.all_inner_texts()]
        return loc.inner_text(timeout=timeout).strip()


class AttributeArgs(Located):
    attribute: str
    all: bool = False


@action("browser.attribute", args=AttributeArgs)
def attribute(ctx: Any, args: AttributeArgs) -> Any:
    """An attribute of an element (`value` reads a field's current value), or of all matches.

    `browser.attribute: {locator: "a.export", attribute: href}`"""
    browser = open_browser(ctx)
    what = f"browser.attribute {args.attribute} of {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    timeout = browser.timeout_ms(ctx)
    script = "(el, name) => name === 'value' && 'value' in el ? el.value : el.getAttribute(name)"
    with guard(ctx, browser, what, timeout_ms=timeout):
        if args.all:
            return loc.evaluate_all(f"(els, name) => els.map(el => ({script})(el, name))", args.attribute)
        return loc.evaluate(script, args.attribute, timeout=timeout)


class CountArgs(Located):
    pass


@action("browser.count", args=CountArgs, scalar="locator")
def count(ctx: Any, args: CountArgs) -> int:
    """How many elements match now (no waiting): `if: "{{ steps.errors > 0 }}"` after
    `- {id: errors, browser.count: ".error"}`."""
    browser = open_browser(ctx)
    with guard(ctx, browser, f"browser.count {browser_locators.describe(args.locator)}"):
        specs = args.locator if isinstance(args.locator, list) else [args.locator]
        return sum(browser_locators.build(browser.page, s).count() for s in specs)


TABLE_SCRIPT = r"""
(table, headerRow) => {
  const clean = s => (s || '').replace(/\s+/g, ' ').trim();
  // A cell holding one form control shows its value: the chosen option, what is typed, ticked or not.
  const shown = c => {
    const controls = c.querySelectorAll('input:not([type=hidden]), select, textarea');
    if (controls.length !== 1) return clean(c.innerText);
    const rest = c.cloneNode(true);
    rest.querySelectorAll('select, textarea').forEach(e => e.remove());
    if (clean(rest.textContent)) return clean(c.innerText);  // a control beside text: the text
    const el = controls[0];
    if (el.tagName === 'SELECT') return clean([...el.selectedOptions].map(o => o.label).join(', '));
    if (el.type === 'checkbox' || el.type === 'radio') return el.checked ? 'true' : 'false';
    return clean(el.value);
  };
  // An HTML table, or a grid drawn with ARIA roles (div rows and cells, as data-grid components draw them).
  const aria = table.tagName !== 'TABLE';
  const rows = aria ? [...table.querySelectorAll('[role=row]')]
    : [...table.querySelectorAll(':scope > thead > tr, :scope > tbody > tr, :scope > tr, :scope > tfoot > tr')];
  const CELL = '[role=cell], [role=gridcell], [role=columnheader], [role=rowheader]';
  const cells = aria ? tr => [...tr.querySelectorAll(CELL)].filter(c => c.closest('[role=row]') === tr)
    : tr => [...tr.children].filter(c => c.tagName === 'TD' || c.tagName === 'TH');
  if (rows.length === 0) return {header: [], rows: []};
  const isHead = tr => cells(tr).length > 0 && cells(tr).every(c => aria ? c.getAttribute('role') === 'columnheader'
    : c.tagName === 'TH');
  // Merged cells laid out on a grid: a header cell spanning columns names each of them; a data cell
  // spanning rows (a group) repeats down; one spanning columns fills the first and leaves the rest empty.
  const carry = [];
  const grid = rows.map(tr => {
    const out = [], head = isHead(tr);
    let col = 0;
    const skipCarried = () => {
      while (carry[col] && carry[col].left > 0) { out[col] = carry[col].text; carry[col].left--; col++; }
    };
    for (const c of cells(tr)) {
      skipCarried();
      const text = shown(c), span = Math.max(1, c.colSpan || Number(c.getAttribute('aria-colspan')) || 1),
        down = Math.max(1, c.rowSpan || Number(c.getAttribute('aria-rowspan')) || 1);
      for (let k = 0; k < span; k++, col++) {
        out[col] = k === 0 || head ? text : '';
        if (down > 1) carry[col] = {text: out[col], left: down - 1};
      }
    }
    skipCarried();
    return Array.from(out, v => v === undefined ? '' : v);
  });
  let header = null, body = rows.map((tr, i) => i);
  if (headerRow) {
    const heads = rows.map((tr, i) => isHead(tr) ? i : -1).filter(i => i >= 0);
    // a block of header rows (two levels: "Amount" over "Net" and "Tax") names columns "Amount Net"...
    const start = heads.length ? heads[0] : 0;
    let first = start;
    while (heads.includes(first + 1) && first + 1 < rows.length - 1) first++;
    const width = Math.max(...grid.slice(start, first + 1).map(r => r.length));
    header = Array.from({length: width}, (_, col) => [...new Set(grid.slice(start, first + 1)
      .map(r => r[col] || '').filter(Boolean))].join(' '));
    body = body.filter(i => i > first || (i < start && !isHead(rows[i])));
  }
  return {header, rows: body.map(i => grid[i]).filter(r => r.length && r.some(v => v !== ''))};
}
"""


class TableArgs(Located):  # (the locator's keys may stand beside the arguments: {frame: ..., css: "#list"})
    locator: Any = "table"
    header: bool = True
    columns: list[str] | None = None
    next: Any = None
    max_pages: int = Field(100, ge=1)
    frame: str | list[str] | None = None  # the table (and its `next` control) are inside this iframe

    _v = field_validator("locator", mode="before")(lambda v: "table" if v == {} else browser_locators.validate(v))
    _n = field_validator("next", mode="before")(lambda v: v if v is None else browser_locators.validate(v))

    @model_validator(mode="after")
    def _frame(self) -> TableArgs:
        if self.frame is not None and self.next is not None:
            self.next = browser_locators.in_frame(self.next, self.frame)
        return browser_locators.fold_frame(self)


@action("browser.table", args=TableArgs, scalar="locator")
def table(ctx: Any, args: TableArgs) -> list[Any]:
    """An HTML table as rows: mappings keyed by the header cells (or `columns:`), lists with `header: false`.
    With `next:` (the locator of a "next page" link or button) the rows of every page, up to `max_pages`.

    `browser.table: "#invoices"`; `browser.table: {locator: "#invoices", next: {role: link, name: Next}}`"""
    browser = open_browser(ctx)
    what = f"browser.table {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, what, timeout_ms=timeout):
        shown = browser_paging.first_page(browser, loc, timeout_ms=timeout,  # (not while "Loading...")
                                          loading_ms=min(timeout, browser.options.timeout * 1000))
        data = loc.first.evaluate(TABLE_SCRIPT, args.header, timeout=timeout)
    rows = list(data["rows"])
    if args.next is not None:
        rows += browser_paging.more_pages(
            ctx, browser, loc, spec=args.next, first=shown, max_pages=args.max_pages, timeout_ms=timeout,
            what=what, read=lambda: loc.first.evaluate(TABLE_SCRIPT, args.header, timeout=timeout)["rows"])
    names = args.columns or data["header"]
    if names is None:
        return rows
    names = _unique([name or f"column_{i + 1}" for i, name in enumerate(names)])
    return [dict(zip(names, row + [""] * (len(names) - len(row)))) for row in rows]


def _unique(names: list[str]) -> list[str]:
    """Column names made unique (`Amount`, `Amount_2`), so that no column hides another."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


class EvaluateArgs(Args):
    script: str
    arg: Any = None


@action("browser.evaluate", args=EvaluateArgs, scalar="script")
def evaluate(ctx: Any, args: EvaluateArgs) -> Any:
    """Run JavaScript in the page and return its (JSON) result: `browser.evaluate: "document.title"`."""
    browser = open_browser(ctx)
    with guard(ctx, browser, "browser.evaluate", timeout_ms=browser.timeout_ms(ctx)):
        return browser.page.evaluate(args.script, args.arg)


def _output(ctx: Any, path: str | None, default_name: str, kind: str) -> tuple[Path, bool]:
    """Where a saved file goes: a project path when given, else the item's artifacts."""
    if path:
        target_path = ctx.resolve(path)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        return target_path, False
    return ctx.artifact_path(default_name), True


def _no_path(value: Any) -> Any:
    """`browser.screenshot: {}` means no path (an empty mapping arrives as the scalar)."""
    return None if value == {} else value


class ScreenshotArgs(Args, browser_locators.InFrame):
    path: str | None = None
    locator: Any = None
    full_page: bool = True

    _p = field_validator("path", mode="before")(_no_path)

    _v = field_validator("locator")(lambda v: None if v is None else browser_locators.validate(v))


@action("browser.screenshot", args=ScreenshotArgs, scalar="path")
def screenshot(ctx: Any, args: ScreenshotArgs) -> str:
    """A PNG of the page (or of one element); secret fields are masked. `browser.screenshot: {}`"""
    browser = open_browser(ctx)
    dest, artifact = _output(ctx, args.path, f"screenshot-{ctx.step.label if ctx.step else 'page'}.png", "")
    timeout = browser.timeout_ms(ctx)
    masked = [browser.page.locator(f"[{SECRET_MARK}], input[type=password]")]
    if args.locator is not None:
        loc = target(ctx, browser, args.locator, "browser.screenshot")
        with guard(ctx, browser, "browser.screenshot", timeout_ms=timeout):
            loc.first.screenshot(path=str(dest), mask=masked, timeout=timeout)
    else:
        with guard(ctx, browser, "browser.screenshot", timeout_ms=timeout):
            browser.page.screenshot(path=str(dest), full_page=args.full_page, mask=masked, timeout=timeout)
    if artifact:
        ctx.add_artifact(dest, "screenshot")
    return ctx.session.relative(dest)


class PdfArgs(Args):
    path: str | None = None
    format: str = "A4"
    landscape: bool = False
    print_background: bool = True

    _p = field_validator("path", mode="before")(_no_path)


@action("browser.pdf", args=PdfArgs, scalar="path")
def pdf(ctx: Any, args: PdfArgs) -> str:
    """Print the page to PDF (headless Chromium): `browser.pdf: "out/{{ key }}.pdf"`."""
    browser = open_browser(ctx)
    dest, artifact = _output(ctx, args.path, f"page-{ctx.index:05d}.pdf", "pdf")
    with guard(ctx, browser, "browser.pdf", timeout_ms=browser.timeout_ms(ctx)):
        browser.page.pdf(path=str(dest), format=args.format, landscape=args.landscape,
                         print_background=args.print_background)
    if artifact:
        ctx.add_artifact(dest, "pdf")
    return ctx.session.relative(dest)
