"""Faults (429, 503, connection resets, corruption) and the retries they cause."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import google_crc32c
import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    FunctionInvocationError,
    PermissionDeniedError,
    ProviderUnavailableError,
    RateLimitedError,
    RetryPolicy,
    TransientError,
)
from cloud_common.gcp import CloudFunctionsServerlessClient, GCEComputeClient, GCSStorageClient
from cloud_common.gcp.testing import GcpFake, reset_connection

FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_cap=0.002, deadline=20)
MEDIA = "/download/storage/v1/b/fault-bucket/o/k"
ERROR_503 = json.dumps(
    {"error": {"code": 503, "message": "Backend Error", "errors": [{"reason": "backendError"}]}}
)
ERROR_429 = json.dumps(
    {"error": {"code": 429, "message": "rate", "errors": [{"reason": "rateLimitExceeded"}]}}
)


def _crc(data: bytes) -> str:
    digest: bytes = google_crc32c.Checksum(data).digest()  # type: ignore[no-untyped-call]
    return base64.b64encode(digest).decode()


class ScriptedGCS:
    """A permanent pytest-httpserver handler: per path, a queue of responses (the last
    one repeats); bucket-metadata reads (google-cloud-storage fetches them in the
    background) always succeed."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.script: dict[str, list[Callable[[Request], Response]]] = {}
        self.hits: list[str] = []
        httpserver.expect_request(re.compile(".*")).respond_with_handler(self)

    def on(self, path: str, *responses: Callable[[Request], Response]) -> None:
        self.script[path] = list(responses)

    def __call__(self, request: Request) -> Response:
        if request.path == "/storage/v1/b/fault-bucket":
            return Response(
                json.dumps({"name": "fault-bucket", "projectNumber": "1"}),
                content_type="application/json",
            )
        self.hits.append(request.path)
        queue = self.script.get(request.path)
        if not queue:
            return Response("{}", status=404, content_type="application/json")
        return (queue.pop(0) if len(queue) > 1 else queue[0])(request)


def error(status: int, body: str) -> Callable[[Request], Response]:
    return lambda request: Response(body, status=status, content_type="application/json")


def ok(data: bytes, **headers: str) -> Callable[[Request], Response]:
    return lambda request: Response(data, headers=headers)


def _reset(request: Request) -> Response:
    reset_connection(request)
    return Response(b"", status=500)


def _storage(httpserver: HTTPServer, policy: RetryPolicy = FAST) -> GCSStorageClient:
    creds = CloudCredentials(CloudProvider.GCP, region="us-central1", project_id="cc-test")
    return GCSStorageClient(creds, endpoint_url=httpserver.url_for("/").rstrip("/"), retry=policy)


def test_storage_retries_503_429_and_resets(httpserver: HTTPServer) -> None:
    gcs = ScriptedGCS(httpserver)
    good = ok(b"payload", **{"x-goog-hash": f"crc32c={_crc(b'payload')}", "x-goog-generation": "1"})
    gcs.on(MEDIA, error(503, ERROR_503), error(429, ERROR_429), _reset, good)
    client = _storage(
        httpserver, RetryPolicy(max_attempts=4, backoff_base=0.001, backoff_cap=0.002)
    )
    assert client.download_file("fault-bucket", "k") == b"payload"
    assert gcs.hits == [MEDIA] * 4


def test_storage_gives_up_after_max_attempts(httpserver: HTTPServer) -> None:
    gcs = ScriptedGCS(httpserver)
    gcs.on(MEDIA, error(503, ERROR_503))
    with pytest.raises(ProviderUnavailableError) as info:
        _storage(httpserver).download_file("fault-bucket", "k")
    assert info.value.retryable
    assert gcs.hits == [MEDIA] * FAST.max_attempts


def test_storage_rate_limit_surfaces_as_rate_limited(httpserver: HTTPServer) -> None:
    gcs = ScriptedGCS(httpserver)
    gcs.on("/storage/v1/b", error(429, ERROR_429))
    with pytest.raises(RateLimitedError):
        _storage(httpserver).list_buckets()
    assert len(gcs.hits) == FAST.max_attempts


def test_a_corrupted_download_is_detected(httpserver: HTTPServer) -> None:
    gcs = ScriptedGCS(httpserver)
    gcs.on(
        MEDIA,
        ok(b"payload", **{"x-goog-hash": f"crc32c={_crc(b'other')}", "x-goog-generation": "1"}),
    )
    with pytest.raises(TransientError, match="checksum"):
        _storage(httpserver, RetryPolicy(max_attempts=1)).download_file("fault-bucket", "k")


