"""How the outside reaches the allocator: the admin REST routers and the visits consumer handler."""
