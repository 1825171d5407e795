"""Sample invoices as PDFs for the demo, the tests and the benchmark, each with the truth beside it.

`generate(folder)` writes `invoice-001.pdf` ... and `invoice-001.json` (what a correct extraction
yields: see `expected()`). The set is deterministic for a seed (reportlab's invariant mode) and
covers what an inbox really holds: English invoices in three number formats (1,234.56 / 1.234,56 /
1 234,56), Korean invoices (reportlab's built-in CID font: no font file needed) with a faux-bold
vendor name printed twice, a few invoices with a missing field, and one corrupt, one encrypted and
one empty (zero pages) file.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KOREAN_FONT = "HYGothic-Medium"
PASSWORD = "retake-secret"

# Each cycle of 12 invoices: position -> what is special about it (1-based).
SPECIAL = {4: "corrupt", 7: "encrypted", 10: "empty"}
MISSING = {6: "po_number", 11: "due_date"}

LABELS = {
    "en": {"title": "INVOICE", "vendor": "Vendor", "invoice_no": "Invoice no", "date": "Date",
           "po_number": "PO number", "due_date": "Due date", "currency": "Currency", "total": "Total",
           "columns": ("Description", "Qty", "Unit price", "Amount")},
    "ko": {"title": "거래명세서", "vendor": "공급자", "invoice_no": "송장 번호", "date": "날짜",
           "po_number": "발주 번호", "due_date": "지급 기한", "currency": "통화", "total": "합계",
           "columns": ("품목", "수량", "단가", "금액")},
}

# style -> (currency, decimal places, thousands sep, decimal sep, date format, due date format)
STYLES = {
    "us": ("USD", 2, ",", ".", "%Y-%m-%d", "%Y-%m-%d"),
    "de": ("EUR", 2, ".", ",", "%d.%m.%Y", "%d.%m.%Y"),
    "fr": ("CHF", 2, " ", ",", "%d %b %Y", "%d %b %Y"),
    "ko": ("KRW", 0, ",", ".", "%Y년 %m월 %d일", "%Y.%m.%d"),
}
NUMBER_FORMATS = {"us": "1,234.56", "de": "1.234,56", "fr": "1 234,56", "ko": "1,234,567"}

VENDORS = {
    "en": ["Acme Trading Co.", "Northwind Supplies Ltd", "Globex Office GmbH", "Initech Services SA",
           "Blue Harbor Logistics", "Helvetia Paper AG"],
    "ko": ["주식회사 한빛상사", "대한물산(주)", "서울오피스 주식회사", "미래로지스틱스", "푸른종이 주식회사"],
}
GOODS = {
    "en": ["Office chair", "A4 copy paper (box)", "Toner cartridge", "Standing desk", "USB-C dock",
           "Monitor 27 inch", "Filing cabinet", "Desk lamp", "Whiteboard markers", "Shipping labels"],
    "ko": ["사무용 의자", "A4 복사용지 (박스)", "토너 카트리지", "높이조절 책상", "모니터 27인치",
           "서류 캐비닛", "책상 조명", "화이트보드 마커", "택배 라벨", "회의실 의자"],
}


@dataclass(frozen=True)
class Plan:
    number: int
    kind: str  # ok, corrupt, encrypted, empty
    language: str
    style: str
    missing: tuple[str, ...]


def plan(index: int, *, specials: bool = True) -> Plan:
    """What invoice number `index` (1-based) will be."""
    position = (index - 1) % 12 + 1
    kind = SPECIAL.get(position, "ok") if specials else "ok"
    language = "ko" if position % 3 == 2 else "en"
    style = "ko" if language == "ko" else ("us", "de", "fr")[(index - 1) // 3 % 3]
    missing = (MISSING[position],) if specials and position in MISSING else ()
    return Plan(index, kind, language, style, missing)


def generate(folder: Path, *, count: int = 12, seed: int = 7, specials: bool = True,
             max_lines: int = 6) -> list[Path]:
    """Write `count` invoices (and their expected JSON) into `folder`; returns the PDF paths.

    `specials=False` makes only good invoices (the benchmark); `max_lines` bounds the line items.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for index in range(1, count + 1):
        spec = plan(index, specials=specials)
        data = _invoice_data(spec, rng, max_lines=max_lines)
        path = folder / f"invoice-{index:03d}.pdf"
        _write(path, spec, data)
        truth = {"file": path.name, "kind": spec.kind, "language": spec.language,
                 "number_format": NUMBER_FORMATS[spec.style],
                 "error": None if spec.kind == "ok" else spec.kind,
                 "fields": data["fields"] if spec.kind == "ok" else None,
                 "lines": data["lines"] if spec.kind == "ok" else None,
                 "missing": list(spec.missing)}
        path.with_suffix(".json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
        paths.append(path)
    return paths


def expected(path: Path) -> dict[str, Any]:
    """The truth about a generated invoice, read from the JSON beside it."""
    return json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8"))


def _invoice_data(spec: Plan, rng: random.Random, *, max_lines: int) -> dict[str, Any]:
    currency, places = STYLES[spec.style][:2]
    issued = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(0, 300))
    lines = []
    for description in rng.sample(GOODS[spec.language], rng.randint(2, max(2, min(max_lines, 10)))):
        qty = rng.randint(1, 20)
        if places:
            unit = round(rng.uniform(4, 2500), 2)
            amount = round(qty * unit, 2)
        else:
            unit = rng.randrange(1_000, 2_500_000, 100)
            amount = qty * unit
        lines.append({"description": description, "qty": qty, "unit_price": unit, "amount": amount})
    total = round(sum(line["amount"] for line in lines), places) if places else sum(l["amount"] for l in lines)
    fields = {
        "invoice_no": f"{'INV' if spec.language == 'en' else 'KR'}-{issued.year}-{spec.number:04d}",
        "date": issued.isoformat(),
        "vendor": rng.choice(VENDORS[spec.language]),
        "po_number": f"PO-{rng.randint(10000, 99999)}",
        "currency": currency,
        "total": total,
        "due_date": (issued + dt.timedelta(days=rng.choice((14, 30, 45, 60)))).isoformat(),
    }
    for name in spec.missing:
        fields[name] = None
    return {"fields": fields, "lines": lines}


