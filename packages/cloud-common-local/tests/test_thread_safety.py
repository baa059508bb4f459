"""One client of each service shared by 8 threads: the docs page's thread-safety statement."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from cloud_common.contract_tests.harness import HANDLER_SOURCE
from cloud_common.core import CloudCompute, CloudServerless, CloudStorage

THREADS = 8


def run_threads(work: Callable[[int], None]) -> None:
    """Run ``work(n)`` on 8 threads started together; re-raise the first failure."""
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(n: int) -> None:
        start.wait()
        try:
            work(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]


def test_one_serverless_client_shared_by_8_threads(
    serverless: CloudServerless, tmp_path: Path
) -> None:
    (tmp_path / "contract_handler.py").write_text(HANDLER_SOURCE)
    serverless.create_function("shared", "python3.12", "contract_handler.handler", str(tmp_path))

    def work(n: int) -> None:
        own = f"fn-{n}"
        serverless.create_function(own, "python3.12", "contract_handler.handler", str(tmp_path))
        for i in range(3):
            assert serverless.invoke_function("shared", {"n": n, "i": i}) == {"n": n, "i": i}
            assert serverless.invoke_function(own, {"return": [n, i]}) == {"result": [n, i]}
        assert own in {f["name"] for f in serverless.list_functions()}
        assert serverless.delete_function(own) is True

    run_threads(work)
    assert [f["name"] for f in serverless.list_functions()] == ["shared"]


def test_one_compute_client_shared_by_8_threads(compute: CloudCompute) -> None:
    ids: list[str] = []

    def work(n: int) -> None:
        instance = compute.create_instance(f"vm-{n}", "local.small", "img-ubuntu-24.04")
        ids.append(instance["id"])
        assert compute.get_instance(instance["id"])["status"] == "running"
        assert compute.stop_instance(instance["id"]) is True
        assert compute.get_instance(instance["id"])["status"] == "stopped"
        assert compute.start_instance(instance["id"]) is True
        assert compute.terminate_instance(instance["id"]) is True

    run_threads(work)
    listed = {i["id"]: i["status"] for i in compute.list_instances()}
    assert sorted(listed) == sorted(ids) and len(ids) == THREADS
    assert set(listed.values()) == {"terminated"}


def test_one_storage_client_shared_by_8_threads(storage: CloudStorage, bucket: str) -> None:
    def work(n: int) -> None:
        for i in range(20):
            storage.upload_file(bucket, f"own/{n}/{i}", f"{n}-{i}".encode())
            storage.upload_file(bucket, "shared", f"writer {n}".encode() * 100)
            assert storage.download_file(bucket, f"own/{n}/{i}") == f"{n}-{i}".encode()
            shared = storage.download_file(bucket, "shared")
            assert shared in {f"writer {w}".encode() * 100 for w in range(THREADS)}

    run_threads(work)
    keys = [o.key for o in storage.list_objects(bucket, prefix="own/")]
    assert len(keys) == THREADS * 20 == len(set(keys))
