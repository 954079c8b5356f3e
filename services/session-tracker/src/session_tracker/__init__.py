"""session-tracker: the public endpoints the tracker script calls on customer sites.

A page load becomes a `VisitStarted` on `visits` (keyed by pool) unless it is screened out (bots,
prefetches, no consent, the per-address caps); the answer the number-allocator publishes on `leases`
is awaited, boundedly, and returned to the browser. Every later change of the visitor's number is
pushed to all of the visitor's tabs over WebSockets (or seen by polling the heartbeat).
"""
