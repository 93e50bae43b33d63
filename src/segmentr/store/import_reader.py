"""The reader process of a large customer import: parses, checks and encodes a file into insert-ready rows and
streams them to the importing process as pickled batches on standard output.

Run as ``python -m segmentr.store.import_reader PATH NAME FORMAT ENVIRONMENT_ID NOW BATCH_SIZE ENCODING`` by
``importing.import_customer_records``; a separate interpreter (not multiprocessing) never re-runs the
caller's main module and never forks a process holding database connections.
"""

from __future__ import annotations

import pickle
import sys
from typing import Any

from segmentr.store.importing import batch_rows, encode_copy_batch, read_customer_rows


class _PickleSink:
    def __init__(self, out: Any) -> None:
        self._out = out

    def put(self, item: Any) -> None:
        pickle.dump(item, self._out, protocol=pickle.HIGHEST_PROTOCOL)
        self._out.flush()


def main(argv: list[str]) -> int:
    path, name, fmt, environment_id, now, batch_size, encoding = argv
    sink = _PickleSink(sys.stdout.buffer)
    position = [0]
    try:
        with open(path, "rb", buffering=1 << 20) as stream:
            rows = read_customer_rows(
                stream,
                name=name,
                environment_id=int(environment_id),
                now=int(now),
                fmt=fmt or None,
                position=position,
            )
            encode = encode_copy_batch if encoding == "copy" else None
            batch_rows(sink, rows, int(batch_size), position, encode=encode)
    except BrokenPipeError:  # the importing process stopped reading (it failed or was interrupted)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
