"""Version of the cloud-common-fsspec distribution."""

__all__ = ["__version__"]

__version__ = "0.1.0"
