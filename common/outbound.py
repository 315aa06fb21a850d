"""Guarded outbound HTTP: requests to URLs that a user configured (webhook subscriptions
today) never reach the helpdesk's own network.

A URL typed into admin or the API could point at loopback, the private network, the cloud
metadata service (169.254.169.254, fd00:ec2::254) or any other internal address, and the
server would then make the request from inside. So every such request goes through
`fetch()`, which:

- resolves the host name with the operating system (so `2130706433`, `0177.0.0.1`,
  `localhost` and names that resolve to internal addresses are all seen as what they are),
- refuses when any resolved address is not public (loopback, private, link-local, shared,
  multicast, unspecified, reserved, documentation, and the same addresses written as
  IPv4-mapped, NAT64, 6to4 or Teredo IPv6), unless a network the caller names allows it,
- connects to the very address it checked (the Host header and the TLS server name stay the
  host name), so a DNS answer that changes between the check and the connection (DNS
  rebinding) cannot slip through,
- follows no redirect unless asked, and then only for GET/HEAD, checking every hop again.

A refused request raises `AddressNotAllowed` before any connection is made, so nothing from
the target is ever read. `check_url()` runs the same check without connecting, for the
message a form or serializer shows when the URL is saved; the check at connect time is the
one that counts.
"""

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.core.exceptions import ImproperlyConfigured

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

REDIRECT_CODES = (301, 302, 303, 307, 308)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Internal all the same, named for the message: carrier-grade NAT, often a provider's own
# internal network.
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class OutboundError(Exception):
    """The request could not be made or answered (DNS, connection, TLS, timeout)."""


class AddressNotAllowed(OutboundError):
    """The URL's host is, or resolves to, an address outbound requests may not reach."""

    def __init__(self, host: str, address: str, reason: str):
        self.host, self.address, self.reason = host, address, reason
        where = address if host.strip("[]") == address else f"{host} is {address}"
        super().__init__(f"refused: address not allowed ({where}: {reason})")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes  # at most `max_body` bytes
    url: str  # the URL that answered (after any redirects followed)
    redirects: list[str] = field(default_factory=list)


def parse_networks(entries: Iterable[str] | str) -> list[IPNetwork]:
    """Networks from a setting: "10.0.0.0/8,192.168.1.5" or a list of such entries; a bare
    address is a network of one. A malformed entry is a configuration error, not a silent
    allow-nothing."""
    if isinstance(entries, str):
        entries = entries.split(",")
    networks = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{entry!r} is not an IP address or network (e.g. 10.0.0.0/8 or 192.168.1.5)."
            ) from None
    return networks


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4, Teredo), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def why_not_public(address: IPAddress) -> str | None:
    """Why an address is internal ("loopback", "private", ...), or None when it is public."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        reason = why_not_public(embedded)
        return f"{reason} (as IPv6)" if reason else None
    for reason, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return reason
    if address.version == 4 and address in _SHARED:
        return "shared address space"
    if not address.is_global:
        return "not public"
    return None


def _allowed(address: IPAddress, allowed_networks: list[IPNetwork]) -> bool:
    candidates = [address]
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        candidates.append(embedded)
    return any(
        candidate in network
        for candidate in candidates
        for network in allowed_networks
        if network.version == candidate.version
    )


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundError("The URL must be http:// or https://.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise OutboundError("The URL's port is not a number from 1 to 65535.") from None
    if not parts.hostname:
        raise OutboundError("The URL has no host name.")
    return scheme, parts.hostname, port


def resolve_checked(host: str, port: int, *, allowed_networks: list[IPNetwork]) -> list[str]:
    """The addresses `host` resolves to, all of them allowed; raises AddressNotAllowed when
    any is not (a name with one internal address among public ones is refused whole)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundError(f"Unreachable: cannot resolve {host} ({exc})") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = sockaddr[0].split("%", 1)[0]  # an IPv6 zone id is not part of the address
        address = ipaddress.ip_address(text)
        reason = why_not_public(address)
        if reason and not _allowed(address, allowed_networks):
            raise AddressNotAllowed(host, str(address), reason)
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise OutboundError(f"Unreachable: {host} has no address")
    return addresses


