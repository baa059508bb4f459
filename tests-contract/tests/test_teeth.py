"""The suite has teeth: each deliberately broken Acme variant must make it fail, the intact
providers (acme, the frozen 0.2 acme-legacy) must pass it strict with nothing left behind,
and a defect core repairs for every driver must not reach the suite's tests."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cloud_common.contract_tests._session import SUITE_DIR

S = str(SUITE_DIR)

# The intact providers run the whole suite, strict; each broken one the modules its defect
# shows in (the whole suite would fail too, only slower).
RUNS: dict[str, tuple[str, ...]] = {
    "acme": ("--cloud-strict",),
    "acme-legacy": ("--cloud-strict",),
    "acme-dropbyte": (f"{S}/test_storage.py", f"{S}/test_storage_data.py"),
    "acme-nodelete": (f"{S}/test_storage.py",),
    "acme-omits": (f"{S}/test_storage_listing.py",),
    "acme-liar": (f"{S}/test_storage_objects.py",),
    "acme-terminate": (f"{S}/test_compute.py",),
    "acme-escape": (f"{S}/test_storage.py",),
    "acme-leaky": (f"{S}/test_storage.py",),
    "acme-leakyerror": (f"{S}/test_storage.py",),
    "acme-doublewarn": (f"{S}/test_storage.py",),
    "acme-silent02": (f"{S}/test_storage.py",),
    "acme-rawstate": (f"{S}/test_compute.py",),
    "acme-badsig": (f"{S}/test_presigned.py",),
    "acme-undeclared": (f"{S}/test_provider.py", f"{S}/test_storage_objects.py"),
    "acme-undeclared strict": (
        "--cloud-strict",
        f"{S}/test_provider.py",
        f"{S}/test_storage_objects.py",
    ),
    "acme-overclaims": (f"{S}/test_provider.py", f"{S}/test_storage_objects.py"),
    "acme-nobadcreds": ("-k", "bad_credentials"),
    "acme-nobadcreds strict": ("--cloud-strict", "-k", "bad_credentials"),
    "acme-nobadcreds maxskips": (
        "--cloud-strict",
        "--cloud-max-skips",
        "2",
        "-k",
        "bad_credentials",
    ),
    # issue 10: each bug class fails the test written for it
    "acme-forever": (f"{S}/test_presigned.py",),
    "acme-unbound": (f"{S}/test_presigned.py",),
    "acme-uploadorder": (f"{S}/test_storage_listing.py",),
    "acme-merging": (f"{S}/test_storage_keys.py",),
    "acme-nopayload": (f"{S}/test_serverless.py",),
    "acme-reprleak": (f"{S}/test_provider.py",),
    "acme-allbuckets": (f"{S}/test_storage.py",),
    "acme-anybucket": (f"{S}/test_bad_input.py",),
    # issue 16: time limits, safe retries, one voice, the handler's runtime, threads
    "acme-replays": (f"{S}/test_faults.py", "-k", "not_replayed"),
    "acme-nodeadline": (f"{S}/test_faults.py", "-k", "storage-list-buckets"),
    "acme-verbose": (f"{S}/test_storage.py",),
    "acme-ignoreskw": (f"{S}/test_serverless_runtime.py",),
    "acme-sharedbuffer": (f"{S}/test_threads.py", f"{S}/test_storage.py"),
    # defects core repairs: the suite passes
    "acme-silent": ("--cloud-strict", f"{S}/test_storage.py"),
    "acme-partial": ("--cloud-strict", f"{S}/test_storage_streams.py"),
    "acme-wrongurl": ("--cloud-strict", f"{S}/test_storage.py", f"{S}/test_storage_data.py"),
}


@pytest.fixture(scope="module")
def runs(
    variants: Path, tmp_path_factory: pytest.TempPathFactory, suite_runner: Any
) -> dict[str, Any]:
    """Every run of the table above, a few at a time, each in an empty directory."""

    def one(name: str) -> Any:
        cwd = tmp_path_factory.mktemp(name.replace(" ", "-"))
        return suite_runner(cwd, name.split(maxsplit=1)[0], *RUNS[name], plugins=variants)

    with ThreadPoolExecutor(max_workers=min(4, (os.cpu_count() or 2) + 1)) as pool:
        return dict(zip(RUNS, pool.map(one, RUNS), strict=True))


def _failed(run: Any, *names: str) -> None:
    assert run.returncode == 1, f"exit {run.returncode}\n{run.output[-3000:]}"
    for name in names:
        assert "failed" in run.outcome(name), (
            f"{name} did not fail: {run.outcome(name)}; failed: {run.failed()}"
        )


LEGACY_LIMITS = {
    "harness limitation: fault_client_options() is None": 7,
    "harness limitation: fault_upstream_url() is None": 4,
}
"""The frozen 0.2 harness predates the network-fault hooks."""


def _passed_clean(run: Any, *names: str, limitations: dict[str, int] | None = None) -> None:
    """The run passed strict: nothing failed, skipped (but ``limitations``), violated or
    left behind."""
    assert run.returncode == 0, run.output[-5000:]
    report = run.report
    assert report["totals"]["failed"] == 0
    assert report["harness_limitations"] == (limitations or {})
    assert report["totals"]["skipped"] == sum((limitations or {}).values())
    assert report["violations"] == [] and report["leftovers"] == []
    assert report["strict"] is True
    for name in names:
        assert run.outcome(name) == {"passed"}, f"{name}: {run.outcome(name)}"


@pytest.mark.parametrize("provider", ["acme", "acme-legacy"])
def test_the_intact_providers_pass_strict_with_nothing_left(
    runs: dict[str, Any], provider: str
) -> None:
    run = runs[provider]
    _passed_clean(run, limitations=LEGACY_LIMITS if provider == "acme-legacy" else None)
    report = run.report
    assert report["totals"]["passed"] >= 280
    assert report["unmarked_calls"] == [], "every suite test declares the capabilities it uses"
    assert report["undeclared_calls"] == []
    declared = set(report["declared_capabilities"])
    assert {c for c, row in report["capabilities"].items() if row["status"] == "passed"} == declared
    assert report["provider"] == provider
    assert report["contract_version"] == ("0.2" if provider == "acme-legacy" else "0.3")
    assert report["versions"]["cloud-common-core"]


def test_a_download_that_drops_a_byte_fails(runs: dict[str, Any]) -> None:
    _failed(
        runs["acme-dropbyte"],
        "test_upload_then_download_returns_the_same_bytes",
        "test_payload_round_trips_byte_for_byte[one-byte]",
        "test_payload_round_trips_byte_for_byte[10MiB]",
    )


def test_a_delete_that_does_not_delete_fails_and_leaves_buckets_behind(
    runs: dict[str, Any],
) -> None:
    run = runs["acme-nodelete"]
    _failed(run, "test_delete_file_is_true_and_the_object_is_gone")
    assert any(left.startswith("bucket cct") for left in run.report["leftovers"]), run.report[
        "leftovers"
    ]


def test_a_list_that_omits_an_entry_fails(runs: dict[str, Any]) -> None:
    _failed(
        runs["acme-omits"],
        "test_lists_every_object_once_sorted_with_sizes",
        "test_more_objects_than_a_page_holds",
    )


def test_a_bool_that_lies_fails(runs: dict[str, Any]) -> None:
    _failed(runs["acme-liar"], "test_object_exists_tells_the_truth")
    _failed(runs["acme-terminate"], "test_unknown_id_start_and_stop_are_false_terminate_is_true")


def test_an_sdk_exception_the_translation_misses_fails(runs: dict[str, Any]) -> None:
    run = runs["acme-escape"]
    _failed(run, "test_download_of_a_missing_object_raises_object_not_found")
    messages = [v["message"] for v in run.report["violations"]]
    assert any("acme_cloud._store.AcmeNoSuchKey escape" in m for m in messages), messages


def test_a_secret_in_a_log_record_fails(runs: dict[str, Any]) -> None:
    run = runs["acme-leaky"]
    _failed(run, "test_list_buckets_returns_names_including_a_new_bucket")
    messages = [v["message"] for v in run.report["violations"]]
    assert any("record of logger 'broken_acme' contains a secret" in m for m in messages)
    assert any("listing buckets as <redacted>" in m for m in messages), "the report shows no secret"


def test_a_secret_in_an_error_text_fails(runs: dict[str, Any]) -> None:
    run = runs["acme-leakyerror"]
    _failed(run, "test_bad_credentials_raise_an_auth_error[list_buckets]")
    assert any("the error raised by" in v["message"] for v in run.report["violations"])


def test_a_driver_that_logs_its_own_warning_fails(runs: dict[str, Any]) -> None:
    _failed(
        runs["acme-doublewarn"], "test_delete_file_in_a_missing_bucket_is_false_with_one_warning"
    )


def test_a_02_false_without_its_warning_fails(runs: dict[str, Any]) -> None:
    _failed(runs["acme-silent02"], "test_delete_file_in_a_missing_bucket_is_false_with_one_warning")


def test_a_raw_instance_state_fails(runs: dict[str, Any]) -> None:
    _failed(runs["acme-rawstate"], "test_create_instance_returns_a_compute_resource")


def test_a_presigned_url_that_does_not_work_fails(runs: dict[str, Any]) -> None:
    _failed(runs["acme-badsig"], "test_presigned_get_downloads_the_object")


def test_an_implemented_but_undeclared_extension_fails_only_in_strict_mode(
    runs: dict[str, Any],
) -> None:
    lenient, strict = runs["acme-undeclared"], runs["acme-undeclared strict"]
    assert lenient.returncode == 0, lenient.output[-3000:]
    assert lenient.outcome("test_every_implemented_extension_is_declared") == {"skipped"}
    assert lenient.outcome("test_copy_file_copies_bytes") == {"skipped"}
    row = lenient.report["capabilities"]["storage.copy_file"]
    assert row["declared"] is False and row["status"] == "skipped"
    assert any("does not declare capability 'storage.copy_file'" in r for r in row["skip_reasons"])
    _failed(strict, "test_every_implemented_extension_is_declared")
    assert strict.outcome("test_copy_file_copies_bytes") == {"skipped"}, "undeclared: still a skip"


def test_a_declared_but_unimplemented_extension_fails(runs: dict[str, Any]) -> None:
    run = runs["acme-overclaims"]
    _failed(run, "test_every_declared_extension_is_implemented", "test_copy_file_copies_bytes_and")
    assert any("NoCopyStorage" in (t["reason"] or "") for t in run.report["tests"])


def test_harness_limitations_are_counted_and_bounded_by_max_skips(
    runs: dict[str, Any],
) -> None:
    lenient, strict = runs["acme-nobadcreds"], runs["acme-nobadcreds strict"]
    bounded = runs["acme-nobadcreds maxskips"]
    assert lenient.returncode == 0, lenient.output[-3000:]
    assert lenient.outcome("test_bad_credentials_raise_an_auth_error") == {"skipped"}
    assert strict.returncode == 0, strict.output[-3000:]
    assert strict.outcome("test_bad_credentials_raise_an_auth_error") == {"skipped"}
    limits = strict.report["harness_limitations"]
    reason = "harness limitation: bad_credentials() is None: the fake does not check credentials"
    assert limits == {reason: strict.report["totals"]["skipped"]}, limits
    assert limits[reason] > 2
    assert bounded.returncode == 1, bounded.output[-3000:]
    assert bounded.report["max_skips"] == 2
    assert "--cloud-max-skips 2" in bounded.output


# -- issue 10: realistic bugs, each caught by the property written for it ---------------------


def test_a_presigned_url_that_ignores_expires_in_fails(runs: dict[str, Any]) -> None:
    _failed(runs["acme-forever"], "test_a_presigned_url_is_refused_after_it_expires")


def test_a_signature_that_does_not_bind_the_key_fails(runs: dict[str, Any]) -> None:
    _failed(runs["acme-unbound"], "test_a_presigned_url_with_another_key_is_refused")


def test_a_listing_in_upload_order_fails(runs: dict[str, Any]) -> None:
    run = runs["acme-uploadorder"]
    _failed(run, "test_objects_uploaded_in_any_order_list_in_key_order")
    assert run.outcome("test_lists_every_object_once_sorted") == {"passed"}, "fixtures are sorted"


def test_keys_the_provider_normalises_fail(runs: dict[str, Any]) -> None:
    _failed(
        runs["acme-merging"],
        "test_keys_a_careless_provider_would_merge_stay_distinct[space-underscore]",
        "test_keys_a_careless_provider_would_merge_list_and_stat_apart[space-underscore]",
    )


def test_an_invocation_error_without_the_remote_payload_fails(runs: dict[str, Any]) -> None:
    _failed(runs["acme-nopayload"], "test_a_failing_function_raises_function_invocation_error")


def test_a_secret_in_the_drivers_own_repr_fails(runs: dict[str, Any]) -> None:
    _failed(runs["acme-reprleak"], "test_no_secret_in_repr_or_credentials_dict")


def test_list_buckets_showing_another_accounts_buckets_fails(runs: dict[str, Any]) -> None:
    _failed(runs["acme-allbuckets"], "test_list_buckets_shows_only_the_callers_buckets")


def test_bucket_rules_that_accept_anything_fail_the_bad_input_table(runs: dict[str, Any]) -> None:
    run = runs["acme-anybucket"]
    _failed(run, "[storage-bucket-upper]", "[storage-bucket-long]")
    assert len(run.failed()) == 2, run.failed()


# -- issue 16 -----------------------------------------------------------------------------------


def test_a_write_sent_again_after_the_service_acted_fails(runs: dict[str, Any]) -> None:
    _failed(
        runs["acme-replays"],
        "test_an_upload_whose_reply_is_lost_is_not_replayed",
        "test_an_invocation_whose_reply_is_lost_is_not_replayed",
        "test_a_create_function_whose_reply_is_lost_is_not_replayed",
        "test_a_create_instance_whose_reply_is_lost_is_not_replayed",
    )


def test_a_call_that_outlives_its_deadline_fails(runs: dict[str, Any]) -> None:
    _failed(
        runs["acme-nodeadline"],
        "never_answers_times_out_within_the_deadline[storage-list-buckets]",
    )


def test_an_error_with_a_raw_http_dump_fails(runs: dict[str, Any]) -> None:
    run = runs["acme-verbose"]
    _failed(run, "test_download_of_a_missing_object_raises_object_not_found")
    messages = [v["message"] for v in run.report["violations"]]
    assert any("raw HTTP exchange" in m for m in messages), messages


def test_portable_function_keywords_that_are_ignored_fail(runs: dict[str, Any]) -> None:
    _failed(
        runs["acme-ignoreskw"],
        "test_the_environment_given_to_create_function_reaches_the_handler",
        "test_the_timeout_given_to_create_function_is_enforced",
        "test_the_handler_gets_a_lambda_like_context",
    )


def test_a_client_that_is_not_thread_safe_fails(runs: dict[str, Any]) -> None:
    run = runs["acme-sharedbuffer"]
    _failed(run, "test_one_client_shared_by_8_threads_stays_correct")
    assert run.failed() == [t for t in run.failed() if "test_threads" in t], run.failed()


# -- defects core repairs: a driver cannot get these wrong any more ----------------------------


def test_core_logs_the_warning_a_03_driver_leaves_out(runs: dict[str, Any]) -> None:
    _passed_clean(
        runs["acme-silent"], "test_delete_file_in_a_missing_bucket_is_false_with_one_warning"
    )


def test_core_leaves_no_partial_file_when_a_driver_fails_mid_download(
    runs: dict[str, Any],
) -> None:
    _passed_clean(
        runs["acme-partial"], "test_download_stream_of_a_missing_object_raises_and_leaves_no_file"
    )


def test_core_returns_the_canonical_url_whatever_the_driver_says(runs: dict[str, Any]) -> None:
    _passed_clean(
        runs["acme-wrongurl"], "test_upload_returns_the_canonical_url", "test_key_round_trips"
    )
