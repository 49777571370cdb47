"""The one settings object: read from the environment (prefix BAHAGIA_) and validated at cold start."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-do-not-use-in-production"  # noqa: S105 -- refused in production, see below


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BAHAGIA_", extra="ignore")

    project_id: str = "demo-bahagia"
    """GCP project. Locally a `demo-` project, which the emulators accept without credentials."""

    environment: str = Field(default="local", pattern="^(local|test|production)$")

    public_base_url: str = "http://127.0.0.1:8080"
    """Where citizens reach the forms and the status page; used in status_url and in SMS texts."""

    secret_key: SecretStr = SecretStr(DEV_SECRET)
    """Pepper for PIN hashes, key for marker-document ids and receipt cookies (Secret Manager in production)."""

    submission_events_topic: str = "submission-events"
    report_requests_topic: str = "report-requests"

    publish_timeout_seconds: float = 5.0
    """How long a request waits for Pub/Sub after its commit before leaving the event to the outbox relay."""

    firestore_timeout_seconds: float = 4.0
    """Per-call deadline; past it the client gets a 503 rather than a hanging request."""

    outbox_relay_min_age_seconds: float = 30.0
    """The relay only takes outbox entries older than this, so it does not race the request that wrote them."""

    track_max_failures_per_code: int = 5
    track_max_failures_per_client: int = 20
    track_failure_window_seconds: int = 900

    idempotency_ttl_hours: int = 72

    trusted_proxy_hops: int = 1
    """How many proxies append to X-Forwarded-For in front of the functions: 1 locally (the gateway), 2 behind
    Google's load balancer (it appends the client and itself). The client address is the one those hops added."""

    # --- SMS (notify) ---
    sms_provider: Literal["sns", "http"] = "sns"
    sms_daily_cap_per_number: int = Field(default=5, ge=1)
    """SMS per number per WIB day, whatever the events: a script posting forms cannot pump SMS to a number."""
    sms_timeout_seconds: float = 5.0
    sns_region: str = "ap-southeast-3"
    sns_endpoint_url: str | None = None
    """None in production (AWS); moto's server locally and in tests."""
    sns_sender_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,11}$")
    """Alphanumeric sender ID, where the destination country and the AWS account allow one."""
    sns_access_key_id: str | None = None
    sns_secret_access_key: SecretStr | None = None
    """Unset: boto3's default chain (env, role). In production both come from Secret Manager."""
    sms_http_url: str | None = None
    sms_http_credential: SecretStr | None = None
    sms_http_sender: str | None = None

    # --- two-way SMS (sms_webhook) ---
    sms_sns_inbound_topics: str = ""
    """Comma-separated ARNs of the SNS topics AWS End User Messaging SMS publishes inbound texts to; their HTTPS
    subscription is /v1/sms/inbound. Empty: SNS calls to that path are refused (401)."""
    sms_sns_events_topics: str = ""
    """Comma-separated ARNs of the SNS topics of the SMS delivery events (/v1/sms/receipts)."""
    sms_http_inbound_secret: SecretStr | None = None
    """HMAC-SHA256 key the HTTP gateway signs its calls to /v1/sms/... with (X-Bahagia-Signature, docs/SMS.md).
    Unset: gateway calls are refused (401). Secret Manager in production."""

    # --- Open311 ---
    open311_api_keys: SecretStr | None = None
    """Comma-separated api_key values of the partners allowed to POST service requests (one per partner, so one can
    be withdrawn alone). Unset: every POST is 403. Secret Manager in production."""

    # --- staff API ---
    staff_auth: Literal["local", "google"] = "local"
    """`google`: Google-signed ID tokens for `staff_audience`, role and OPD from Firestore `staff/`. `local`: HS256
    tokens from `make staff-token`, signed with a key derived from secret_key, role and OPD in the token."""
    staff_audience: str = "bahagia-staff"
    """The `aud` a token must carry: the OAuth client id (or IAP audience) of the staff tool in production."""
    staff_token_ttl_minutes: int = Field(default=480, ge=1, le=1440)
    staff_page_size_max: int = Field(default=100, ge=1, le=500)

    # --- nightly reports ---
    reports_bucket: str = "demo-bahagia-reports"
    """Cloud Storage bucket of the report CSV and HTML files (private; served through /v1/staff/reports/)."""
    storage_emulator_host: str | None = Field(
        default=None, validation_alias=AliasChoices("STORAGE_EMULATOR_HOST", "storage_emulator_host")
    )
    """Set (http://127.0.0.1:8691 under `make run`) when reports go to gcp-storage-emulator: google-cloud-storage
    reads the same variable; the bucket is then created on first use, with anonymous credentials."""
    reports_query_workers: int = Field(default=8, ge=1, le=32)
    """Aggregation queries of one report run this many at a time."""

    @model_validator(mode="after")
    def _no_dev_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError("BAHAGIA_SECRET_KEY must be set in production")
        if self.environment == "production" and self.staff_auth != "google":
            raise ValueError("BAHAGIA_STAFF_AUTH must be google in production: local tokens are for development")
        return self

    @property
    def open311_keys(self) -> tuple[str, ...]:
        raw = self.open311_api_keys.get_secret_value() if self.open311_api_keys else ""
        return tuple(key.strip() for key in raw.split(",") if key.strip())

    def sns_topics(self, receipts: bool) -> frozenset[str]:
        raw = self.sms_sns_events_topics if receipts else self.sms_sns_inbound_topics
        return frozenset(arn.strip() for arn in raw.split(",") if arn.strip())

    @property
    def secret_bytes(self) -> bytes:
        return self.secret_key.get_secret_value().encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
