from __future__ import annotations

import pytest

from cloud_common.core import BucketRules, ValidationError, object_url, parse_object_url
from cloud_common.core.validation import (
    validate_bucket_name,
    validate_byte_range,
    validate_content_type,
    validate_expires_in,
    validate_key,
    validate_metadata,
    validate_presign_method,
)


@pytest.mark.parametrize("name", ["abc", "my-bucket.logs", "a" * 63, "0ab"])
def test_valid_default_buckets(name: str) -> None:
    assert validate_bucket_name(name) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "3-63"),
        ("a" * 64, "3-63"),
        ("Upper", "lowercase"),
        ("under_score", "lowercase"),
        ("-start", "starting and ending"),
        ("a..b", "'..'"),
        ("192.168.1.1", "IP address"),
        ("has/slash", "lowercase"),
        ("..", "3-63"),
        (42, "must be a str"),
    ],
)
def test_invalid_default_buckets_name_the_argument_and_rule(name: object, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule) as info:
        validate_bucket_name(name, arg="bucket", operation="create_bucket")
    assert "bucket" in str(info.value) and info.value.operation == "create_bucket"


def test_a_provider_declares_its_own_rules_as_data() -> None:
    rules = BucketRules(
        pattern=r"[a-z][a-z0-9-]{2,20}",
        description="3-21 lowercase letters, digits and '-', starting with a letter",
        forbidden=((r"--", "must not contain '--'"), (r"^acme", "must not start with 'acme'")),
    )
    assert validate_bucket_name("data-01", rules) == "data-01"
    for name, reason in [
        ("0data", "starting with a letter"),
        ("da--ta", "'--'"),
        ("acmex", "'acme'"),
    ]:
        with pytest.raises(ValidationError, match=reason):
            validate_bucket_name(name, rules)
    assert validate_bucket_name("192.168.1.1", rules.__class__(r".*", "anything")) == "192.168.1.1"


def test_the_02_rule_names_still_mean_what_they_meant() -> None:
    assert validate_bucket_name("under_score", "gcs") == "under_score"
    with pytest.raises(ValidationError, match="goog"):
        validate_bucket_name("google-data", "gcs")
    with pytest.raises(ValidationError, match="reserved"):
        validate_bucket_name("xn--bucket", "s3")
    with pytest.raises(ValidationError, match="use a BucketRules"):
        validate_bucket_name("abc", "azure")


@pytest.mark.parametrize("value", ["text/plain\r\nX: 1", "a\nb", "nul\x00"])
def test_header_bound_values_refuse_cr_lf_nul(value: str) -> None:
    with pytest.raises(ValidationError, match="content_type"):
        validate_content_type(value)
    with pytest.raises(ValidationError, match=r"metadata\['k'\]"):
        validate_metadata({"k": value})
    with pytest.raises(ValidationError, match="metadata key"):
        validate_metadata({value: "v"})


def test_metadata_ascii_only_when_the_provider_says_so() -> None:
    assert validate_metadata({"k": "ü"}) == {"k": "ü"}
    with pytest.raises(ValidationError, match="ASCII"):
        validate_metadata({"k": "ü"}, ascii_only=True)
    with pytest.raises(ValidationError, match="non-empty"):
        validate_metadata({"": "v"})


@pytest.mark.parametrize(
    "key", ["a", "dir/sub/file.txt", "with space/ü ñ 文字.txt", "a" * 1024, "%2F?#"]
)
def test_valid_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    ("key", "rule", "filesystem"),
    [
        ("", "empty", False),
        ("é" * 513, "1026 UTF-8 bytes", False),
        ("a\x00b", "control", False),
        ("line\nbreak", "control", False),
        ("../etc/passwd", "'..'", True),
        ("a/../../b", "'..'", True),
        ("/abs", "relative", True),
        ("a\\b", "relative", True),
        ("a//b", "empty", True),
        ("dir/", "empty", True),
    ],
)
def test_invalid_keys(key: str, rule: str, filesystem: bool) -> None:
    with pytest.raises(ValidationError, match=rule):
        validate_key(key, filesystem=filesystem)


