"""`retake validate`: every mistake is reported with its file, line and column, and nothing runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from orchestrator.errors import ConfigError
from orchestrator.loader import load_project


def problems_of(root) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    return [str(p) for p in caught.value.problems]


CASES = {
    "yaml syntax": ("""\
        robots:
          greet:
            steps:
              - log: "unclosed
        """, "robots.yaml:11:", "YAML syntax error"),
    "unknown key with suggestion": ("""\
        robots:
          greet:
            manual_minutes: 1
            retyr: {attempts: 2}
            steps: [{log: hi}]
        """, "robots.yaml:10:5:", "unknown key 'retyr' (did you mean 'retry'?)"),
    "unknown action": ("""\
        robots:
          greet:
            steps:
              - lgo: hello
        """, "robots.yaml:10:9:", "unknown action 'lgo' (did you mean 'log'?)"),
    "two actions in one step": ("""\
        robots:
          greet:
            steps:
              - log: hi
                sleep: 1s
        """, "robots.yaml:10:9:", "one action per step, this one has 2: log, sleep"),
    "step without action": ("""\
        robots:
          greet:
            steps:
              - id: lonely
        """, "robots.yaml:10:9:", "this step has no action"),
    "undeclared input": ("""\
        robots:
          greet:
            inputs: {who: {default: world}}
            steps:
              - log: "Hello {{ inputs.whom }}"
        """, "robots.yaml:11:14:", "input 'whom' is not declared (did you mean 'who'?)"),
    "expression syntax": ("""\
        robots:
          greet:
            steps:
              - log: "{{ 1 + }}"
        """, "robots.yaml:10:14:", "expression syntax error"),
    "bad duration": ("""\
        robots:
          greet:
            steps:
              - sleep: 1s
                timeout: 5 parsecs
        """, "robots.yaml:11:18:", "'5 parsecs' is not a duration"),
    "duplicate key": ("""\
        robots:
          greet:
            steps: [{log: a}]
            steps: [{log: b}]
        """, "robots.yaml:10:5:", "duplicate key 'steps'"),
    "unknown argument": ("""\
        robots:
          mover:
            steps:
              - files.move: {src: a.txt, dst: b/}
        """, "robots.yaml:10:34:", "files.move has no argument 'dst' (did you mean 'dest'?)"),
    "missing argument": ("""\
        robots:
          mover:
            steps:
              - files.move: {src: a.txt}
        """, "robots.yaml:10:21:", "files.move needs argument 'dest'"),
    "undeclared secret": ("""\
        robots:
          login:
            steps:
              - log: "{{ secrets.ERP_PASSWORD }}"
        """, "robots.yaml:10:14:", "secret 'ERP_PASSWORD' is not declared"),
    "unknown step id": ("""\
        robots:
          chain:
            steps:
              - id: read
                log: a
              - log: "{{ steps.raed }}"
        """, "robots.yaml:12:14:", "no earlier step has id 'raed' (did you mean 'read'?)"),
    "wrong type": ("""\
        robots:
          greet:
            manual_minutes: lots
            steps: [{log: hi}]
        """, "robots.yaml:9:21:", "manual_minutes: Input should be a valid number"),
    "no steps": ("""\
        robots:
          empty:
            description: nothing to do
        """, "robots.yaml:8:3:", "missing required key 'steps'"),
    "bad time zone": ("", "robots.yaml:3:11:", "unknown time zone 'Mars/Olympus'"),
    "misspelt locator key": ("""\
        robots:
          web:
            steps:
              - browser.click: {rol: button, name: Save}
        """, "robots.yaml:10:25:", ("browser.click: locator {rol: 'button', name: 'Save'}: unknown key 'rol' "
                                    "(did you mean 'role'?)")),
    "misspelt argument beside a locator": ("""\
        robots:
          web:
            steps:
              - browser.click: {locator: "#save", buton: left}
        """, "robots.yaml:10:43:", "browser.click has no argument 'buton' (did you mean 'button'?)"),
    "misspelt argument read as a locator": ("""\
        robots:
          web:
            steps:
              - browser.click: {locatr: "#save"}
        """, "robots.yaml:10:25:", "browser.click has no argument 'locatr' (did you mean 'locator'?)"),
    "scalar given to an action that takes a mapping": ("""\
        robots:
          mover:
            steps:
              - files.move: a.txt
        """, "robots.yaml:10:21:", "files.move takes a mapping of arguments (src, dest, overwrite), not str"),
    "unknown role": ("""\
        robots:
          web:
            steps:
              - browser.click: {role: buton, name: Save}
        """, "robots.yaml:10:31:", "unknown role 'buton' (did you mean 'button'?)"),
    "argument of the wrong type": ("""\
        robots:
          web:
            steps:
              - browser.click: {locator: "#save", count: many}
        """, "robots.yaml:10:50:", "browser.click: count: Input should be a valid integer"),
    "missing required argument of a browser action": ("""\
        robots:
          web:
            steps:
              - browser.fill: {value: 3}
        """, "robots.yaml:10:23:", "browser.fill needs argument 'locator'"),
    "misspelt choice": ("""\
        robots:
          web:
            steps:
              - browser.goto: {url: /x, wait_until: networkidel}
        """, "robots.yaml:10:45:", ("browser.goto: wait_until: Input should be 'load', 'domcontentloaded', "
                                    "'networkidle' or 'commit' (did you mean 'networkidle'?)")),
    "bad locator inside a fallback list": ("""\
        robots:
          web:
            steps:
              - browser.wait_for:
                  - "#done"
                  - {css: tr, has_text: ACME, within: {lable: Orders}}
        """, "robots.yaml:12:48:", "unknown key 'lable' (did you mean 'label'?)"),
    "bad locator in on_failure": ("""\
        robots:
          web:
            steps: [{log: hi}]
            on_failure:
              - browser.screenshot: {locator: {css: main, nth: first}}
        """, "robots.yaml:11:56:", "nth is a whole number (0 is the first, -1 the last), not 'first'"),
    "misspelt argument of an action given a mapping as its value": ("""\
        robots:
          lister:
            steps:
              - files.list: {dri: inbox}
        """, "robots.yaml:10:22:", "files.list has no argument 'dri' (did you mean 'dir'?)"),
    "bad locator in a fill_form fields list": ("""\
        robots:
          web:
            steps:
              - browser.fill_form:
                  fields: [{locator: {rol: textbox}, value: ACME}]
                  submit: Save
        """, "robots.yaml:11:", "unknown key 'rol' (did you mean 'role'?)"),
    "misspelled key inside a browser option": ("""\
        robots:
          intranet:
            secrets: [P]
            browser: {http_credentials: {user: clerk, password: "{{ secrets.P }}"}}
            steps: [{browser.goto: "http://intranet/"}]
        """, "robots.yaml:10:", "unknown key of browser.http_credentials 'user' (did you mean 'username'?); "
                               "allowed: username, password"),
    "rule across arguments": ("""\
        robots:
          checker:
            steps:
              - table.validate: {rows: [], unique: []}
        """, "robots.yaml:10:25:", "table.validate: say what a valid row is"),
    "a word for a duration": ("""\
        robots:
          waiter:
            steps:
              - sleep: forever
        """, "robots.yaml:10:16:", "'forever' is not a duration: write it like 500ms"),
    "a where condition written as an expression": ("""\
        robots:
          picker:
            steps:
              - table.filter: {rows: [{amount: 9}], where: "{{ amount > 5 }}"}
        """, "robots.yaml:10:52:", ('reads \'amount\', not defined before the step: write the condition without '
                                    '{{ }} (where: "amount > 5")')),
    "a regular expression in double quotes": ("""\
        robots:
          reader:
            steps:
              - pdf.extract: {file: a.pdf, fields: {po: {regex: "PO-\\d+"}}}
        """, "robots.yaml:10:", ("found unknown escape character 'd'; in double quotes YAML reads \\d as an escape: "
                                 "write regular expressions in single quotes: '\\d+'")),
    "a bad regular expression is shown as written": ("""\
        robots:
          reader:
            steps:
              - pdf.extract: {file: a.pdf, fields: {po: {regex: 'PO-(\\d{5}'}}}
        """, "robots.yaml:10:", "regex 'PO-(\\d{5}' is not a valid regular expression"),
    "a column name YAML reads as a boolean": ("""\
        robots:
          picker:
            steps:
              - table.filter: {rows: [], columns: [No, qty]}
        """, "robots.yaml:10:44:", 'table.filter: columns: YAML read No as false, not as text: write it in quotes ("No")'),
    "a field name YAML reads as a boolean": ("""\
        robots:
          reader:
            steps:
              - pdf.extract:
                  file: a.pdf
                  tables: {lines: {columns: {qty: 0, off: 1}}}
        """, "robots.yaml:12:46:", ('pdf.extract: tables.lines.columns: YAML read off as false, not as text: '
                                    'write it in quotes ("off")')),
    "two names YAML reads as the same boolean": ("""\
        robots:
          picker:
            steps:
              - table.validate: {rows: [], columns: {no: {required: true}, off: {required: true}}}
        """, "robots.yaml:10:68:", ('duplicate key: YAML read off as false, not as text: write it in quotes ("off"), '
                                    'as an earlier key')),
    "an input name YAML reads as a boolean": ("""\
        robots:
          greet:
            inputs: {yes: 1}
            steps: [{log: hi}]
        """, "robots.yaml:9:14:", 'inputs: YAML read yes as true, not as text: write it in quotes ("yes")'),
    "a robot name YAML reads as a boolean": ("""\
        robots:
          on:
            steps: [{log: hi}]
          off:
            steps: [{log: hi}]
        """, "robots.yaml:10:3:", 'a robot name is text: YAML read off as false, not as text: write it in quotes ("off")'),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_kind_of_mistake_is_reported_at_its_place(make_project, case):
    body, where, message = CASES[case]
    head = None
    if case == "bad time zone":
        head = "version: 1\nproject: x\ntimezone: Mars/Olympus\nrobots:\n  ok:\n    steps: [{log: hi}]\n\n"
    root = make_project(body, head=head) if head else make_project(body)
    found = problems_of(root)
    assert any(p.startswith(where) and message in p for p in found), found


def test_mistakes_in_included_files_name_that_file(make_project):
    root = make_project("include: [robots/*.yaml]\nrobots:\n  greet:\n    steps: [{log: hi}]\n", files={
        "robots/extra.yaml": """\
            robots:
              greet:
                steps: [{log: again}]
              other:
                steps:
                  - fial: oops
            schedules:
              nightly: {robot: gret, cron: "0 2 * * *"}
            """})
    found = problems_of(root)
    assert any(p.startswith("robots/extra.yaml:2:3:") and "already defined in robots.yaml" in p for p in found)
    assert any(p.startswith("robots/extra.yaml:6:9:") and "unknown action 'fial' (did you mean 'fail'?)" in p
               for p in found)
    assert any(p.startswith("robots/extra.yaml:8:") and "unknown robot 'gret' (did you mean 'greet'?)" in p
               for p in found)


def test_all_problems_are_listed_not_only_the_first(make_project):
    root = make_project("""\
        robots:
          a:
            steps: [{lgo: x}]
          b:
            manual_minutes: -1
            steps: [{log: hi}]
          c:
            steps: [{log: "{{ inputs.nope }}"}]
        """)
    assert len(problems_of(root)) >= 3


def test_a_robot_level_mistake_does_not_hide_the_step_mistakes_below_it(make_project):
    found = problems_of(make_project("""\
        robots:
          reader:
            manual_minutes: many
            inputs: {inbox: {type: folder}}
            steps:
              - pdf.text: {file: "{{ inputs.inbox }}/a.pdf", layout: maybe}
              - lgo: hi
                timeout: 5 parsecs
        schedules:
          nightly:
            robot: reader
            misfire: sometimes
            cron: "61 2 * * *"
        """))
    assert any(p.startswith("robots.yaml:9:21:") and "manual_minutes" in p for p in found), found
    assert any(p.startswith("robots.yaml:10:") and "type: Input should be" in p for p in found), found
    assert any(p.startswith("robots.yaml:12:") and "pdf.text: layout: Input should be a valid boolean" in p
               for p in found), found
    assert any(p.startswith("robots.yaml:13:") and "unknown action 'lgo'" in p for p in found), found
    assert any(p.startswith("robots.yaml:14:") and "'5 parsecs' is not a duration" in p for p in found), found
    assert any(p.startswith("robots.yaml:18:") and "misfire" in p for p in found), found
    assert any(p.startswith("robots.yaml:19:") and "cron '61 2 * * *' is not valid" in p for p in found), found
    assert not any("unknown robot" in p or "input 'inbox' is not declared" in p for p in found), found


def test_a_where_condition_that_reads_declared_names_may_be_an_expression(make_project):
    load_project(make_project("""\
        robots:
          picker:
            inputs: {condition: "amount > 5", least: 1}
            steps:
              - set: {limit: 3}
              - table.filter: {rows: [{amount: 9}], where: "{{ inputs.condition }}"}
              - table.filter: {rows: [{amount: 9}], where: "{{ limit > inputs.least }}"}
              - table.filter: {rows: [{amount: 9}], where: "amount > 5"}
        """))


def test_validate_command_exits_2_with_one_line_per_problem(make_project):
    root = make_project("robots:\n  a:\n    steps: [{lgo: x}, {log: '{{ inputs.y }}'}]\n")
    done = subprocess.run([sys.executable, "-m", "orchestrator", "validate", "--project", str(root)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("robots.yaml:")]
    assert len(lines) == 2 and all(line.count(":") >= 3 for line in lines)


def test_a_robot_that_does_not_validate_never_starts(make_project, embedded):
    root = make_project("robots:\n  bad:\n    steps: [{lgo: x}]\n  good:\n    steps: [{log: hi}]\n")
    done = subprocess.run([sys.executable, "-m", "orchestrator", "run", "good", "--project", str(root)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "unknown action 'lgo'" in done.stderr
    assert not (root / ".retake" / "retake.db").exists()


def test_a_valid_project_passes(make_project):
    root = make_project("robots:\n  greet:\n    inputs: {who: world}\n    steps: [{log: 'hi {{ inputs.who }}'}]\n")
    done = subprocess.run([sys.executable, "-m", "orchestrator", "validate", "--project", str(root)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 robot(s)" in done.stdout


def test_templated_arguments_are_left_for_run_time(make_project):
    root = make_project("""\
        robots:
          web:
            inputs: {role: button, n: 2, column: 0, pattern: "^A"}
            steps:
              - browser.click: {role: "{{ inputs.role }}", name: "{{ item }}", nth: "{{ inputs.n }}"}
              - browser.click: {locator: "{{ item }}", count: "{{ inputs.n }}", button: "{{ inputs.role }}"}
              - browser.fill: "{{ vars.fill_args }}"
              - browser.wait_for: ["#done", {label: "{{ item }}", exact: "{{ inputs.n > 1 }}"}]
              - pdf.extract:
                  file: "{{ item }}"
                  fields: {total: {regex: "{{ inputs.pattern }}(", type: number}}
                  tables: {lines: {header: false, columns: {qty: "{{ inputs.column }}"}}}
                  required: ["{{ inputs.pattern }}"]
              - table.validate: {row: "{{ item }}", columns: {id: {pattern: "{{ inputs.pattern }}["}}}
              - table.filter: "{{ vars.rows }}"
        """)
    load_project(root)


def test_a_templated_value_does_not_hide_the_plain_mistakes_beside_it(make_project):
    found = problems_of(make_project("""\
        robots:
          web:
            steps:
              - browser.click: {locator: "{{ item }}", count: many, buton: left}
        """))
    assert len(found) == 2, found
    assert any(p.startswith("robots.yaml:10:55:") and "count: Input should be a valid integer" in p for p in found)
    assert any(p.startswith("robots.yaml:10:61:") and "no argument 'buton' (did you mean 'button'?)" in p
               for p in found)


def test_every_action_accepts_the_example_in_its_own_description():
    """Each action module goes through the generic check: its documented example passes it."""
    import re

    import yaml

    from orchestrator.actions import registry
    from orchestrator.argchecks import arg_problems

    checked = 0
    for name, spec in registry().items():
        for example in re.findall(r"`" + re.escape(name) + r": ([^`]+)`", spec.doc):
            if "..." not in example:
                assert arg_problems(spec, yaml.safe_load(example)) == [], (name, example)
                checked += 1
    assert checked >= 30


def test_a_wrong_role_fails_at_run_time_too():
    from orchestrator.actions import get
    from orchestrator.errors import BusinessError

    with pytest.raises(BusinessError, match=r"unknown role 'buton' \(did you mean 'button'\?\)"):
        get("browser.click").bind({"role": "buton", "name": "Save"})
    assert get("browser.click").bind({"role": "Button", "name": "Save"}).locator["role"] == "Button"


def test_a_robot_with_a_misspelt_locator_never_starts(make_project, embedded):
    root = make_project("robots:\n  web:\n    steps:\n      - browser.click: {lable: Save}\n")
    done = subprocess.run([sys.executable, "-m", "orchestrator", "run", "web", "--project", str(root)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "robots.yaml:10:25: browser.click: locator {lable: 'Save'}: unknown key 'lable' (did you mean 'label'?)" \
        in done.stderr
    assert not (root / ".retake" / "retake.db").exists()


def test_the_robots_shipped_with_retake_validate_clean():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "orchestrator", "validate", "--project", str(root)],
                          capture_output=True, text=True, cwd=root, check=False)
    assert done.returncode == 0, done.stderr
    assert len(load_project(root).spec.robots) >= 4


def test_top_level_x_keys_hold_yaml_anchors_and_are_not_read(make_project):
    root = make_project("""
