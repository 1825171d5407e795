"""retake init: a new project folder with a manifest, a first robot, sample data and a schedule."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestrator.cli import app
from orchestrator.cli.common import fail

MANIFEST = """\
# Retake project manifest: settings, economics, robots, and the files that hold more of them.
# The YAML is described in docs/robots.md; `retake validate` checks it, `retake schema` prints its schema.
version: 1
project: {name}
timezone: {timezone}
economics:
  currency: {currency}
  hourly_cost: {hourly}{hourly_pad}# loaded cost of one hour of manual work: set your own
  robot_hourly_cost: {robot}{robot_pad}# what one robot hour costs
defaults:
  retry: {{attempts: 3, backoff: 2s, max_backoff: 1m}}
  timeout: 30m
include: ["robots/*.yaml", "schedules/*.yaml"]
robots:
  hello:
    description: The smallest robot
    manual_minutes: 1
    inputs:
      who: {{default: world}}
    steps:
      - log: "Hello {{{{ inputs.who }}}}"
"""

ORDERS_ROBOT = """\
# One item per row of a sheet: check it, then record the accepted ones.
robots:
  check_orders:
    description: Check each order of data/orders.csv and add the accepted ones to out/accepted-RUN_ID.csv
    manual_minutes: 4           # what one order costs a person by hand
    exception_minutes: 3        # what a rejected order costs a person to sort out
    inputs:
      sheet: {default: data/orders.csv, type: path}
    items: "{{ read_table(inputs.sheet) }}"
    item_key: "{{ item.order }}"
    steps:
      - if: "{{ item.quantity | int <= 0 }}"
        fail: "order {{ item.order }}: the quantity must be positive, not {{ item.quantity }}"
      - log: "order {{ item.order }}: {{ item.quantity }} x {{ item.product }} for {{ item.customer }}"
      - table.write:
          rows: ["{{ item }}"]
          path: "out/accepted-{{ run.id }}.csv"
          append: true
"""

ORDERS = """\
order,customer,product,quantity
A-1001,Hanbit Trading,Paper A4,10
A-1002,Globex,Toner,2
A-1003,Initech,Stapler,0
"""

SCHEDULE = """\
# Check the orders at 09:00 on working days; `retake schedules --next 5` shows the next firings.
schedules:
  morning_orders:
    robot: check_orders
    cron: "0 9 * * mon-fri"
    timezone: {timezone}
    calendar: {{holidays: {country}, skip_weekends: true}}
"""


# A typical loaded cost of an hour of office work, in round numbers of each currency (about 40 US dollars),
# so that a first report reads sensibly before the project sets its own; other currencies get 40.
HOURLY = {"USD": 40, "EUR": 40, "GBP": 35, "CHF": 50, "CAD": 55, "AUD": 60, "NZD": 65, "SGD": 55, "HKD": 300,
          "KRW": 50000, "JPY": 5000, "CNY": 250, "TWD": 1200, "INR": 1500, "IDR": 300000, "VND": 500000,
          "THB": 700, "PHP": 1000, "MYR": 150, "BRL": 150, "MXN": 500, "SEK": 400, "NOK": 400, "DKK": 300,
          "PLN": 150, "CZK": 900, "HUF": 14000, "TRY": 1000, "ZAR": 500, "AED": 150, "SAR": 150, "ILS": 150}


def economics(currency: str) -> dict[str, str]:
    """The manifest's hourly costs for `currency`: the robot hour at a fortieth of a person's."""
    hourly = HOURLY.get(currency.upper(), 40)
    robot = hourly // 40 if hourly >= 80 else 1
    return {"hourly": str(hourly), "hourly_pad": " " * max(1, 14 - len(str(hourly))),
            "robot": str(robot), "robot_pad": " " * max(1, 8 - len(str(robot)))}


@app.command()
def init(
    directory: str = typer.Argument(".", help="Folder of the new project (created when missing)."),
    name: str = typer.Option(None, "--name", help="Project name (default: the folder's name)."),
    timezone: str = typer.Option("UTC", "--timezone", help="IANA time zone, e.g. Asia/Seoul."),
    country: str = typer.Option("US", "--country", help="Country of the business calendar (ISO code)."),
    currency: str = typer.Option("USD", "--currency", help="Currency of the savings figures."),
) -> None:
    """Start a project: robots.yaml, a first robot with sample data, a schedule and a .gitignore."""
    root = Path(directory).resolve()
    if (root / "robots.yaml").exists():
        fail(f"{root / 'robots.yaml'} exists already: this folder is a project (use another folder)")
    files = {
        "robots.yaml": MANIFEST.format(name=name or root.name, timezone=timezone, currency=currency.upper(),
                                       **economics(currency)),
        "robots/check_orders.yaml": ORDERS_ROBOT,
        "data/orders.csv": ORDERS,
        "schedules/morning.yaml": SCHEDULE.format(timezone=timezone, country=country),
        ".gitignore": ".retake/\nout/\n",
    }
    for relative, text in files.items():
        path = root / relative
        if path.exists():
            print(f"kept     {relative} (exists)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"created  {relative}")
    print(f"\nNext: cd {directory} && retake validate && retake run check_orders && retake report")
