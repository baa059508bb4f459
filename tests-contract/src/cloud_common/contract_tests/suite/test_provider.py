"""The provider's declaration and what every client shares: capabilities, secrets, close.

Declared and implemented extensions are compared on the DRIVER class: the class named by
``ProviderInfo.services`` when it is a driver, or the driver inside the public portable
class it names (first-party providers), as ``client.driver`` shows it.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from cloud_common.contract_tests._session import ContractSession
from cloud_common.contract_tests.harness import Harness
from cloud_common.core import (
    SUPPORTED_CONTRACTS,
    Capability,
    ClientOptions,
    CloudCompute,
    CloudServerless,
    CloudStorage,
    ComputeClient,
    ProviderInfo,
    ServerlessClient,
    StorageClient,
    ValidationError,
    get_provider,
)

BASES: dict[str, type[Any]] = {
    "storage": StorageClient,
    "compute": ComputeClient,
    "serverless": ServerlessClient,
}
PORTABLE: dict[str, type[Any]] = {
    "storage": CloudStorage,
    "compute": CloudCompute,
    "serverless": CloudServerless,
}
# Extensions core serves from another one when the driver does not implement them.
DERIVED = {
    Capability.OBJECT_EXISTS: Capability.STAT_OBJECT,
    Capability.WAIT_FOR_STATE: Capability.GET_INSTANCE,
}
# Extensions that are a keyword of a spec method: (method, keyword).
KEYWORDS = {
    Capability.PRESIGN_PUT: ("generate_presigned_url", "method"),
    Capability.USER_METADATA: ("upload_file", "metadata"),
}


def _overrides(cls: type[Any], base: type[Any], name: str) -> bool:
    return getattr(cls, name, None) is not getattr(base, name, None)


def _takes(cls: type[Any], method: str, keyword: str) -> bool | None:
    """True when ``cls.method`` names ``keyword``; None when it only takes ``**kwargs``."""
    params = inspect.signature(getattr(cls, method)).parameters
    if keyword in params:
        return True
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return None
    return False


def _implements(driver: type[Any], cap: Capability) -> bool | None:
    """Whether the driver class implements ``cap`` (None: it cannot be told)."""
    assert cap.service is not None
    base = BASES[cap.service]
    if cap in KEYWORDS:
        return _takes(driver, *KEYWORDS[cap])
    name = cap.value.split(".", 1)[1]
    derived = DERIVED.get(cap)
    return _overrides(driver, base, name) or (
        derived is not None and _overrides(driver, base, derived.value.split(".", 1)[1])
    )


def _drivers(contract: ContractSession) -> dict[str, type[Any]]:
    """The driver class of each service the provider offers."""
    return {s: type(contract.client(s, record=False).driver) for s in contract.info.services}


def test_provider_info_is_consistent(
    provider_info: ProviderInfo, contract: ContractSession
) -> None:
    assert provider_info.id == contract.provider_id
    version = ".".join(provider_info.contract_version.split(".")[:2])
    assert version in SUPPORTED_CONTRACTS, f"contract {version} is not one core loads"
    assert get_provider(contract.provider_id) == provider_info
    assert provider_info.services, "a provider offers at least one service"
    if "storage" in provider_info.services:
        assert provider_info.url_schemes, "a storage provider declares its URL scheme"
    for service in provider_info.services:
        named = provider_info.client_class(service)
        assert issubclass(named, BASES[service])
        client = contract.client(service, record=False)
        assert isinstance(client, PORTABLE[service]), "the registry hands out portable clients"
        assert isinstance(client.driver, BASES[service]), "the driver implements the spec's ABC"
        if not issubclass(named, PORTABLE[service]):
            assert type(client.driver) is named, "the registry wraps the named driver itself"


def test_declared_options_and_error_translation_load(provider_info: ProviderInfo) -> None:
    options = provider_info.options_class()  # PluginError when it cannot be imported
    assert options is None or issubclass(options, ClientOptions)
    translate = provider_info.error_translator()
    assert translate is None or callable(translate)


def test_an_unknown_option_is_refused_naming_it(
    contract: ContractSession, harness: Harness
) -> None:
    service = next(iter(contract.info.services))
    options = {**harness.client_options(service), "no_such_option_xyz": 1}
    with pytest.raises(ValidationError, match="no_such_option_xyz"):
        contract.build(service, harness.credentials(), options)


def test_every_declared_extension_is_implemented(contract: ContractSession) -> None:
    info, drivers = contract.info, _drivers(contract)
    missing = []
    for cap in Capability:
        if cap.service not in drivers or cap.value == cap.service or not info.supports(cap):
            continue
        driver = drivers[cap.service]
        if _implements(driver, cap) is False:
            missing.append(f"{cap.value} (not in {driver.__qualname__})")
    if info.supports(Capability.NATIVE) and not any(
        _overrides(d, BASES[s], "native") for s, d in drivers.items()
    ):
        missing.append("native (no driver overrides the native property)")
    assert not missing, f"declared but not implemented: {', '.join(missing)}"


def test_every_implemented_extension_is_declared(contract: ContractSession) -> None:
    info, drivers = contract.info, _drivers(contract)
    undeclared = []
    for cap in Capability:
        if cap.service not in drivers or cap.value == cap.service or info.supports(cap):
            continue
        if _implements(drivers[cap.service], cap):
            undeclared.append(f"{drivers[cap.service].__qualname__} implements {cap.value!r}")
    if undeclared:
        message = (
            "implemented but not declared (users cannot call it: core refuses undeclared "
            f"capabilities): {', '.join(undeclared)}"
        )
        if contract.strict:
            pytest.fail(message, pytrace=False)
        pytest.skip(message + " — fails under --cloud-strict")


@pytest.mark.capability("storage")
def test_clients_close_twice_and_work_as_context_managers(
    contract: ContractSession, harness: Harness
) -> None:
    client = contract.build("storage", harness.credentials(), harness.client_options("storage"))
    with client as inner:
        assert inner is client
        inner.list_buckets()
    client.close()
    client.close()


@pytest.mark.capability("native")
def test_native_gives_the_underlying_client(contract: ContractSession) -> None:
    for service in contract.info.services:
        assert contract.client(service, record=False).native is not None, service


def test_no_secret_in_repr_or_credentials_dict(contract: ContractSession, harness: Harness) -> None:
    secrets = harness.secrets()
    creds = harness.credentials()
    texts = {
        "repr(credentials)": repr(creds),
        "str(credentials)": str(creds),
        "credentials.to_dict()": str(creds.to_dict()),
        "repr(harness)": repr(harness),
        "str(harness)": str(harness),
        "repr(provider_info)": repr(contract.info),
    }
    for service in contract.info.services:
        client = contract.client(service, record=False)
        texts[f"repr({service} client)"] = repr(client)
        texts[f"str({service} client)"] = str(client)
        texts[f"repr({service} driver)"] = repr(client.driver)
        texts[f"str({service} driver)"] = str(client.driver)
        if contract.info.supports(Capability.NATIVE):
            texts[f"repr({service} native)"] = repr(client.native)
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret is visible in {where}"
