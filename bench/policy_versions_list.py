"""The policy history as the Policy page reads it, with 300 versions, side by side in one run: loading every
version's document for its date (the code before) next to one query of numbers and dates (``PolicyService.versions``
now). Run: ``.venv/bin/python bench/policy_versions_list.py``."""

from __future__ import annotations

import copy
import tempfile
import time
from collections.abc import Callable

from segmentr.sample import sample_policy
from segmentr.service import Services, Store
from segmentr.store import policies

VERSIONS = 300
CALLS = 10


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/versions.db") as store:
        store.init()
        document = sample_policy()
        for n in range(VERSIONS):
            changed = copy.deepcopy(document)
            changed["policy"]["plans"]["growth"]["entitlements"]["seats"]["limit"]["value"] = n
            store.put_policy("live", changed)
        services = Services(store)
        owner = services.local_owner()
        environment_id = store.environment_record(owner.workspace_id, "live").id

        def documents_loaded() -> list[int]:
            with store.session() as session:
                numbers = policies.list_policy_versions(session=session, environment_id=environment_id)
                return [policies.get_policy_version(session=session, environment_id=environment_id,
                                                    version=n).created_at for n in numbers]  # fmt: skip

        def one_query() -> list[int]:
            return [summary.created_at for summary in services.policies(owner).versions("live")]

        assert documents_loaded() == one_query()
        ways: list[tuple[str, Callable[[], list[int]]]] = [("every document loaded (before)", documents_loaded),
                                                           ("one query (now)", one_query)]  # fmt: skip
        print(f"| {VERSIONS} versions | CPU per call | wall per call |\n|---|---|---|")
        for label, way in ways:
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(CALLS):
                way()
            cpu_ms = (time.process_time() - cpu) * 1000 / CALLS
            wall_ms = (time.perf_counter() - wall) * 1000 / CALLS
            print(f"| {label} | {cpu_ms:.1f} ms | {wall_ms:.1f} ms |")


if __name__ == "__main__":
    main()
