"""The webhook-endpoints REST resource and the attributed-calls consumer handler."""
