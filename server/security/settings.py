"""The `security:` section of the server configuration (see docs/security.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SCOPES = ("read_write", "read_only")
# Groups of calls that may be answered without a key.
EXEMPTABLE = ("health", "reflection", "metrics", "docs")


@dataclass
class TlsSettings:
    cert_file: Path | None = None  # PEM certificate chain of the server
    key_file: Path | None = None  # its PEM private key
    client_ca_file: Path | None = None  # set: clients must present a certificate it signed (mTLS)

    def __post_init__(self):
        for name in ("cert_file", "key_file", "client_ca_file"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, Path(value).expanduser())
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("security.tls: cert_file and key_file go together")
        if self.client_ca_file is not None and self.cert_file is None:
            raise ValueError("security.tls: client_ca_file needs cert_file and key_file")

    @property
    def enabled(self) -> bool:
        return self.cert_file is not None

    def read(self) -> tuple[bytes, bytes, bytes | None]:
        """(certificate chain, private key, client CA or None), as PEM bytes."""
        ca = self.client_ca_file.read_bytes() if self.client_ca_file else None
        return self.cert_file.read_bytes(), self.key_file.read_bytes(), ca


@dataclass
class ApiKeySetting:
    name: str  # who holds the key (logged, never the key itself)
    sha256: str  # hex SHA-256 of the key: the key itself is never stored
    scope: str = "read_write"

    def __post_init__(self):
        if not isinstance(self.sha256, str):  # YAML reads an unquoted all-digit hash as a number
            raise ValueError(f"security.api_keys[{self.name}]: sha256 must be a quoted string")
        if not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise ValueError(f"security.api_keys[{self.name}]: sha256 must be 64 lowercase hex digits "
                             "(`llama-stack-grpc api-key` prints one)")
        if self.scope not in SCOPES:
            raise ValueError(f"security.api_keys[{self.name}]: scope must be one of {', '.join(SCOPES)}")


@dataclass
class SecuritySettings:
    tls: TlsSettings = field(default_factory=TlsSettings)
    # Empty: no authentication (the default, meant for loopback).
    api_keys: list[ApiKeySetting] = field(default_factory=list)
    # Calls answered without a key when keys are on (Kubernetes probes send none).
    exempt: list[str] = field(default_factory=lambda: ["health"])

    def __post_init__(self):
        if isinstance(self.tls, dict):
            self.tls = TlsSettings(**self.tls)
        self.api_keys = [k if isinstance(k, ApiKeySetting) else ApiKeySetting(**k) for k in self.api_keys]
        names = [k.name for k in self.api_keys]
        if len(set(names)) != len(names):
            raise ValueError("security.api_keys: names must be unique")
        unknown = sorted(set(self.exempt) - set(EXEMPTABLE))
        if unknown:
            raise ValueError(f"security.exempt: unknown group(s) {', '.join(unknown)} "
                             f"(known: {', '.join(EXEMPTABLE)})")

