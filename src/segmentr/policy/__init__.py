"""The Limitr-compatible policy engine: pure, in-memory, no I/O (spec/policy.md)."""
