"""What checking every imported customer (``segmentr.policy.customer`` on the careful path, plan and meter
shapes on the fast path) costs the import's reader: records parsed, checked and turned into rows per second,
before (the reader of an earlier commit, loaded from git) and after, side by side in one run, alternating.

    .venv/bin/python bench/import_checks.py [CUSTOMERS] [BASELINE_COMMIT]
"""

from __future__ import annotations

import importlib.util
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from segmentr.policy.customer import CustomerRules
from segmentr.sample import generate_customers, sample_policy
from segmentr.store import importing

ROOT = Path(__file__).resolve().parents[1]


def _baseline(commit: str) -> Any:
    """The reader module as it was at ``commit`` (its imports resolve against today's package)."""
    source = subprocess.run(
        ["git", "show", f"{commit}:src/segmentr/store/importing.py"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "importing_baseline.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("importing_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def _rate(read: Any, path: Path, **extra: Any) -> float:
    started = time.perf_counter()
    with open(path, "rb", buffering=1 << 20) as stream:
        count = sum(1 for _ in read(stream, name=str(path), environment_id=1, now=0, **extra))
    return count / (time.perf_counter() - started)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    commit = sys.argv[2] if len(sys.argv) > 2 else "769843c"
    path = Path(tempfile.mkdtemp()) / "customers.jsonl"
    with open(path, "w") as out:
        for customer in generate_customers(count, seed=1, now_ms=1_764_720_000_000):
            out.write(json.dumps(customer) + "\n")
    rules = CustomerRules.of_document(sample_policy()["policy"])
    before_module = _baseline(commit)
    before, after = [], []
    for _ in range(3):  # alternating, so a busy neighbour slows both alike
        before.append(_rate(before_module.read_customer_rows, path))
        after.append(_rate(importing.read_customer_rows, path, rules=rules))
    best_before, best_after = max(before), max(after)
    print(f"{platform.node()} {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}, {count:,} generated customers (JSON lines), best of 3")
    print(f"reader before ({commit}): {best_before:,.0f} customers/s")
    print(f"reader after (checked):  {best_after:,.0f} customers/s, ratio after/before {best_after / best_before:.2f}")


if __name__ == "__main__":
    main()
