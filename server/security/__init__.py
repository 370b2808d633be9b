"""Transport security and authentication: TLS/mTLS credentials (settings.py), API keys
hashed at rest with scopes (api_keys.py) and the gRPC interceptor enforcing them
(interceptor.py)."""
