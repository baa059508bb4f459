"""cloud-common in one minute, on this machine, with no cloud account.

    python examples/quickstart.py            # a temporary root, removed at the end
    python examples/quickstart.py --root DIR # keep the data in DIR

Walks through storage (bucket, upload, list, presigned GET and PUT fetched over HTTP,
download), compute (create, stop, start, terminate) and serverless (deploy the handler in
examples/hello_function and invoke it) on the ``local`` provider. Every client comes from the
registry, exactly as for AWS or GCP: only the credentials differ.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    get_compute_client,
    get_serverless_client,
    get_storage_client,
)
from cloud_common.local import serve_in_thread

HERE = Path(__file__).resolve().parent
BUCKET = "quickstart"


def step(area: str, text: str) -> None:
    print(f"  [{area:<10}] {text}", flush=True)


def shown(url: str) -> str:
    """A presigned URL without its signature, for printing."""
    return url.split("?", 1)[0] + "?<signed query>"


def fetch(url: str, method: str = "GET", data: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


def storage_tour(creds: CloudCredentials, workdir: Path) -> None:
    storage = get_storage_client(creds)
    step("storage", f"create_bucket({BUCKET!r}) -> {storage.create_bucket(BUCKET)}")
    url = storage.upload_file(
        BUCKET, "hello/world.txt", b"Hello from cloud-common!\n", "text/plain"
    )
    step("storage", f"upload_file -> {url}")
    storage.upload_file(BUCKET, "hello/data.json", b'{"answer": 42}', "application/json")
    listing = [f"{o.key} ({o.size} B)" for o in storage.list_objects(BUCKET, "hello/")]
    step("storage", f"list_objects('hello/') -> {listing}")
    get_url = storage.generate_presigned_url(BUCKET, "hello/world.txt", expires_in=300)
    step("storage", f"presigned GET {shown(get_url)}")
    step("storage", f"  fetched over HTTP -> {fetch(get_url)!r}")
    put_url = storage.generate_presigned_url(BUCKET, "uploads/note.txt", 300, method="PUT")
    fetch(put_url, "PUT", b"uploaded with a presigned PUT")
    step("storage", f"presigned PUT {shown(put_url)}")
    step("storage", f"  download_file -> {storage.download_file(BUCKET, 'uploads/note.txt')!r}")
    target = workdir / "world.txt"
    size = storage.download_stream(BUCKET, "hello/world.txt", target)
    step("storage", f"download_stream -> {size} bytes into {target.name}")
    for info in list(storage.list_objects(BUCKET)):
        storage.delete_file(BUCKET, info.key)
    step("storage", f"deleted every object; delete_bucket -> {storage.delete_bucket(BUCKET)}")


def compute_tour(creds: CloudCredentials) -> None:
    compute = get_compute_client(creds)
    vm = compute.create_instance("quickstart-vm", "local.small", "img-ubuntu-24.04")
    iid = vm["id"]
    step("compute", f"create_instance -> {iid} {vm['status']} (simulated: no VM is started)")
    step("compute", f"wait_for_state -> {compute.wait_for_state(iid, 'running', 10)['status']}")
    step("compute", f"stop_instance -> {compute.stop_instance(iid)}")
    step("compute", f"  now {compute.wait_for_state(iid, 'stopped', 10)['status']}")
    step("compute", f"start_instance -> {compute.start_instance(iid)}")
    step("compute", f"  now {compute.wait_for_state(iid, 'running', 10)['status']}")
    step("compute", f"terminate_instance -> {compute.terminate_instance(iid)}")
    step("compute", f"  now {compute.wait_for_state(iid, 'terminated', 10)['status']}")


def serverless_tour(creds: CloudCredentials) -> None:
    functions = get_serverless_client(creds)
    created = functions.create_function(
        "hello", "python3.12", "hello.handler", str(HERE / "hello_function")
    )
    step("serverless", f"create_function -> {created['name']} ({created['metadata']['runtime']})")
    result = functions.invoke_function("hello", {"name": "newcomer"})
    step("serverless", f"invoke_function -> {result}")
    step("serverless", f"delete_function -> {functions.delete_function('hello')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", help="keep the local provider's data here (default: temporary)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="cloud-common-quickstart-"))
    root = Path(args.root) if args.root else workdir / "root"
    print(f"cloud-common quickstart on the local provider (root: {root})")
    server = serve_in_thread(root)
    try:
        step("server", f"presigned URLs served on {server.base_url}")
        creds = CloudCredentials(
            CloudProvider.LOCAL,
            metadata={"root": str(root), "endpoint_url": server.base_url},
        )
        storage_tour(creds, workdir)
        compute_tour(creds)
        serverless_tour(creds)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    step("server", "stopped; temporary files removed" if not args.root else "stopped")
    print(f"done in {time.perf_counter() - started:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
