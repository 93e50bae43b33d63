"""Test accounts: one password and a cheap argon2 hasher (production cost would dominate every sign-in test)."""

from __future__ import annotations

from argon2 import PasswordHasher

# light argon2id parameters: the suite hashes dozens of passwords; production uses the library's defaults
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery staple"

__all__ = ["FAST_HASHER", "PASSWORD"]
