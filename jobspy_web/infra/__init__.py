"""Infrastructure that knows no domain: the app cache (`cache`, in-process or Redis), rate
limits (`rate_limits`), generated secrets (`local_secrets`), mail with its outbox (`mail`),
the audit log (`audit`), and the hand-written Redis and connection pieces the License
Server's hot path needs (`redis_scripts`, `connection_sets`)."""

__all__ = ["audit", "cache", "connection_sets", "local_secrets", "mail", "rate_limits", "redis_scripts"]
