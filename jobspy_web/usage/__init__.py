"""API usage: every premium and search API call, logged in batches (`recorder`) to ClickHouse
or the primary database (`store`), and read back for the usage dashboard (`store.usage_summary`)."""

from jobspy_web.usage.events import UsageEvent
from jobspy_web.usage.recorder import get_recorder, stop_recorder
from jobspy_web.usage.store import usage_summary

__all__ = ["UsageEvent", "get_recorder", "stop_recorder", "usage_summary"]
