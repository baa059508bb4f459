"""cloud-common-fsspec: an fsspec filesystem over the object storage of any installed
cloud-common provider, for pandas, pyarrow, Dask and every fsspec user.

fsspec finds it through its ``fsspec.specs`` entry point: no import is needed.

    import pandas as pd
    df = pd.read_parquet("cloudcommon://aws/my-bucket/data.parquet",
                         storage_options={"region": "eu-west-1"})
"""

from __future__ import annotations

import logging

from cloud_common.fsspec.__about__ import __version__
from cloud_common.fsspec._file import READ_BLOCK_SIZE, WRITE_BLOCK_SIZE, CloudFile
from cloud_common.fsspec._filesystem import REQUIRED_CAPABILITIES, CloudFileSystem
from cloud_common.fsspec._paths import PROTOCOL

logging.getLogger("cloud_common.fsspec").addHandler(logging.NullHandler())

__all__ = [
    "PROTOCOL",
    "READ_BLOCK_SIZE",
    "REQUIRED_CAPABILITIES",
    "WRITE_BLOCK_SIZE",
    "CloudFile",
    "CloudFileSystem",
    "__version__",
]
