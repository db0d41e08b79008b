"""The one exception type for a user's mistake (bad file, bad option, bad model path).

Command-line entry points catch it and print its message as one line on stderr with exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)

USER_ERROR_EXIT_CODE = 2  # a user's mistake: bad input file, option, model or dictionary
SYSTEM_ERROR_EXIT_CODE = 3  # the system refused: disk full, read-only, no permission, closed stream
INTERRUPTED_EXIT_CODE = 130  # Ctrl-C


class UserError(Exception):
    """A problem with the user's input, reported as ``file:line: problem`` where that applies."""

    exit_code = USER_ERROR_EXIT_CODE


class SystemFailure(UserError):
    """The operating system refused what a command needs (a full disk, a read-only target, a
    closed stdout): not a bug, and not the user's input either; exit code 3."""

    exit_code = SYSTEM_ERROR_EXIT_CODE


def os_failure(error: OSError, what: str | None = None) -> SystemFailure:
    """A one-line SystemFailure from an OSError: ``PATH: reason``."""
    name = what or error.filename or "output"
    return SystemFailure(f"{name}: {error.strerror or error}")


def error_line(text: str) -> None:
    """Print to stderr, even when stderr is closed (then say nothing)."""
    if sys.stderr is not None:
        with contextlib.suppress(OSError):
            print(text, file=sys.stderr)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the process is so that every temporary file and folder is
    removed on the way out, as for Ctrl-C (:func:`stop_cleanly_on_signals`)."""

    def __init__(self, signum: int):
        import signal

        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


_held: list[int] = []  # depth of signals_held() sections, then the signals that came meanwhile
_raised: list[int] = []  # the signals raised: stop_if_signalled() raises one again where it was swallowed


def stop_cleanly_on_signals() -> None:
    """SIGTERM and SIGHUP raise :class:`Terminated` in the main thread instead of ending the
    process at once (which would leave temporary outputs behind), and Ctrl-C KeyboardInterrupt as
    before; inside :func:`signals_held`, once it ends."""
    import signal

    def handler(signum, frame):
        if _held and _held[0] > 0:
            _held.append(signum)
            return
        _raise_for(signum)

    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), handler)
    default_hook = sys.unraisablehook

    def unraisable(info):
        # the handler ran inside a weakref callback or a __del__ (importlib's module locks have
        # one), whose exceptions Python prints and drops: stop_if_signalled() raises it again
        if not isinstance(info.exc_value, (Terminated, KeyboardInterrupt)):
            default_hook(info)

    sys.unraisablehook = unraisable


def stop_if_signalled() -> None:
    """Raise again a signal's exception that was swallowed on its way up (see
    :func:`stop_cleanly_on_signals`): long commands call this between steps, so that such a
    signal still stops them."""
    if _raised:
        _raise_for(_raised[0])


def _raise_for(signum: int) -> None:
    import signal

    _raised.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


@contextlib.contextmanager
def signals_held():
    """A section that a SIGTERM, SIGHUP or Ctrl-C must not cut in two (workers being started or
    stopped, a lock shared with another thread taken): the signal takes effect when it ends. Only
    the main thread's sections hold them, as Python's signal handlers run there; without
    :func:`stop_cleanly_on_signals` (zhseg as a library) nothing is held."""
    if threading.get_ident() != threading.main_thread().ident:
        yield
        return
    if not _held:
        _held.append(0)
    _held[0] += 1
    try:
        yield
    finally:
        _held[0] -= 1
        if _held[0] == 0 and len(_held) > 1:
            signum = _held[1]
            del _held[1:]
            _raise_for(signum)


def exit_on_user_error(func: F) -> F:
    """Decorate a CLI command so a :class:`UserError` becomes one stderr line and its exit code
    (2, or 3 for what the system refused), and an OSError one line and exit code 3."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UserError as error:
            error_line(f"zhseg: error: {error}")
            raise SystemExit(error.exit_code) from None
        except OSError as error:  # what the OS refused outside the places that name it better
            error_line(f"zhseg: error: {os_failure(error)}")
            raise SystemExit(SYSTEM_ERROR_EXIT_CODE) from None
        except Terminated as signal_received:
            error_line(f"zhseg: stopped by {signal_received.name}; nothing was left half-written")
            raise SystemExit(128 + signal_received.signum) from None
        except KeyboardInterrupt:
            error_line("zhseg: interrupted")
            raise SystemExit(INTERRUPTED_EXIT_CODE) from None

    return wrapper  # type: ignore[return-value]
