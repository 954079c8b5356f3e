"""Outbound HTTP delivery and the webhook-deliveries log."""
