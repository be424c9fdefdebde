"""`make bench` / `python -m benchmarks`: every benchmark, one after another.

Each one is bounded (fixed request counts, loopback only) and prints its own table;
the figures recorded in the README come from this run.
"""

from __future__ import annotations

import sys

from benchmarks import core, slack_checkin, zoom_webhook


def main() -> int:
    core.main()
    print()
    print("slack check-in burst (signed /checkin, durable write before the ack)")
    slack_checkin.main(["--requests", "4000", "--concurrency", "20"])
    print()
    print("zoom webhook burst (signed participant_joined, durable write before the 200)")
    zoom_webhook.main(["--requests", "8000", "--concurrency", "50"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
