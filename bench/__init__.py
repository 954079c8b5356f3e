"""`make bench`: latency and throughput of the local stack, measured on this machine."""
