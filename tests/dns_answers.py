"""A resolver the tests control: ``ScopedResolver`` answering from ``CAIJI_TEST_DNS_ANSWERS``.

``-s CAIJI_TEST_DNS_ANSWERS=portal.test=127.0.0.1,intranet.portal.test=10.1.2.3`` makes those
names resolve so, with no DNS query leaving the machine (any other name resolves to nothing).
Whatever the check lets through is then connected to on 127.0.0.1 port 9 only (nothing listens
there), logged as ``LEAK``: a broken check fails the test, and sends nothing off this machine.
"""

from __future__ import annotations

import ipaddress
import logging

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer, provider

from crawler.spiders.resolver import ScopedResolver

logger = logging.getLogger(__name__)


@implementer(IHostnameResolver)
class FixedAnswers:
    """Answers names from a mapping; literal addresses answer themselves."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    def resolveHostName(self, receiver, hostName, portNumber=0, addressTypes=None, transportSemantics="TCP"):  # noqa: N802, N803
        receiver.resolutionBegan(None)
        try:
            found = [str(ipaddress.ip_address(hostName))]
        except ValueError:
            found = self.answers.get(hostName.lower(), [])
        for address in found:
            kind = IPv6Address if ":" in address else IPv4Address
            receiver.addressResolved(kind("TCP", address, portNumber))
        receiver.resolutionComplete()
        return receiver


@provider(IResolutionReceiver)
class _Guard:
    """Sends whatever the check let through to 127.0.0.1:9 unless it is loopback, and says so."""

    def __init__(self, receiver, host: str) -> None:
        self.receiver = receiver
        self.host = host

    def resolutionBegan(self, resolution) -> None:  # noqa: N802
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address) -> None:  # noqa: N802
        if not ipaddress.ip_address(address.host).is_loopback:
            logger.error("LEAK: %s resolved to %s and was let through", self.host, address.host)
            address = IPv4Address("TCP", "127.0.0.1", 9)
        self.receiver.addressResolved(address)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.receiver.resolutionComplete()


class TestResolver(ScopedResolver):
    """ScopedResolver over :class:`FixedAnswers`, behind the guard."""

    __test__ = False  # not a pytest test class

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = cls(reactor, 0)
        answers: dict[str, list[str]] = {}
        for pair in (crawler.settings.get("CAIJI_TEST_DNS_ANSWERS") or "").split(","):
            if "=" in pair:
                name, address = pair.split("=", 1)
                answers.setdefault(name.strip().lower(), []).append(address.strip())
        resolver.original_resolver = FixedAnswers(answers)
        return resolver

    def resolveHostName(self, resolutionReceiver, hostName, *args, **kwargs):  # noqa: N802, N803
        return super().resolveHostName(_Guard(resolutionReceiver, hostName), hostName, *args, **kwargs)
