"""Expressions run in Jinja2's sandbox: native values, and no way out to Python, files or the environment."""

from __future__ import annotations

import pytest

from orchestrator.errors import BusinessError
from orchestrator.expressions import evaluate

ESCAPES = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__bases__[0] }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ item.__class__.__init__.__globals__ }}",
    "{{ run.items.__self__ }}",
    "x {{ ''.__class__ }} y",
]


@pytest.mark.parametrize("text", ESCAPES)
def test_the_sandbox_refuses_python_internals(text):
    with pytest.raises(BusinessError):
        evaluate(text, {"item": {"a": 1}, "run": {"id": "r"}})


@pytest.mark.parametrize("text", ["{{ open('/etc/passwd').read() }}", "{{ environ }}", "{{ os.environ }}",
                                  "{{ import('os') }}", "{{ __import__('os') }}"])
def test_no_files_and_no_environment_are_reachable(text):
    with pytest.raises(BusinessError):
        evaluate(text, {})


def test_a_whole_expression_keeps_its_native_type():
    assert evaluate("{{ [1, 2] + more }}", {"more": [3]}) == [1, 2, 3]
    assert evaluate("{{ n * 2 }}", {"n": 21}) == 42
    assert evaluate("{{ d }}", {"d": {"a": 1}}) == {"a": 1}


def test_mixed_text_renders_to_a_string_and_structures_are_walked():
    assert evaluate("Hello {{ who }}!", {"who": "Ops"}) == "Hello Ops!"
    assert evaluate({"a": ["{{ x }}", "plain"]}, {"x": 5}) == {"a": [5, "plain"]}


def test_an_undefined_name_is_a_clear_business_error():
    with pytest.raises(BusinessError, match="'item' is undefined|has no attribute 'amount'"):
        evaluate("{{ item.amount }}", {"item": {}})


def test_files_function_cannot_leave_the_project(make_project, embedded):
    from orchestrator.submit import run_embedded
    from orchestrator.loader import load_project

    root = make_project("""\
        robots:
          peek:
            items: "{{ files('../..', '*') }}"
            steps: [{log: "{{ item }}"}]
        """)
    run = run_embedded(load_project(root), "peek", {})
    assert run["status"] == "failed"
    assert "outside the project" in run["error"]


def test_files_of_a_folder_that_does_not_exist_fails_the_run_naming_it(make_project, embedded):
    from orchestrator.loader import load_project
    from orchestrator.submit import run_embedded

    root = make_project("""\
        robots:
          intake:
            inputs: {inbox: data/inbox}
            items: "{{ files(inputs.inbox, '*.pdf') }}"
            steps: [{log: "{{ item }}"}]
        """)
    loaded = load_project(root)
    run = run_embedded(loaded, "intake", {})
    assert run["status"] == "failed"
    assert run["error"].startswith("files('data/inbox', '*.pdf'): folder data/inbox does not exist")
    assert run["error"].endswith("create it, or fix the path")
    (root / "data" / "inbox").mkdir(parents=True)
    empty = run_embedded(loaded, "intake", {})
    assert (empty["status"], empty["items_total"]) == ("succeeded", 0)


def test_text_around_a_single_expression_is_kept_when_the_value_is_text():
    from orchestrator.expressions import evaluate

    assert evaluate("{{ key }}\n", {"key": "a"}) == "a\n"
    assert evaluate("  {{ key }}", {"key": "a"}) == "  a"
    assert evaluate("{{ rows }}\n", {"rows": [1, 2]}) == [1, 2]  # a value that is not text stays itself


def test_numbers_as_people_write_them_are_read_by_the_number_filter():
    assert evaluate("{{ '15,000,000' | number }}", {}) == 15000000
    assert evaluate("{{ '1.234,56 €' | number }}", {}) == 1234.56
    assert evaluate("{{ '1,234' | number(decimal=',') }}", {}) == 1.234
    assert evaluate("{{ number('($12.00)') }}", {}) == -12.0
    with pytest.raises(BusinessError, match="number: 'Page 1 of 2' is not one number"):
        evaluate("{{ 'Page 1 of 2' | number }}", {})


def test_int_and_float_refuse_text_they_would_silently_read_as_zero():
    """Jinja's own filters give 0.0 for '15,000,000': a wrong amount typed into a system without a word."""
    with pytest.raises(BusinessError, match=r"'15,000,000' \| float: .* use \| number"):
        evaluate("{{ row['Amount'] | float }}", {"row": {"Amount": "15,000,000"}})
    with pytest.raises(BusinessError, match=r"'n/a' \| int"):
        evaluate("{{ 'n/a' | int }}", {})
    assert evaluate("{{ 'n/a' | int(0) }}", {}) == 0  # an explicit default keeps Jinja's leniency
    assert evaluate("{{ '' | float }}", {}) == 0.0 and evaluate("{{ none | int }}", {}) == 0  # empty: 0
    assert evaluate("{{ ' 12 ' | int }}", {}) == 12 and evaluate("{{ '12.7' | int }}", {}) == 12
    assert evaluate("{{ '1e3' | float }}", {}) == 1000.0 and evaluate("{{ 3.9 | int }}", {}) == 3


def test_none_prints_as_nothing_in_text_and_stays_none_as_a_whole_expression():
    assert evaluate("Note: {{ inputs.note }}.", {"inputs": {"note": None}}) == "Note: ."
    assert evaluate("{{ inputs.note }}", {"inputs": {"note": None}}) is None


def test_a_mapping_s_key_wins_over_the_dict_method_of_the_same_name() -> None:
    """An API's `{"items": [...]}`: `json.items` is the list, as robot authors read it, not dict.items."""
    ctx = {"steps": {"page": {"json": {"items": [{"id": 7}], "keys": 3, "values": "v"}}}, "d": {"a": 1}}
    assert evaluate("{{ steps.page.json.items[0].id }}", ctx) == 7
    assert evaluate("{{ steps.page.json.items | length }} rows", ctx) == "1 rows"
    assert evaluate("{{ steps.page.json.keys }}", ctx) == 3 and evaluate("{{ steps.page.json.values }}", ctx) == "v"
    assert evaluate("{{ d.items() | list }}", ctx) == [("a", 1)]  # a mapping without such a key: the method
