"""The one exception type for a user's mistake (bad file, bad option, bad model path).

Command-line entry points catch it and print its message as one line on stderr with exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import sys
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)

USER_ERROR_EXIT_CODE = 2


class UserError(Exception):
    """A problem with the user's input, reported as ``file:line: problem`` where that applies."""


def exit_on_user_error(func: F) -> F:
    """Decorate a CLI command so a :class:`UserError` becomes one stderr line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UserError as error:
            print(f"zhseg: error: {error}", file=sys.stderr)
            raise SystemExit(USER_ERROR_EXIT_CODE) from None
        except KeyboardInterrupt:
            print("zhseg: interrupted", file=sys.stderr)
            raise SystemExit(130) from None

    return wrapper  # type: ignore[return-value]
