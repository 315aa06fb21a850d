"""Virus scanning of attachments through a ClamAV daemon (clamd).

On when `CLAMD_ADDRESS` is set: a unix socket path (`/run/clamav/clamd.ctl`) or
`host:port` for TCP. The file's bytes are streamed to clamd (INSTREAM), so clamd needs no
access to our storage. `clamav-client` speaks the protocol; this module turns its answers
into one verdict and one exception for "the scanner cannot answer now".
"""

from dataclasses import dataclass
from typing import BinaryIO

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket, ResponseError
from django.conf import settings


class ScannerUnavailable(Exception):
    """clamd could not be reached or gave no verdict: the file waits for a later scan."""


class ScanFailed(ScannerUnavailable):
    """clamd answered, with an error about this file (over its StreamMaxLength, say): the file
    still waits, but the scanner is up for the others."""


@dataclass(frozen=True)
class Verdict:
    infected: bool
    signature: str = ""


def scanning_enabled() -> bool:
    return bool(settings.CLAMD_ADDRESS)


def _client() -> ClamdNetworkSocket:
    address = settings.CLAMD_ADDRESS
    timeout = settings.CLAMD_TIMEOUT
    if address.startswith("unix:"):
        address = address.removeprefix("unix:").removeprefix("//")
    if address.startswith("/"):
        return ClamdUnixSocket(path=address, timeout=timeout)
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if not host or not port.isdigit():
        raise ScannerUnavailable(f"CLAMD_ADDRESS {address!r} is neither a path nor host:port.")
    return ClamdNetworkSocket(host=host.strip("[]"), port=int(port), timeout=timeout)


def scan_stream(stream: BinaryIO) -> Verdict:
    """Scan the stream from its current position to its end.

    Raises ScannerUnavailable when clamd is unreachable, times out or answers with an error
    (a file over its StreamMaxLength, for example): never a clean verdict it did not give."""
    try:
        results = _client().instream(stream)
    except ResponseError as exc:
        raise ScanFailed(str(exc) or "clamd answered ERROR") from exc
    except (ClamdError, OSError) as exc:
        raise ScannerUnavailable(str(exc) or exc.__class__.__name__) from exc
    status, signature = results.get("stream", ("", None))
    if status == "FOUND":
        return Verdict(infected=True, signature=(signature or "unknown")[:200])
    if status == "OK":
        return Verdict(infected=False)
    raise ScanFailed(f"clamd answered {status or 'nothing'} {signature or ''}".strip())
