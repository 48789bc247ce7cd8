"""Infrastructure that knows no domain: the app cache (`cache`, in-process or Redis), rate
limits (`rate_limits`), generated secrets (`local_secrets`), mail with its outbox (`mail`),
the audit log (`audit`), and the two hand-written pieces the License Server's hot path keeps
on measurement: pipelined Lua over one connection per event loop (`redis_scripts`, with
`connection_sets.PerLoop`) and a few asyncpg connections handed from caller to caller
(`pg_connections`), which `pg_reads` runs SQLAlchemy Core statements on, on the event loop."""

__all__ = ["audit", "cache", "connection_sets", "local_secrets", "mail", "pg_connections", "pg_reads", "rate_limits", "redis_scripts"]
