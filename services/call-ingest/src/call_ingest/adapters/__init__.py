"""Vendor and infrastructure glue: Twilio signatures, TwiML, the config read model."""
