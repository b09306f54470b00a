"""Scope through DNS: a name is refused when it resolves to an address the crawl may not reach.

The address check of crawler/spiders/middlewares.py reads the host as written; a name such as
``intranet.example.cn`` or ``169.254.169.254.nip.io`` gets past it and resolves to a private or
metadata address. :class:`ScopedResolver` (``TWISTED_DNS_RESOLVER`` in crawler/settings.py)
checks every answer before Twisted connects, so the check holds for links and redirects alike,
and for a name whose answer changes during the crawl (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from typing import Any

from scrapy.resolver import CachingHostnameResolver
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer, provider

logger = logging.getLogger(__name__)


def is_private_address(value: str) -> bool:
    """True for a loopback, private, link-local (cloud metadata), reserved or unspecified address."""
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved or address.is_unspecified


@provider(IResolutionReceiver)
class _CheckingReceiver:
    """Holds a resolution's answers back until all are in, then hands them on only if allowed."""

    def __init__(self, receiver: IResolutionReceiver, host: str, resolver: ScopedResolver) -> None:
        self.receiver = receiver
        self.host = host
        self.resolver = resolver
        self.addresses: list[IAddress] = []

    # Twisted's interfaces name the methods.
    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:  # noqa: N802
        self.addresses.append(address)

    def resolutionComplete(self) -> None:  # noqa: N802
        # A refused name is handed on with no address: Twisted fails the connection with a
        # DNSLookupError, and ScopeMiddleware turns the retry into a recorded rejection.
        if self.resolver.admit(self.host, [getattr(a, "host", "") for a in self.addresses]):
            for address in self.addresses:
                self.receiver.addressResolved(address)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class ScopedResolver(CachingHostnameResolver):
    """Scrapy's caching resolver (IPv4 and IPv6) that refuses names answering with private addresses.

    A private answer is admitted only for a start host (``allow``) that was private from its
    first answer on: the crawl started on such an address (the demo portal, an intranet portal).
    """

    def __init__(self, reactor: Any, cache_size: int) -> None:
        super().__init__(reactor, cache_size)
        self._start_hosts: dict[str, bool | None] = {}
        self.refused: dict[str, str] = {}

    def allow(self, host: str) -> None:
        """Let ``host`` (a crawl's start host) resolve to private addresses if its first answer does."""
        self._start_hosts.setdefault(host.lower(), None)

    def admit(self, host: str, addresses: Sequence[str]) -> bool:
        """Whether a connection to ``host`` may use ``addresses``; a refusal is kept in ``refused``."""
        host = host.lower().rstrip(".")
        private = [a for a in addresses if is_private_address(a)]
        if host in self._start_hosts:
            if self._start_hosts[host] is None and addresses:
                self._start_hosts[host] = bool(private)
            if not private or self._start_hosts[host]:
                return True
        elif not private:
            return True
        if host not in self.refused:
            logger.warning("Refused %s: it resolves to the private address %s", host, private[0])
        self.refused[host] = private[0]
        return False

    def refusal(self, host: str) -> str | None:
        """Why requests to ``host`` are refused (``resolves to private address …``), or None."""
        address = self.refused.get(host.lower().rstrip("."))
        return f"{host} resolves to private address {address}" if address else None

    def resolveHostName(  # noqa: N802 (IHostnameResolver's names, called with keywords)
        self,
        resolutionReceiver: IResolutionReceiver,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Sequence[type[IAddress]] | None = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> IHostResolution:
        receiver = _CheckingReceiver(resolutionReceiver, hostName, self)
        return super().resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)
