"""The Acme provider as it was written against contract 0.2, frozen (commit 19381e3 of
``examples/thirdparty-provider/src/acme_cloud``): the proof that such a provider loads and
passes the contract suite unchanged on a contract-0.3 core.

Changed from the original, and only: the package name (``acme_legacy``, in imports of its
own modules), the provider id (``acme-legacy``, so it installs next to ``acme``), the literal
``contract_version="0.2"`` (the original said ``CONTRACT_VERSION``, then "0.2"), and three
``# type: ignore`` comments: 0.3 types ``ProviderInfo.bucket_rules`` as ``BucketRules`` only
and widened the ``source`` / ``dest`` types of the ABC's stream methods, which mypy reports
on 0.2 code (runtime is unaffected). It still runs on the Acme cloud's fake backend
(``acme_cloud._store``, ``acme_cloud._gateway``).
"""