def check_url(url: str, *, allowed_networks: Iterable[str] | str = ()) -> None:
    """Save-time check: raises AddressNotAllowed for a URL whose host is or resolves to an
    internal address, OutboundError for one that is not http(s). A name that does not
    resolve (yet) passes: it is checked again, for real, whenever a request is made."""
    _scheme, host, port = _split(url)
    try:
        resolve_checked(host, port, allowed_networks=parse_networks(allowed_networks))
    except AddressNotAllowed:
        raise
    except OutboundError:
        return


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Talks to `host` (Host header) over a socket connected to the checked `address`."""

    def __init__(self, host, port, *, address: str, **kwargs):
        super().__init__(host, port, **kwargs)
        self._create_connection = self._connect_to_checked_address
        self._checked_address = address

    def _connect_to_checked_address(self, host_port, timeout, source_address=None):
        return socket.create_connection(
            (self._checked_address, host_port[1]), timeout, source_address
        )


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above over TLS: the certificate is verified for, and SNI names, the host name."""

    def __init__(self, host, port, *, address: str, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._create_connection = self._connect_to_checked_address
        self._checked_address = address

    _connect_to_checked_address = _PinnedHTTPConnection._connect_to_checked_address


def _request_once(
    method: str,
    url: str,
    *,
    body: bytes | None,
    headers: dict[str, str],
    timeout: float,
    max_body: int,
    allowed_networks: list[IPNetwork],
) -> Response:
    scheme, host, port = _split(url)
    addresses = resolve_checked(host, port, allowed_networks=allowed_networks)
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = None
    last_error: OSError | None = None
    for address in addresses:
        # Try the checked addresses in turn until one connects; once something was sent, a
        # failure is final (trying another address would send the request twice).
        candidate = connection_class(host, port, address=address, timeout=timeout)
        try:
            candidate.connect()
        except OSError as exc:
            candidate.close()
            last_error = exc
            continue
        connection = candidate
        break
    if connection is None:
        raise OutboundError(f"Unreachable: {last_error}") from last_error
    try:
        connection.request(method, target, body=body, headers=headers)
        answer = connection.getresponse()
        return Response(
            status=answer.status,
            headers={name.lower(): value for name, value in answer.getheaders()},
            body=answer.read(max_body),
            url=url,
        )
    except (OSError, http.client.HTTPException) as exc:
        raise OutboundError(f"Unreachable: {exc}") from exc
    finally:
        connection.close()


def fetch(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5,
    max_body: int = 64 * 1024,
    max_redirects: int = 0,
    allowed_networks: Iterable[str] | str = (),
) -> Response:
    """Make one request to a user-configured URL, guarded as the module says.

    `allowed_networks` are internal networks this caller may reach all the same (each
    feature passes its own setting, e.g. WEBHOOK_ALLOWED_NETWORKS). With `max_redirects`
    0 a redirect is returned as it is (status 3xx); otherwise GET and HEAD follow up to that
    many, each hop resolved and checked again. Raises AddressNotAllowed (nothing sent) or
    OutboundError (DNS, connection, TLS, timeout); never reads more than `max_body` bytes.
    """
    networks = parse_networks(allowed_networks)
    method = method.upper()
    redirects: list[str] = []
    while True:
        response = _request_once(
            method,
            url,
            body=body,
            headers=headers or {},
            timeout=timeout,
            max_body=max_body,
            allowed_networks=networks,
        )
        location = response.headers.get("location")
        if (
            response.status not in REDIRECT_CODES
            or not location
            or method not in ("GET", "HEAD")
            or len(redirects) >= max_redirects
        ):
            response.redirects = redirects
            return response
        redirects.append(url)
        url = urljoin(url, location)
