"""All tables, imported here so SQLModel.metadata (and Alembic) sees every one."""

from jobspy_web.models.account import ApiToken, LoginSession, OAuthIdentity, OutboxMessage, RevokedJwt
from jobspy_web.models.alert import Alert, AlertDelivery, DeliveryStatus, PushSubscription
from jobspy_web.models.audit import AuditEvent
from jobspy_web.models.billing import Payment, StripeEvent, Subscription
from jobspy_web.models.insights import JobSalaryFact, OewsArea, OewsOccupation, OewsRelease, OewsWage
from jobspy_web.models.license import License, LicenseMachine, LicenseStatus
from jobspy_web.models.saved_search import RunStatus, SavedSearch, SavedSearchRun, SavedSearchTombstone, ScheduleKind, SeenJob
from jobspy_web.models.search import Job, Search, SearchJob, SearchStatus
from jobspy_web.models.throttle import LoginThrottle
from jobspy_web.models.tracker import TrackedJob, TrackedJobLink, TrackerStage
from jobspy_web.models.usage import ApiUsage
from jobspy_web.models.user import Role, User

__all__ = [
    "Alert",
    "AlertDelivery",
    "ApiToken",
    "ApiUsage",
    "AuditEvent",
    "DeliveryStatus",
    "Job",
    "JobSalaryFact",
    "License",
    "LicenseMachine",
    "LicenseStatus",
    "LoginSession",
    "LoginThrottle",
    "OAuthIdentity",
    "OewsArea",
    "OewsOccupation",
    "OewsRelease",
    "OewsWage",
    "OutboxMessage",
    "Payment",
    "PushSubscription",
    "RevokedJwt",
    "Role",
    "RunStatus",
    "SavedSearch",
    "SavedSearchRun",
    "SavedSearchTombstone",
    "ScheduleKind",
    "Search",
    "SearchJob",
    "SearchStatus",
    "SeenJob",
    "StripeEvent",
    "Subscription",
    "TrackedJob",
    "TrackedJobLink",
    "TrackerStage",
    "User",
]
