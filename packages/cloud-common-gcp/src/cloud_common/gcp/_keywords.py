"""Typed reading of the provider's own keyword arguments (``create_instance``,
``create_function``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloud_common.core import ValidationError

__all__ = ["keyword"]


def keyword(
    kwargs: Mapping[str, Any], name: str, kind: type | tuple[type, ...], default: Any = None
) -> Any:
    """``kwargs[name]`` checked against ``kind`` (a bool is no int), or ``default`` when
    absent or None.

    Raises:
        ValidationError: naming the keyword and the type it must have.
    """
    value = kwargs.get(name)
    if value is None:
        return default
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
        wanted = " or ".join(k.__name__ for k in kinds)
        raise ValidationError(f"{name} {value!r} is invalid: must be {wanted}")
    return value