include: [robots/*.yaml]
x-greeting: &greeting {log: "hello"}
robots:
  first:
    steps: [*greeting]
""", files={"robots/more.yaml": """\
        x-step: &step {log: "again"}
        robots:
          second:
            steps: [*step, *step]
        """})
    robots = load_project(root).spec.robots  # no ConfigError
    assert [s.args for s in robots["first"].steps + robots["second"].steps] == ["hello", "again", "again"]


def test_a_locator_s_keys_may_stand_beside_the_action_s_own_arguments(make_project):
    root = make_project("""
robots:
  boxes:
    steps:
      - browser.check: {label: Urgent, checked: false}
      - browser.click: {role: button, name: Save, count: 2}
      - browser.fill: {label: Password, value: x}
""")
    steps = load_project(root).spec.robots["boxes"].steps  # no ConfigError
    from orchestrator import actions

    bound = [actions.get(s.action).bind(s.args) for s in steps]
    assert [b.locator for b in bound] == [{"label": "Urgent"}, {"role": "button", "name": "Save"}, {"label": "Password"}]
    assert (bound[0].checked, bound[1].count, bound[2].value) == (False, 2, "x")


def test_a_currency_must_be_an_iso_4217_code_and_is_written_in_capitals(make_project):
    root = make_project("robots:\n  a:\n    steps: [{log: hi}]\n",
                        head="version: 1\nproject: p\neconomics: {currency: EURO, hourly_cost: 40}\n")
    assert problems_of(root) == ["robots.yaml:3:23: currency: 'EURO' is not an ISO 4217 currency code (did you mean "
                                 "EUR, YER, RON?): write the three letters, such as KRW, USD or EUR"]
    root = make_project("robots:\n  a:\n    steps: [{log: hi}]\n",
                        head="version: 1\nproject: p\neconomics: {currency: krw, hourly_cost: 40}\n")
    assert load_project(root).spec.economics.currency == "KRW"


def test_the_editor_schema_accepts_the_robot_files_as_written_and_refuses_mistakes(tmp_path):
    """`retake schema` is for editors' YAML plugins: it must accept `- log: hi` and `timeout: 10m`, which
    pydantic's own schema (steps as {action, args}, durations as seconds) refused in every robot file."""
    import glob
    import json
    import os

    import jsonschema_rs
    import yaml

    schema = json.loads(subprocess.run([sys.executable, "-m", "orchestrator", "schema"], capture_output=True,
                                       text=True, check=True).stdout)
    check = jsonschema_rs.validator_for(schema)

    def read(path):  # as an editor reads YAML 1.2: `on:` is the key "on"
        data = yaml.safe_load(open(path, encoding="utf-8"))
        fix = lambda o: ({("on" if k is True else k): fix(v) for k, v in o.items()} if isinstance(o, dict)  # noqa: E731
                         else [fix(v) for v in o] if isinstance(o, list) else o)
        return fix(data)

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-m", "orchestrator", "init", str(tmp_path / "ops")], check=True,
                   capture_output=True)
    files = [f for folder in (repo, str(tmp_path / "ops"))
             for f in [os.path.join(folder, "robots.yaml"), *glob.glob(os.path.join(folder, "robots", "*.yaml")),
                       *glob.glob(os.path.join(folder, "schedules", "*.yaml"))]]
    assert len(files) >= 7
    for path in files:
        assert [e.message for e in check.iter_errors(read(path))] == [], path
    assert [e.message for e in check.iter_errors({"x-login": [{"log": "in"}], "robots": {}})] == []  # anchors
    wrong = {"robots": {"r": {"timeout": "ten minutes", "steps": [{"log": "hi"}, {"browser.clik": "#save"}],
                              "inputs": {"who": "world"}, "alerts": {"success_rate_below": "90%"}}}}
    errors = [e.message for e in check.iter_errors(wrong)]
    assert any("ten minutes" in m for m in errors) and any("browser.clik" in m for m in errors), errors
    assert not any("world" in m or "90%" in m for m in errors), errors  # a shorthand input, a percentage as text


def test_a_mapping_key_yaml_read_as_a_boolean_is_named_when_an_action_binds_its_arguments() -> None:
    """`params: {no: ...}` in a templated step is checked at run time: the message names YAML's trick."""
    import connectors  # noqa: F401 - registers the actions
    from orchestrator import actions
    from orchestrator.errors import BusinessError

    with pytest.raises(BusinessError, match=r"YAML read no as false, not as text: write it in quotes"):
        actions.get("sql.execute").bind({"url": "sqlite:///x.db", "sql": "select 1", "params": {False: "PO-1"}})