def money(value: float, style: str) -> str:
    """`value` written the way invoices in `style` write numbers."""
    _, places, thousands, decimal = STYLES[style][:4]
    text = f"{value:,.{places}f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def _date(iso: str, fmt: str) -> str:
    day = dt.date.fromisoformat(iso)
    if "년" in fmt:  # Korean dates are written without leading zeros
        return f"{day.year}년 {day.month}월 {day.day}일"
    return day.strftime(fmt)


def _write(path: Path, spec: Plan, data: dict[str, Any]) -> None:
    from reportlab.pdfgen.canvas import Canvas

    if spec.kind == "corrupt":
        _draw_invoice(path, spec, data)
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 3])  # cut short: no cross-reference table, no trailer
        return
    if spec.kind == "empty":
        Canvas(str(path), invariant=1).save()  # a PDF with zero pages
        return
    _draw_invoice(path, spec, data, password=PASSWORD if spec.kind == "encrypted" else None)


def _draw_invoice(path: Path, spec: Plan, data: dict[str, Any], *, password: str | None = None) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Table, TableStyle

    korean = spec.language == "ko"
    if korean:
        pdfmetrics.registerFont(UnicodeCIDFont(KOREAN_FONT))
    font, bold = (KOREAN_FONT, KOREAN_FONT) if korean else ("Helvetica", "Helvetica-Bold")
    labels, fields = LABELS[spec.language], data["fields"]
    date_fmt, due_fmt = STYLES[spec.style][4:6]
    encrypt = StandardEncryption(password, ownerPassword=password + "-owner") if password else None
    canvas = Canvas(str(path), pagesize=A4, invariant=1, encrypt=encrypt)
    canvas.setTitle(f"{labels['title']} {fields['invoice_no']}")
    width, height = A4

    canvas.setFont(bold, 20)
    canvas.drawString(50, height - 60, labels["title"])
    # Vendor: the label, and the name on the line below it (an anchor "below").
    canvas.setFont(bold, 10)
    canvas.drawString(50, height - 95, labels["vendor"])
    canvas.setFont(bold if not korean else font, 12)
    canvas.drawString(50, height - 112, fields["vendor"])
    if korean:  # faux bold: the name printed again a hair to the right, as Korean office software does
        canvas.drawString(50.25, height - 112, fields["vendor"])

    # Header fields: "Label: value" pairs in two columns (an anchor "right of").
    canvas.setFont(font, 10)
    left = [("invoice_no", fields["invoice_no"]), ("po_number", fields["po_number"]),
            ("currency", fields["currency"])]
    right = [("date", _date(fields["date"], date_fmt)),
             ("due_date", fields["due_date"] and _date(fields["due_date"], due_fmt))]
    for column_x, pairs in ((50, left), (320, right)):
        y = height - 150
        for name, value in pairs:
            if value is None:
                continue  # a missing field: neither label nor value is printed
            canvas.drawString(column_x, y, f"{labels[name]}: {value}")
            y -= 16

    # Line items: a ruled table (pdfplumber's "lines" strategy finds it).
    rows = [list(labels["columns"])]
    for line in data["lines"]:
        rows.append([line["description"], str(line["qty"]), money(line["unit_price"], spec.style),
                     money(line["amount"], spec.style)])
    table = Table(rows, colWidths=[230, 50, 105, 110])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTNAME", (0, 0), (-1, 0), bold),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
    ]))
    _, table_height = table.wrapOn(canvas, width, height)
    top = height - 215
    table.drawOn(canvas, 50, top - table_height)

    total = money(fields["total"], spec.style)
    total = f"{total}원" if korean else f"{fields['currency']} {total}"
    canvas.setFont(bold, 11)
    canvas.drawString(330, top - table_height - 25, f"{labels['total']}: {total}")
    canvas.setFont(font, 8)
    canvas.drawString(50, 40, "Generated by Retake's sample back office." if not korean
                      else "Retake 예제 문서입니다.")
    canvas.showPage()
    canvas.save()
