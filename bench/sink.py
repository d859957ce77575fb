"""An SMTP server that only counts what it receives, for the newsletter bench.

    python -m bench.sink PORT

It runs in its own process, so it shares no interpreter lock with the bench or the workers.
It prints `ready` once it listens on 127.0.0.1:PORT, then answers each line on its standard
input: `stats` with `messages recipients distinct-recipients bytes` (since the last reset),
`reset` with `ok`. It stops when its standard input closes.
"""

from __future__ import annotations

import sys
import threading

from aiosmtpd.controller import Controller


class Counter:
    """The aiosmtpd handler: accepts every message and keeps only counts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.messages = 0
            self.recipients = 0
            self.bytes = 0
            self.distinct: set[str] = set()

    def stats(self) -> str:
        with self.lock:
            return f"{self.messages} {self.recipients} {len(self.distinct)} {self.bytes}"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.messages += 1
            self.recipients += len(envelope.rcpt_tos)
            self.distinct.update(envelope.rcpt_tos)
            self.bytes += len(envelope.original_content or b"")
        return "250 2.0.0 OK"


def main(port: int) -> None:
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() == "reset":
                counter.reset()
                print("ok", flush=True)
            else:
                print(counter.stats(), flush=True)
    finally:
        controller.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
