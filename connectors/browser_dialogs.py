"""JavaScript dialogs (alert, confirm, prompt, beforeunload): answered, logged, and kept for the item.

Old applications report errors in `alert()`: a robot that only accepted them would take a refused record
for a saved one. So every dialog is logged on the item at INFO (type and message, masked like every log
line) and kept on the run's browser session, with the answer given, until the next item starts;
`browser.dialogs` returns those not returned yet. A dialog is answered as the step says (`dialog:` on
browser.click, browser.press and browser.fill_form: accept, dismiss, or the text to answer a prompt),
else as the robot's `browser: {dialogs: ...}` says (accept by default; a prompt accepted without a text
gets its default value, as when a person clicks OK).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from orchestrator.actions import action


def _answer(value: Any) -> Any:
    """`dialog: true`/`false` (YAML's yes/no) accept or dismiss; a number answers a prompt with its text."""
    if isinstance(value, bool):
        return "accept" if value else "dismiss"
    return value if value is None or isinstance(value, str) else str(value)


# A step's `dialog:` argument: accept, dismiss, or the text to answer a prompt with.
DialogAnswer = Annotated[str | None, BeforeValidator(_answer)]


class DialogLog:
    """The dialogs of the current item, and how the next one is answered."""

    def __init__(self, default: str):
        self.default = default  # the robot's `dialogs:` option
        self.step_answer: str | None = None  # the running step's `dialog:`, while it runs
        self.seen: list[dict[str, str]] = []
        self.returned = 0  # how many of `seen` browser.dialogs has returned
        self.ctx: Any = None  # the item whose steps are running (its logger)

    def start_item(self, ctx: Any) -> None:
        self.seen, self.returned, self.ctx = [], 0, ctx

    def handle(self, dialog: Any) -> None:
        """The page's `dialog` event: answer, log, keep."""
        how = self.step_answer if self.step_answer is not None else self.default
        kind, message = dialog.type, dialog.message
        with suppress(Exception):  # (a page gone with its dialog: nothing to answer)
            if how == "dismiss":
                dialog.dismiss()
            elif how == "accept":
                dialog.accept(dialog.default_value if kind == "prompt" else None)
            else:
                dialog.accept(how)  # the text typed into a prompt (another dialog is just accepted)
        answer = how if how in ("accept", "dismiss") or kind == "prompt" else "accept"
        self.seen.append({"type": kind, "message": message, "answer": answer})
        self._log(f"{kind} dialog {message!r}: answered {answer!r}" if answer not in ("accept", "dismiss")
                  else f"{kind} dialog {message!r}: {answer}ed")

    def _log(self, line: str) -> None:
        from orchestrator.logs import mask

        ctx = self.ctx
        if ctx is None or ctx.log is None:
            return
        step = ctx.step.label if ctx.step is not None else "-"
        ctx.log.bind(step=step).info(mask(line))

    def take(self) -> list[dict[str, str]]:
        """The dialogs not returned yet, oldest first."""
        new = [dict(d) for d in self.seen[self.returned:]]
        self.returned = len(self.seen)
        return new

    @contextmanager
    def answering(self, how: str) -> Iterator[None]:
        previous, self.step_answer = self.step_answer, how
        try:
            yield
        finally:
            self.step_answer = previous


def answering(func: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """For an action with a `dialog:` argument: the dialogs opened while its step runs are answered so
    (`accept`, `dismiss` or a prompt's text), not as the robot's `dialogs:` option says."""

    @functools.wraps(func)
    def run(ctx: Any, args: Any) -> Any:
        how = getattr(args, "dialog", None)
        if how is None:
            return func(ctx, args)
        from connectors.browser_session import open_browser

        with open_browser(ctx).dialogs.answering(str(how)):
            return func(ctx, args)

    return run


class DialogsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    last: bool = False


@action("browser.dialogs", args=DialogsArgs)
def dialogs(ctx: Any, args: DialogsArgs) -> Any:
    """The JavaScript dialogs (alert, confirm, prompt) the item's steps met since it started or since the
    last `browser.dialogs`, oldest first: [{type, message, answer}]; with `last: true` the newest of them
    (or nothing). `- {id: dialogs, browser.dialogs: {}}` then `if: "{{ steps.dialogs }}"`."""
    browser = ctx.session.resources.get("browser")  # (no browser opened just to say there was no dialog)
    if browser is None or browser.item_index != ctx.index:
        return None if args.last else []
    new = browser.dialogs.take()
    if args.last:
        return new[-1] if new else None
    return new
