"""Test support for cloud-common-aws: a local AWS (moto) with fault injection, key and
presigned-URL checks and a Lambda runner, and the contract-suite harness ``AwsHarness``.

Needs the ``testing`` extra (``pip install "cloud-common-aws[testing]"``); moto and werkzeug
are imported when a server starts, never at import time.
"""

from __future__ import annotations

from cloud_common.aws.testing._faults import Fault, FaultInjector, FaultPlan
from cloud_common.aws.testing._harness import AwsHarness
from cloud_common.aws.testing._lambda_runner import ACCOUNT_ID, LambdaRunner
from cloud_common.aws.testing._server import LAMBDA_TRUST_POLICY, MotoServer
from cloud_common.aws.testing._signing import CredentialGate, presigned_url_problem

__all__ = [
    "ACCOUNT_ID",
    "LAMBDA_TRUST_POLICY",
    "AwsHarness",
    "CredentialGate",
    "Fault",
    "FaultInjector",
    "FaultPlan",
    "LambdaRunner",
    "MotoServer",
    "presigned_url_problem",
]
