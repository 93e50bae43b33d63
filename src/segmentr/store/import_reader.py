"""The reader process of a large customer import: parses, checks and encodes a file into insert-ready rows (or,
for PostgreSQL, COPY text) and streams them to the importing process as pickled batches on standard output.

Run as ``python -m segmentr.store.import_reader PATH NAME FORMAT ENVIRONMENT_ID NOW BATCH_SIZE OUTPUT RULES
ENCODING`` by ``importing.import_customer_records``; a separate interpreter (not multiprocessing) never re-runs the
caller's main module and never forks a process holding database connections.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Iterable
from typing import Any

from segmentr.store.import_postgres import CopyBatch
from segmentr.store.importing import (
    Sink,
    batch_rows,
    read_copy_lines,
    read_customer_rows,
    rules_from_argument,
)


class _PickleSink:
    def __init__(self, out: Any) -> None:
        self._out = out

    def put(self, item: Any) -> None:
        pickle.dump(item, self._out, protocol=pickle.HIGHEST_PROTOCOL)
        self._out.flush()


def batch_copy_lines(sink: Sink, lines: Iterable[tuple[str, bytes]], batch_size: int, position: list[int]) -> None:
    """Group (id, COPY line) pairs into CopyBatches (a repeated id in a batch: the last one wins); then None, or
    the exception that stopped the reading."""
    # Hashes of the ids of earlier batches, to flag a batch that repeats one: a collision only sends a batch
    # through the (correct, slower) upsert, and 1M ints take half the memory of 1M id strings.
    earlier: set[int] = set()

    def put(batch: dict[str, bytes]) -> None:
        hashes = {hash(customer_id) for customer_id in batch}
        repeats = not earlier.isdisjoint(hashes)
        earlier.update(hashes)
        payload = b"\n".join(batch.values()) + b"\n"
        sink.put((CopyBatch(count=len(batch), payload=payload, repeats=repeats), position[0]))

    try:
        batch: dict[str, bytes] = {}
        for customer_id, line in lines:
            batch[customer_id] = line
            if len(batch) >= batch_size:
                put(batch)
                batch = {}
        if batch:
            put(batch)
        sink.put(None)
    except BaseException as exc:  # handed to the writer, which raises it
        sink.put(exc)


def main(argv: list[str]) -> int:
    path, name, fmt, environment_id, now, batch_size, output, rules, encoding = argv
    sink = _PickleSink(sys.stdout.buffer)
    position = [0]
    arguments: dict[str, Any] = {
        "name": name, "environment_id": int(environment_id), "now": int(now), "fmt": fmt or None, "position": position,
        "rules": rules_from_argument(rules), "encoding": encoding,
    }
    try:
        with open(path, "rb", buffering=1 << 20) as stream:
            if output == "copy":
                batch_copy_lines(sink, read_copy_lines(stream, **arguments), int(batch_size), position)
            else:
                batch_rows(sink, read_customer_rows(stream, **arguments), int(batch_size), position)
    except BrokenPipeError:  # the importing process stopped reading (it failed or was interrupted)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
