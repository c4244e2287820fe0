"""The audit key the tests' session factories write with (production reads audit_key_file)."""

from callcenter.audit_keys import AuditKeys

AUDIT_KEYS = AuditKeys.of(b"test audit key: 32 bytes or more!")
