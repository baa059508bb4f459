"""``python -m cloud_common.local serve [--root R] [--port P] [--max-put-size N]``: the
presigned-URL server."""

from __future__ import annotations

import argparse
import logging
import sys

from cloud_common.local._presign import DEFAULT_PORT
from cloud_common.local._server import DEFAULT_MAX_PUT_SIZE, PresignServer

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the server until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m cloud_common.local", description="The local provider's tools."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve presigned URLs on 127.0.0.1")
    serve.add_argument("--root", help="the local root (default: as the clients choose it)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks one"
    )
    serve.add_argument(
        "--max-put-size",
        type=int,
        default=DEFAULT_MAX_PUT_SIZE,
        help=f"largest PUT body in bytes (default {DEFAULT_MAX_PUT_SIZE}, S3's single PUT)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.max_put_size < 1:
        parser.error("--max-put-size must be a positive number of bytes")
    server = PresignServer(args.root, args.port, max_put_size=args.max_put_size)
    print(f"serving presigned URLs of {server.storage.root} on {server.base_url}", flush=True)
    print(f"clients: endpoint_url={server.base_url!r}  (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
