"""session-tracker: the public endpoints the tracker script calls on customer sites.

A visit becomes a `VisitStarted` on `visits` (keyed by pool); the answer the number-allocator
publishes on `leases` is awaited, boundedly, and returned to the browser.
"""
