"""All tables, imported here so SQLModel.metadata (and Alembic) sees every one."""

from jobspy_web.models.billing import Payment, Subscription
from jobspy_web.models.license import License, LicenseStatus
from jobspy_web.models.search import Job, Search, SearchJob, SearchStatus
from jobspy_web.models.usage import ApiUsage
from jobspy_web.models.user import Role, User

__all__ = [
    "ApiUsage",
    "Job",
    "License",
    "LicenseStatus",
    "Payment",
    "Role",
    "Search",
    "SearchJob",
    "SearchStatus",
    "Subscription",
    "User",
]
