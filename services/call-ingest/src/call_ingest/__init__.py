"""call-ingest: owns the telephony webhooks and the routing answer for a ringing tracking number.

It checks each provider's signature, answers the provider with where to forward the call (from
the config read model, no Kafka round trip), and publishes what it learned on the `calls` topic.
"""
