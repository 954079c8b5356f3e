"""Attribution: joins each call to the lease history of its number and serves reports.

The service owns the stream join (leases re-keyed by number, then joined with
calls), the `attributed-calls` topic, the ClickHouse projection of the raw
facts and attributed calls, and the reports API over ClickHouse.
"""