def test_upload_file_is_replayed_only_when_google_cannot_have_acted(
    httpserver: HTTPServer,
) -> None:
    path = "/upload/storage/v1/b/fault-bucket/o"
    gcs = ScriptedGCS(httpserver)
    body = json.dumps(
        {"name": "k", "bucket": "fault-bucket", "size": "1", "generation": "1"}
    ).encode()
    gcs.on(path, error(429, ERROR_429), ok(body, **{"Content-Type": "application/json"}))
    assert _storage(httpserver).upload_file("fault-bucket", "k", b"x") == "gs://fault-bucket/k"
    assert gcs.hits == [path] * 2
    # a reset or a 503 may come after Cloud Storage wrote the object: never replayed
    for fault in (_reset, error(503, ERROR_503)):
        gcs.hits.clear()
        gcs.on(path, fault, ok(body, **{"Content-Type": "application/json"}))
        with pytest.raises(ProviderUnavailableError):
            _storage(httpserver).upload_file("fault-bucket", "k", b"x")
        assert gcs.hits == [path]


def test_a_bucket_name_taken_by_another_project_is_false_with_one_warning(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    gcs = ScriptedGCS(httpserver)
    taken = json.dumps(
        {
            "error": {
                "code": 409,
                "message": "Your previous request to create the named bucket succeeded and you already own it.",
            }
        }
    )
    gcs.on("/storage/v1/b", error(409, taken))
    client = _storage(httpserver)
    caplog.set_level(logging.WARNING)
    gcs.script["/storage/v1/b"] = [error(409, taken), ok(b'{"items": [{"name": "mine-1"}]}')]
    assert client.create_bucket("mine-1") is True
    assert not caplog.records
    gcs.script["/storage/v1/b"] = [error(409, taken), ok(b'{"items": []}')]
    assert client.create_bucket("theirs-1") is False
    assert len(caplog.records) == 1
    assert "another project" in caplog.records[0].getMessage()


def test_compute_retries_faults(plain_creds: CloudCredentials, fake: GcpFake) -> None:
    compute = GCEComputeClient(
        plain_creds,
        endpoint_url=fake.url,
        retry=RetryPolicy(max_attempts=4, backoff_base=0.001, backoff_cap=0.002),
    )
    fake.add_instance("us-central1-a", "vm-1")
    fake.fail_next("GET", r"/instances/vm-1$", 503)
    fake.fail_next("GET", r"/instances/vm-1$", 429)
    fake.fail_next("GET", r"/instances/vm-1$", reset=True)
    assert compute.get_instance("vm-1")["status"] == "running"
    assert len([p for m, p in fake.requests if p.endswith("/instances/vm-1")]) == 4
    fake.fail_next("POST", r"/operations/.*/wait$", 503)
    assert compute.stop_instance("vm-1") is True
    fake.fail_next("GET", r"/aggregated/instances$", 429, times=10)
    with pytest.raises(RateLimitedError):
        compute.list_instances()


def test_an_invocation_is_never_replayed_once_it_may_have_run(
    plain_creds: CloudCredentials, fake: GcpFake, tmp_path: Path
) -> None:
    (tmp_path / "h.py").write_text("def handler(event, context):\n    return event\n")
    client = CloudFunctionsServerlessClient(plain_creds, endpoint_url=fake.url, retry=FAST)
    client.create_function("echo", "python3.12", "h.handler", str(tmp_path))

    def runs() -> int:
        return len([p for m, p in fake.requests if m == "POST" and p.startswith("/run/")])

    fake.fail_next("POST", r"^/run/", 429)
    assert client.invoke_function("echo", {"x": 1}) == {"x": 1}
    assert runs() == 2  # a 429 says the function did not run: replayed
    fake.fail_next("POST", r"^/run/", reset=True)
    with pytest.raises(ProviderUnavailableError, match="reset"):
        client.invoke_function("echo", {"x": 1})
    assert runs() == 3
    fake.fail_next("POST", r"^/run/", 503, body={"error": "overloaded"})
    with pytest.raises(FunctionInvocationError) as info:
        client.invoke_function("echo", {"x": 1})
    assert (info.value.status, info.value.payload, info.value.retryable) == (
        503,
        {"error": "overloaded"},
        True,
    )
    assert runs() == 4
    fake.fail_next("GET", r"/functions$", 503)
    assert [f["name"] for f in client.list_functions()] == ["echo"]


def test_google_error_bodies_become_one_line_messages(httpserver: HTTPServer) -> None:
    gcs = ScriptedGCS(httpserver)
    denied = json.dumps({"error": {"code": 403, "message": "caller lacks storage.objects.create"}})
    gcs.on("/upload/storage/v1/b/fault-bucket/o", error(403, denied))
    gcs.on("/storage/v1/b/fault-bucket/o/k", error(403, denied))
    client = _storage(httpserver)
    for call in (
        lambda: client.upload_file("fault-bucket", "k", b"x"),
        lambda: client.stat_object("fault-bucket", "k"),
    ):
        with pytest.raises(PermissionDeniedError) as info:
            call()
        assert str(info.value).endswith(": caller lacks storage.objects.create"), info.value
