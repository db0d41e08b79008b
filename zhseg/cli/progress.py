"""Progress on stderr for the long commands: a line rewritten in place on a terminal, and
periodic lines otherwise (a log file gets a readable record, not a flood)."""

from __future__ import annotations

import sys
import time

from zhseg.errors import stop_if_signalled


class ProgressPrinter:
    """Callable as ``progress(event, info)``; the events:

    - ``phase`` (``info['phase']``): a step starts; always its own line;
    - ``iteration`` (crfsuite's record: ``num``, ``loss``, ...): on a terminal every iteration,
      in a log the first and every tenth;
    - ``count`` (``what``, ``done``, ``total``): work done so far, e.g. sentences handed to crfsuite
      or bytes segmented; on a terminal at most five times a second, in a log every tenth of it.
    """

    def __init__(self, max_iterations: int = 0, quiet: bool = False):
        self.max_iterations = max_iterations
        self.quiet = quiet or sys.stderr is None
        self.tty = not self.quiet and sys.stderr.isatty()
        self.started = time.perf_counter()
        self._last_draw = 0.0
        self._last_tenth = -1

    def __call__(self, event: str, info: dict) -> None:
        stop_if_signalled()  # each event is a step of long work: where a swallowed signal still stops it
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.started
        if event == "phase":
            self._last_tenth = -1
            self._line(f"[{elapsed:7.1f}s] {info['phase']}", final=True)
        elif event == "iteration":
            num = info["num"]
            text = (f"[{elapsed:7.1f}s] iteration {num}/{self.max_iterations}  loss {info['loss']:.2f}"
                    f"  active features {info.get('active_features', '?')}")
            if self.tty:
                self._line(text, final=False)
            elif num % 10 == 0 or num == 1:
                self._line(text, final=True)
        elif event == "count":
            done, total = info["done"], info["total"]
            share = done / total if total else 0.0
            text = f"[{elapsed:7.1f}s] {info['what']}: {_amount(done, info)} of {_amount(total, info)} ({100 * share:.0f}%)"
            if self.tty:
                now = time.perf_counter()
                if now - self._last_draw >= 0.2 or done >= total:
                    self._last_draw = now
                    self._line(text, final=done >= total)
            elif int(10 * share) > self._last_tenth:
                self._last_tenth = int(10 * share)
                self._line(text, final=True)

    def _line(self, text: str, final: bool) -> None:
        try:
            if self.tty:
                sys.stderr.write("\r\x1b[K" + text + ("\n" if final else ""))
            else:
                sys.stderr.write(text + "\n")
            sys.stderr.flush()
        except OSError:  # a closed stderr: progress is not worth failing for
            self.quiet = True


def _amount(value: int, info: dict) -> str:
    return f"{value / 1e6:.1f} MB" if info.get("unit") == "bytes" else f"{value:,}"
