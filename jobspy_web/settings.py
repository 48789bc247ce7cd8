"""The one Settings object, read from the environment (and an optional `.env`)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AnyUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    FilePath,
    PostgresDsn,
    RedisDsn,
    SecretStr,
    TypeAdapter,
    UrlConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class PlanSetting(BaseModel):
    """One plan on the Pricing page. What it unlocks comes from its tier (core.tiers)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str = Field(min_length=1, max_length=80)
    tier: Literal["free", "pro", "team"]
    # free: nothing to pay; subscription: Stripe Checkout; one_time: a PaymentIntent.
    kind: Literal["free", "subscription", "one_time"]
    interval: Literal["month", "year"] | None = None
    price_cents: int = Field(0, ge=0, le=100_000_000)
    currency: str = Field("usd", pattern=r"^[a-z]{3}$")
    # Empty: shown, but not for sale until the Stripe price exists.
    stripe_price_id: str = Field("", pattern=r"^(price_[A-Za-z0-9_]{1,200})?$")
    # one_time plans: how long the license they issue lasts; None: for good.
    license_days: int | None = Field(None, ge=1, le=36_500)

    @model_validator(mode="after")
    def _consistent(self) -> PlanSetting:
        if (self.kind == "subscription") != (self.interval is not None):
            raise ValueError(f"plan {self.id}: a subscription has an interval (month or year), other kinds none")
        if self.kind == "free" and (self.price_cents or self.stripe_price_id or self.tier != "free"):
            raise ValueError(f"plan {self.id}: a free plan has no price and the free tier")
        if self.kind != "free" and self.price_cents == 0:
            raise ValueError(f"plan {self.id}: a paid plan needs price_cents above 0")
        if self.license_days is not None and self.kind != "one_time":
            raise ValueError(f"plan {self.id}: license_days is for one_time plans (subscriptions last their period)")
        return self


DEFAULT_PLANS = [
    PlanSetting(id="free", name="Free", tier="free", kind="free"),
    PlanSetting(id="pro_monthly", name="Pro", tier="pro", kind="subscription", interval="month", price_cents=1200),
    PlanSetting(id="pro_yearly", name="Pro (yearly)", tier="pro", kind="subscription", interval="year", price_cents=12000),
    PlanSetting(id="team_monthly", name="Team", tier="team", kind="subscription", interval="month", price_cents=4900),
    PlanSetting(id="desktop_lifetime", name="Desktop lifetime", tier="pro", kind="one_time", price_cents=14900),
]


class SalaryProviderSetting(BaseModel):
    """One external salary API (Glassdoor, PayScale, Salary.com...): see insights.providers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    url: Annotated[str, Field(min_length=1)]
    api_key: SecretStr = SecretStr("")


def _url_of(url_type: Any, *, keep: Callable[[str], str] = lambda text: text) -> AfterValidator:
    """Validate text as one of pydantic's URL types, keep it as the text given (empty: unset)."""
    adapter = TypeAdapter(url_type)

    def check(text: str) -> str:
        if text:
            adapter.validate_python(text)
        return keep(text)

    return AfterValidator(check)


def _database_url(text: str) -> str:
    if text and not text.startswith("sqlite"):
        TypeAdapter(PostgresDsn).validate_python(text)
    elif text:
        TypeAdapter(Annotated[AnyUrl, UrlConstraints(allowed_schemes=["sqlite", "sqlite+pysqlite"])]).validate_python(text)
    return text


def _unset_if_empty(value: object) -> object:
    return None if value == "" else value


