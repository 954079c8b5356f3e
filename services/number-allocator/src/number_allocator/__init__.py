"""number-allocator: owns the admin API (tenants, API keys, sites, pools, numbers) and leases pool numbers.

Configuration is published as events on the compacted config topics; leases are a fold over the
`leases` topic, of which this service is the single writer per pool.
"""
