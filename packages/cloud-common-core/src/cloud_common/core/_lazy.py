"""Module attributes imported on first use (a package's ``__getattr__`` and ``__dir__``)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose public names are imported on
    first use, so that importing the package imports no SDK.

    Call it from the package's ``__init__`` (which must already be in ``sys.modules``)::

        __getattr__, __dir__ = lazy_attributes(__name__, {"S3StorageClient": "_storage"})

    Args:
        package: The package's ``__name__``.
        where: Each lazy name -> the submodule of ``package`` that defines it.

    Returns:
        ``__getattr__`` imports the name's submodule, keeps the value in the package (the
        next look-up does not come back) and raises ``AttributeError`` for an unknown
        name; ``__dir__`` lists the package's names and the lazy ones.
    """
    namespace = sys.modules[package].__dict__

    def get_attribute(name: str) -> Any:
        submodule = where.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{submodule}"), name)
        namespace[name] = value
        return value

    def list_attributes() -> list[str]:
        return sorted(set(namespace) | set(namespace.get("__all__", ())) | set(where))

    return get_attribute, list_attributes
