"""Saved searches: what may be saved and changed (`store`, against the owner's tier), when
their slots fall (`schedules`, in the owner's time zone), and their runs (`runs`: one per
slot across every worker, only-new jobs, an alert when something is new)."""

__all__ = ["runs", "schedules", "store"]
