"""crm-sync: owns tenants' CRM connections; today, outbound webhook endpoints.

Every version of every attributed call is POSTed to each active endpoint of its tenant, signed
per Standard Webhooks, retried with backoff, and recorded as delivered so it is sent once.
"""
