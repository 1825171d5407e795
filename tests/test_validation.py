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
