"""The ERP's HTML, written the way old back-office apps are: server-rendered forms and tables."""

from __future__ import annotations

from html import escape
from typing import Any

CURRENCIES = ("KRW", "USD", "EUR", "CHF", "JPY")
CATEGORIES = ("Goods", "Services", "Office supplies", "Logistics", "Other")
COLUMNS = ("Confirmation", "Invoice no", "Vendor", "Invoice date", "Due date", "PO number", "Currency", "Amount",
           "Category", "Entered by")

STYLE = """body{font-family:Verdana,'NanumGothic',sans-serif;font-size:13px;margin:0;background:#eef}
header{background:#224;color:#fff;padding:6px 12px}header a{color:#cdf;margin-right:12px}
main{padding:12px 18px}table{border-collapse:collapse;background:#fff}td,th{border:1px solid #99a;padding:3px 6px}
th{background:#ccd}.form-error{color:#a00;font-weight:bold}.notice{color:#850}
form.entry label{display:inline-block;width:130px}form.entry div{margin:5px 0}"""


def layout(title: str, body: str, *, user: str | None = None) -> str:
    nav = ""
    if user:
        nav = ('<nav><a href="/">Home</a><a href="/invoices/new">New invoice</a><a href="/invoices">Invoices</a>'
               f'<a href="/logout">Log out</a> <span class="user">Signed in as {escape(user)}</span></nav>')
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)} - ACME ERP</title>"
            f"<style>{STYLE}</style></head><body><header><b>ACME ERP 4.2</b> {nav}</header>"
            f"<main><h1>{escape(title)}</h1>{body}</main></body></html>")


def login(csrf: str, next_url: str, *, message: str = "") -> str:
    notice = f'<p class="notice" role="alert">{escape(message)}</p>' if message else ""
    body = (f'{notice}<form id="login-form" method="post" action="/login">'
            f'<input type="hidden" name="csrf_token" value="{csrf}">'
            f'<input type="hidden" name="next" value="{escape(next_url)}">'
            '<p><label for="user">Username</label> <input id="user" name="username" autocomplete="off"></p>'
            '<p><label for="pw">Password</label> <input id="pw" name="password" type="password"></p>'
            '<p><button type="submit">Sign in</button></p></form>')
    return layout("Sign in", body)


def home(user: str, count: int) -> str:
    body = (f"<p>Welcome, {escape(user)}. {count} invoice(s) in the ledger.</p>"
            '<ul><li><a href="/invoices/new">Enter an invoice</a></li><li><a href="/invoices">Find invoices</a></li>'
            '<li><a href="/invoices/export.csv">Export all invoices (CSV)</a></li></ul>')
    return layout("Home", body, user=user)


def entry_form(*, user: str, csrf: str, ids: dict[str, str], names: dict[str, str],
               values: dict[str, str] | None = None, error: str = "") -> str:
    """The invoice form. Ids and names change with every session: robots must find fields by label."""
    values = values or {}

    def field(key: str, label: str, kind: str = "text", extra: str = "") -> str:
        value = escape(values.get(key, ""))
        return (f'<div><label for="{ids[key]}">{label}</label> '
                f'<input id="{ids[key]}" name="{names[key]}" type="{kind}" value="{value}" {extra}></div>')

    def select(key: str, label: str, options: tuple[str, ...]) -> str:
        chosen = values.get(key, "")
        opts = '<option value="">-- choose --</option>' + "".join(
            f'<option value="{o.upper()[:3]}{i}"{" selected" if chosen == f"{o.upper()[:3]}{i}" else ""}>{o}</option>'
            if key == "category" else f'<option{" selected" if chosen == o else ""}>{o}</option>'
            for i, o in enumerate(options))
        return f'<div><label for="{ids[key]}">{label}</label> <select id="{ids[key]}" name="{names[key]}">{opts}</select></div>'

    problem = f'<p class="form-error" role="alert" data-testid="form-error">{escape(error)}</p>' if error else ""
    body = (f'{problem}<form class="entry" method="post" action="/invoices" autocomplete="off">'
            f'<input type="hidden" name="csrf_token" value="{csrf}">'
            + field("vendor", "Vendor", extra="required")
            + field("invoice_no", "Invoice number", extra="required")
            + field("invoice_date", "Invoice date", "date", "required")
            + field("due_date", "Due date", "date")
            + field("po_number", "PO number")
            + select("currency", "Currency", CURRENCIES)
            + field("amount", "Amount", "number", 'step="0.01" min="0"')
            + select("category", "Category", CATEGORIES)
            + f'<div><label for="{ids["notes"]}">Notes</label> <textarea id="{ids["notes"]}" name="{names["notes"]}">'
            + escape(values.get("notes", "")) + "</textarea></div>"
            + f'<div><label><input type="checkbox" id="{ids["urgent"]}" name="{names["urgent"]}" value="1"'
            + (" checked" if values.get("urgent") else "") + "> Urgent</label></div>"
            '<div><button type="submit" name="action" value="save">Save invoice</button> '
            '<button type="reset">Clear</button></div></form>')
    return layout("New invoice", body, user=user)


def confirmation(user: str, invoice: dict[str, Any]) -> str:
    body = (f'<p class="success">Invoice <b>{escape(invoice["invoice_no"])}</b> from {escape(invoice["vendor"])} '
            f'was saved.</p><p>Confirmation number: <strong class="confirmation-number" '
            f'data-testid="confirmation-number">{invoice["confirmation"]}</strong></p>'
            '<p><a href="/invoices/new">Enter another invoice</a> | <a href="/invoices">Invoice list</a></p>')
    return layout("Invoice saved", body, user=user)


def invoice_list(user: str, rows: list[dict[str, Any]], query: str, total: int) -> str:
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    cells = "".join(
        "<tr>" + "".join(f"<td>{escape(str(r[k]))}</td>" for k in
                         ("confirmation", "invoice_no", "vendor", "invoice_date", "due_date", "po_number",
                          "currency", "amount_text", "category", "entered_by")) + "</tr>" for r in rows)
    body = ('<form method="get" action="/invoices" role="search"><label for="q">Search</label> '
            f'<input id="q" name="q" value="{escape(query)}" placeholder="Vendor, invoice or confirmation no"> '
            '<button type="submit">Search</button></form>'
            f'<p class="count">{len(rows)} of {total} invoice(s)</p>'
            f'<table id="invoice-list"><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>'
            f'<p><a href="/invoices/export.csv?q={escape(query)}" download>Export CSV</a></p>')
    return layout("Invoices", body, user=user)


def error_page(title: str, message: str, *, user: str | None = None) -> str:
    return layout(title, f'<p class="form-error" role="alert">{escape(message)}</p>', user=user)
