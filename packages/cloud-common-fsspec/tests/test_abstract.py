"""fsspec's own abstract test suite (``fsspec.tests.abstract``) against the bridge, on the
local provider, on aws (moto's server) and on gcp (a GCS emulator).

Excluded, with reasons:
- ``supports_empty_directories`` is False: object stores have no empty directories, a
  directory exists while an object is below it (as for s3fs and gcsfs).
- fsspec has no abstract ``mv`` suite (``fsspec/tests/abstract/mv.py`` only tests the local
  filesystem); ``test_filesystem.py`` tests ``mv`` on every provider instead.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest
from fsspec.tests import abstract

from cloud_common.fsspec import CloudFileSystem


class BridgeFixtures(abstract.AbstractFixtures):  # type: ignore[misc]
    """The suite's fixtures: one bucket per test class, paths joined with ``/``."""

    provider: ClassVar[str]

    @pytest.fixture(scope="class")
    @classmethod
    def fs(cls, options_for: Callable[[str], dict[str, Any]]) -> CloudFileSystem:
        return CloudFileSystem(cls.provider, skip_instance_cache=True, **options_for(cls.provider))

    @pytest.fixture(scope="class")
    @classmethod
    def class_bucket(
        cls, fs: CloudFileSystem, make_bucket: Callable[[CloudFileSystem], str]
    ) -> Iterator[str]:
        name = make_bucket(fs)
        yield name
        fs.rm(name, recursive=True)

    @pytest.fixture
    def fs_path(self, class_bucket: str) -> str:
        return class_bucket

    @pytest.fixture
    def fs_join(self) -> Callable[..., str]:
        return posixpath.join

    @pytest.fixture
    def supports_empty_directories(self) -> bool:
        return False


class LocalFixtures(BridgeFixtures):
    provider = "local"


class AwsFixtures(BridgeFixtures):
    provider = "aws"


class GcpFixtures(BridgeFixtures):
    provider = "gcp"


class TestLocalCopy(abstract.AbstractCopyTests, LocalFixtures):  # type: ignore[misc]
    pass


class TestLocalGet(abstract.AbstractGetTests, LocalFixtures):  # type: ignore[misc]
    pass


class TestLocalPut(abstract.AbstractPutTests, LocalFixtures):  # type: ignore[misc]
    pass


class TestLocalOpen(abstract.AbstractOpenTests, LocalFixtures):  # type: ignore[misc]
    pass


class TestLocalPipe(abstract.AbstractPipeTests, LocalFixtures):  # type: ignore[misc]
    pass


class TestAwsCopy(abstract.AbstractCopyTests, AwsFixtures):  # type: ignore[misc]
    pass


class TestAwsGet(abstract.AbstractGetTests, AwsFixtures):  # type: ignore[misc]
    pass


class TestAwsPut(abstract.AbstractPutTests, AwsFixtures):  # type: ignore[misc]
    pass


class TestAwsOpen(abstract.AbstractOpenTests, AwsFixtures):  # type: ignore[misc]
    pass


class TestAwsPipe(abstract.AbstractPipeTests, AwsFixtures):  # type: ignore[misc]
    pass


class TestGcpCopy(abstract.AbstractCopyTests, GcpFixtures):  # type: ignore[misc]
    pass


class TestGcpGet(abstract.AbstractGetTests, GcpFixtures):  # type: ignore[misc]
    pass


class TestGcpPut(abstract.AbstractPutTests, GcpFixtures):  # type: ignore[misc]
    pass


class TestGcpOpen(abstract.AbstractOpenTests, GcpFixtures):  # type: ignore[misc]
    pass


class TestGcpPipe(abstract.AbstractPipeTests, GcpFixtures):  # type: ignore[misc]
    pass