def test_dotdot_is_a_plain_key_where_keys_are_not_paths() -> None:
    assert validate_key("../x") == "../x"


@pytest.mark.parametrize("value", [0, -1, 604801, 1.5, "60", True, None])
def test_expires_in_bounds(value: object) -> None:
    with pytest.raises(ValidationError, match="expires_in"):
        validate_expires_in(value)


def test_expires_in_limits_are_inclusive() -> None:
    assert validate_expires_in(1) == 1
    assert validate_expires_in(604800) == 604800


def test_presign_method_and_byte_range() -> None:
    assert validate_presign_method("put") == "PUT"
    with pytest.raises(ValidationError, match="method"):
        validate_presign_method("DELETE")
    assert validate_byte_range((0, None)) == (0, None)
    assert validate_byte_range([2, 5]) == (2, 5)
    for bad in [(5, 2), (-1, 3), (1,), ("a", 2), (True, 3)]:
        with pytest.raises(ValidationError, match="byte_range"):
            validate_byte_range(bad)


@pytest.mark.parametrize("key", ["k", "a b/ü/文字.txt", "dir/sub/", "100%?#frag", "a//b"])
def test_object_urls_round_trip_verbatim(key: str) -> None:
    for scheme in ("s3", "gs", "local"):
        url = object_url(scheme, "bucket-1", key)
        assert url == f"{scheme}://bucket-1/{key}"
        assert parse_object_url(url) == (scheme, "bucket-1", key)
        assert str(parse_object_url(url)) == url


def test_bad_urls() -> None:
    assert parse_object_url("s3://bucket") == ("s3", "bucket", "")
    for bad in ["bucket/key", "s3:/b/k", "://b/k", "s3:///key", "S3://b/k"]:
        with pytest.raises(ValidationError, match="url"):
            parse_object_url(bad)


def test_names_tags_kwargs_and_states() -> None:
    from cloud_common.core import InstanceState
    from cloud_common.core.validation import (
        validate_instance_state,
        validate_kwargs,
        validate_name,
        validate_tags,
    )

    assert validate_name("i-1", "instance_id") == "i-1"
    with pytest.raises(
        ValidationError, match="instance_id '  ' is invalid: must be a non-empty str"
    ):
        validate_name("  ", "instance_id")
    assert validate_tags(None) == {} and validate_tags({"a": ""}) == {"a": ""}
    with pytest.raises(ValidationError, match="labels"):
        validate_tags({"a": 1}, arg="labels")
    validate_kwargs({"tags": {}}, {"tags", "zone"})
    with pytest.raises(ValidationError, match=r"\['colour'\]; accepted: \['tags', 'zone'\]"):
        validate_kwargs({"colour": "red", "tags": {}}, {"tags", "zone"})
    assert validate_instance_state("running") is InstanceState.RUNNING
    with pytest.raises(ValidationError, match="use one of"):
        validate_instance_state("asleep")


def test_a_non_ascii_metadata_key_is_named_once() -> None:
    with pytest.raises(ValidationError) as info:
        validate_metadata({"ü": "v"})
    assert (
        str(info.value)
        == "metadata key 'ü' is invalid: must be ASCII (metadata keys carry ASCII only)"
    )


def test_region_problem_hints_at_near_misses() -> None:
    from cloud_common.core.validation import region_problem

    known = {"north-1", "south-2"}
    assert region_problem("north-1", known, cloud="a test", examples="'north-1'") is None
    assert "did you mean 'north-1'? (region names are lowercase)" in str(
        region_problem("NORTH-1", known, cloud="a test", examples="'north-1'")
    )
    assert "did you mean 'south-2'?" in str(
        region_problem("sooth-2", known, cloud="a test", examples="'north-1'")
    )
    assert str(region_problem("x", known, cloud="a test", examples="'north-1'")) == (
        "region 'x' is not a test region: use one such as 'north-1'"
    )
