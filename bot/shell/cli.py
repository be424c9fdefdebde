"""`rollcall [--config PATH] COMMAND`: the operator's and coordinator's command line (the
console script's entry point; the parser and the verbs are bot.shell.cli_main's)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    # loading the modules (config models, SQLAlchemy, the engine) is most of a short
    # command's start and leaves nothing a collection would free: the collector waits,
    # then what was loaded is frozen, out of every later collection (bot.shell.gc_tuning)
    gc.disable()
    try:
        from bot.shell.cli_main import main as run
    finally:
        gc.freeze()
        gc.enable()
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
