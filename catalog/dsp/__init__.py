"""The Dataspace Protocol 2025-1, provider side: contract negotiation and transfer process.

The catalogue protocol is :mod:`catalog.federation.dsp_catalog`; this package makes its
offers obtainable. A consumer's contract request becomes an access request
(:mod:`catalog.access_requests`) that the lab's staff decide; the approval becomes the
agreement (and the grant); an HTTP-pull transfer serves what the grant allows.

- :mod:`catalog.dsp.messages`: messages read at the boundary and built for the way out;
- :mod:`catalog.dsp.negotiations`, :mod:`catalog.dsp.transfers`: the two state machines;
- :mod:`catalog.dsp.courier`: the messages owed to consumers' callbacks, delivered;
- :mod:`catalog.dsp.provider`: the three wired together for one server.
"""

from catalog.dsp.provider import DspProvider

__all__ = ["DspProvider"]