DatabaseUrl = Annotated[str, AfterValidator(_database_url)]
# unix:// sockets too, which pydantic's RedisDsn leaves out.
RedisUrl = Annotated[str, _url_of(RedisDsn | Annotated[AnyUrl, UrlConstraints(allowed_schemes=["unix"])])]
HttpUrl = Annotated[str, _url_of(AnyHttpUrl, keep=lambda text: text.rstrip("/"))]
SmtpUrl = Annotated[AnyUrl, UrlConstraints(allowed_schemes=["smtp", "smtps"])]
OptionalFile = Annotated[FilePath | None, BeforeValidator(_unset_if_empty)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    # Empty means a SQLite file under data_dir: the embedded default.
    database_url: DatabaseUrl = ""
    database_replica_url: DatabaseUrl = ""
    # A replica further behind than this serves no reads: the primary does (db.read_session).
    database_replica_max_lag_seconds: float = Field(5.0, gt=0, le=3600)
    # Empty means in-process cache and rate limits.
    redis_url: RedisUrl = ""
    # Redis by role, each defaulting to REDIS_URL: the cache (license answers, sessions'
    # lookups), the rate limits, and shared state (Reflex's page state, the queue).
    redis_cache_url: RedisUrl = ""
    redis_limits_url: RedisUrl = ""
    redis_state_url: RedisUrl = ""
    # GET /metrics wants `Authorization: Bearer <this>`; empty: loopback clients only.
    metrics_token: SecretStr = SecretStr("")
    # Backups (`cli backup` / `restore`, infra.backups): an S3-compatible bucket (AWS_* for
    # its credentials), the AES-256 key (32 bytes, urlsafe base64: `cli backup --new-key`).
    backup_s3_bucket: str = ""
    backup_s3_prefix: str = Field("backups/", max_length=200)
    backup_s3_endpoint_url: HttpUrl = ""
    backup_encryption_key: SecretStr = SecretStr("")
    backup_keep_count: int = Field(14, ge=1, le=10_000)
    backup_keep_days: float = Field(30, gt=0, le=36_500)

    jobspy_proxies: Annotated[list[str], NoDecode] = []
    jobspy_ca_cert: OptionalFile = None
    jobspy_site_timeout_seconds: float = Field(120.0, gt=0, le=3600)
    jobspy_max_concurrent_sites: int = Field(8, ge=1, le=16)
    # A search whose runner has been silent this long is shown as interrupted.
    search_heartbeat_timeout_seconds: float = Field(30.0, gt=0)

    # Where links in mails point, e.g. https://jobs.example.com.
    public_url: HttpUrl = "http://localhost:3000"
    # Signs email links and cookies. Empty: a random key kept in DATA_DIR (development only).
    secret_key: SecretStr = SecretStr("")
    session_days: int = Field(30, ge=1, le=365)
    # A sign-in unused this long ends (ASVS 3.3); SESSION_DAYS still bounds it absolutely.
    session_idle_minutes: int = Field(720, ge=5, le=525_600)
    # Proxies whose X-Forwarded-For we believe (FORWARDED_ALLOW_IPS-style: IPs or CIDRs,
    # comma-separated, "*" for any). Empty: the peer's address is the client's.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = []
    # The web server's bounds (infra.server_limits): a connection that has not sent a whole
    # request's headers in this time is closed, an idle kept-alive one included; at most
    # this many requests (websockets included) in flight per web worker, the rest wait.
    http_header_timeout_seconds: float = Field(10.0, ge=0.5, le=300)
    http_max_concurrent_requests: int = Field(1024, ge=1, le=100_000)
    # smtp://user:password@host:587 or smtps://...; empty: mail goes to the log and the outbox.
    smtp_url: SecretStr = SecretStr("")  # it may carry a password
    mail_from: str = "JobSpy Web <no-reply@localhost>"
    github_client_id: str = ""
    github_client_secret: SecretStr = SecretStr("")
    google_client_id: str = ""
    google_client_secret: SecretStr = SecretStr("")

    # Signs API access tokens (RS256). PEM text or a file; neither: a dev key pair is
    # generated in DATA_DIR/jwt_private.pem (never in production).
    jwt_private_key: SecretStr = SecretStr("")
    jwt_private_key_file: OptionalFile = None
    jwt_issuer: str = Field("jobspy-web", min_length=1, max_length=200)
    jwt_audience: str = Field("jobspy-web-api", min_length=1, max_length=200)
    # During a key rotation: the old key's public PEM, still accepted and in the JWKS until
    # the tokens it signed expire (JWT_TTL_SECONDS after the switch); then unset it.
    jwt_previous_public_key: str = ""
    # Short-lived on purpose: revoking a personal token stops new JWTs, this bounds old ones.
    jwt_ttl_seconds: int = Field(900, ge=60, le=3600)

    # Licenses. Their answers are signed with Ed25519: PEM text or a file; neither: a dev
    # key generated in DATA_DIR/license_signing_key.pem (never in production).
    license_signing_key: SecretStr = SecretStr("")
    license_signing_key_file: OptionalFile = None
    # Desktop apps older than this are told VERSION_UNSUPPORTED.
    license_min_app_version: str = Field("0.0.0", pattern=r"^\d{1,6}(\.\d{1,6}){0,3}$")
    # Validate, activate and deactivate share these budgets ("N/second|minute|hour|day").
    license_limit_per_ip: str = Field("300/minute", pattern=r"^\d+/(second|minute|hour|day)$")
    license_limit_per_key: str = Field("60/minute", pattern=r"^\d+/(second|minute|hour|day)$")

    # The desktop app (`python -m jobspy_web.desktop`) runs this app for one person on their
    # own machine: DESKTOP_MODE signs in its local user (the launcher's one-time
    # DESKTOP_LAUNCH_SECRET opens the session), LICENSE_SERVER_URL checks its license every
    # DESKTOP_LICENSE_CHECK_SECONDS (a kept, signed answer counts offline: jobspy_web.client).
    desktop_mode: bool = False
    desktop_launch_secret: SecretStr = SecretStr("")
    license_server_url: HttpUrl = ""
    desktop_license_check_seconds: float = Field(6 * 3600.0, ge=1, le=7 * 86400)

    # Web Push (alerts): the VAPID key as PEM; empty: one generated into DATA_DIR/vapid_private.pem.
    vapid_private_key: SecretStr = SecretStr("")
    vapid_subject: str = Field("mailto:admin@localhost", pattern=r"^(mailto:|https://).+")

    # Stripe. No secret key: the Pricing page shows the plans and says payments are off.
    stripe_secret_key: SecretStr = SecretStr("")
    stripe_publishable_key: str = Field("", pattern=r"^(pk_(test|live)_[A-Za-z0-9]+)?$")
    stripe_webhook_secret: SecretStr = SecretStr("")
    # Empty: Stripe itself. Tests point the SDK at a local fake server.
    stripe_api_base: HttpUrl = ""
    # BILLING_PLANS: a JSON list of PlanSetting objects; ids are what the API and pages use.
    billing_plans: Annotated[list[PlanSetting], NoDecode] = Field(default_factory=lambda: list(DEFAULT_PLANS), min_length=1)

    # Analytics (issue 14). Empty: usage events and insights' facts stay in the primary
    # database. http(s)://user:password@host:8123/db for a server, chdb:///folder embedded.
    clickhouse_url: SecretStr = SecretStr("")  # it may carry a password
    # SALARY_PROVIDERS: a JSON list of external salary APIs, {"name", "url", "api_key"};
    # none: no provider is called.
    salary_providers: Annotated[list[SalaryProviderSetting], NoDecode] = []
    # How long one salary source may take before the answer goes on without it.
    insights_source_timeout_seconds: float = Field(2.0, gt=0, le=30)

    @field_validator("jobspy_proxies", "forwarded_allow_ips", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("jwt_private_key", "license_signing_key", "vapid_private_key", mode="before")
    @classmethod
    def _pem_newlines(cls, value: object) -> object:
        # One-line environments (.env, CI secrets) pass the PEM with a literal \n per line.
        if isinstance(value, str) and "\n" not in value and "\\n" in value:
            return value.replace("\\n", "\n")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if entry != "*":
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is not an IP address or network (or *)") from None
        return entries

    @field_validator("stripe_secret_key")
    @classmethod
    def _stripe_key_shape(cls, value: SecretStr) -> SecretStr:
        # The message never repeats the value: it is a secret.
        if value.get_secret_value() and not value.get_secret_value().startswith(("sk_", "rk_")):
            raise ValueError("use a Stripe secret (sk_...) or restricted (rk_...) key")
        return value

    @field_validator("stripe_webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        secret = value.get_secret_value()
        if secret and not secret.startswith("whsec_"):
            raise ValueError("use the endpoint's signing secret (whsec_...)")
        # Payments without webhooks would take money and never grant the plan.
        paying = info.data.get("stripe_secret_key", SecretStr("")).get_secret_value()
        if not secret and paying and info.data.get("environment") == "production":
            raise ValueError("must be set when STRIPE_SECRET_KEY is")
        return value

    @field_validator("salary_providers", mode="before")
    @classmethod
    def _providers_json(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return []
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ValueError('not valid JSON: give a list of {"name", "url", "api_key"} objects') from None
        return value

    @field_validator("billing_plans", mode="before")
    @classmethod
    def _plans_json(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("not valid JSON: give a list of plan objects") from None
        return value

    @field_validator("billing_plans")
    @classmethod
    def _unique_plans(cls, plans: list[PlanSetting]) -> list[PlanSetting]:
        for field in ("id", "stripe_price_id"):
            values = [getattr(plan, field) for plan in plans if getattr(plan, field)]
            if len(values) != len(set(values)):
                raise ValueError(f"two plans share a {field}")
        return plans

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: SecretStr) -> SecretStr:
        # Checked as pydantic's URL type; the message never repeats the value (a password).
        if value.get_secret_value():
            try:
                TypeAdapter(SmtpUrl).validate_python(value.get_secret_value())
            except ValidationError:
                raise ValueError("use an smtp://user:password@host:port or smtps:// URL") from None
        return value

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return _with_driver(self.database_url)
        return f"sqlite:///{(self.data_dir / 'jobspy_web.db').resolve()}"

    @property
    def cache_redis_url(self) -> str:
        return self.redis_cache_url or self.redis_url

    @property
    def limits_redis_url(self) -> str:
        return self.redis_limits_url or self.redis_url

    @property
    def state_redis_url(self) -> str:
        return self.redis_state_url or self.redis_url

    @property
    def sqlalchemy_replica_url(self) -> str:
        return _with_driver(self.database_replica_url) if self.database_replica_url else ""


def _with_driver(url: str) -> str:
    # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class SettingsError(SystemExit):
    """Invalid configuration: the message names each offending environment variable."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        lines = [f"  {str(problem['loc'][0]).upper()}: {problem['msg']}" for problem in error.errors()]
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()


# --- what the process builds from the settings ------------------------------------------
# The cache, the rate limiter, the signer, the database engines and the like are made once
# per process from the settings. Each is declared with @from_settings, so that
# reset_process_state() forgets them all with the settings (tests switch settings; nothing
# else should need to).

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

Made = TypeVar("Made")
_closers: list[Callable[[], None]] = []  # run first: they may still use what they close
_derived: list[Callable[[], None]] = []


def from_settings(function: Callable[[], Made]) -> _lru_cache_wrapper[Made]:
    """`function`'s result, made once per process and forgotten by reset_process_state()."""
    cached = lru_cache(maxsize=None)(function)
    _derived.append(cached.cache_clear)
    return cached


def on_reset(close: Callable[[], None]) -> None:
    """Have reset_process_state() call `close` first (e.g. to dispose database engines)."""
    _closers.append(close)


def reset_process_state() -> None:
    """Forget the settings and everything made from them (connections owned by an event
    loop are closed by their own aclose(); see tests/db_helpers.close_loop_connections)."""
    for close in _closers:
        close()
    get_settings.cache_clear()
    for forget in _derived:
        forget()
