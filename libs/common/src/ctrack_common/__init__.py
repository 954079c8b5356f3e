"""ctrack shared plumbing: written once, used by every service."""
