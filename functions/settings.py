"""The one settings object: read from the environment (prefix BAHAGIA_) and validated at cold start.

Fail closed: an unset BAHAGIA_ENVIRONMENT means production, where every check applies. Only an explicit `local` or
`test` environment (devstack, the tests, the benchmarks and CI set it) may run on the development secret and on local
staff tokens. A deploy that forgets a variable therefore refuses to start, instead of accepting tokens anyone could
sign with the public development secret.

Keys, one per purpose (`Settings.keys`): the PIN pepper, the cookie key, the key of HMAC ids and the local staff
token key are each derived (HKDF-SHA256, with the purpose as `info`) from a secret of their own. In production those
are separate Secret Manager secrets, and each function is given only the ones it uses (`TARGET_KEYS`, Terraform's
`secrets` per function); locally and in tests they are derived from the one development secret `secret_key`.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import Any, Literal

from pydantic import AliasChoices, Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-do-not-use-in-production"  # noqa: S105 -- refused in production, see below
MIN_SECRET_LENGTH = 32

KEY_VARIABLES = {
    "pin": "BAHAGIA_PIN_PEPPER",
    "cookie": "BAHAGIA_COOKIE_KEY",
    "ids": "BAHAGIA_ID_KEY",
    "staff_token": "BAHAGIA_STAFF_TOKEN_KEY",
}
PRODUCTION_KEYS = ("pin", "cookie", "ids")
"""The secrets production has. Staff sign in with Google there, so no staff token key exists in production."""

TARGET_KEYS: dict[str, tuple[str, ...]] = {
    "list_programs": (),
    "submit_application": ("pin", "cookie", "ids"),
    "submit_complaint": ("pin", "cookie", "ids"),
    "track_submission": ("pin", "cookie", "ids"),
    "relay_outbox": (),
    "send_sms_notification": ("ids",),
    "build_nightly_report": (),
    "staff_api": ("pin", "ids"),  # the Call Center desk files complaints through intake
    "close_stale_followups": (),
    # Two-way SMS: recipient keys of opt-outs and caps. Open311: files through intake (PIN hash, markers, ids).
    "sms_webhook": ("ids",),
    "open311": ("pin", "ids"),
}
"""The secrets each function target uses; a production function without BAHAGIA_FUNCTION_TARGET needs them all."""


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose (HKDF-SHA256, RFC 5869): two purposes never share a key, even from one secret."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"bahagia/{purpose}".encode()).derive(secret)


class Keys:
    """The key of each purpose, derived on first use. In production a key whose secret this function was not given
    raises instead of being made up."""

    def __init__(self, secrets: dict[str, bytes | None]) -> None:
        self._secrets = secrets

    def _derived(self, secret_name: str, purpose: str) -> bytes:
        secret = self._secrets.get(secret_name)
        if secret is None:
            raise RuntimeError(f"{KEY_VARIABLES[secret_name]} is not set for this function")
        return derive_key(secret, purpose)

    @cached_property
    def pin_pepper(self) -> bytes:
        """Peppers the salted PIN hashes: a leaked database alone does not allow a 10^6 brute force."""
        return self._derived("pin", "pin-pepper")

    @cached_property
    def pin_derivation(self) -> bytes:
        """Computes the PIN of a request that carried an Idempotency-Key, so a replay can show it again."""
        return self._derived("pin", "pin-derivation")

    @cached_property
    def cookie(self) -> bytes:
        """Signs the receipt cookie (the PIN on its way to the receipt page) and the trusted-device cookie."""
        return self._derived("cookie", "cookies")

    @cached_property
    def ids(self) -> bytes:
        """Keys the HMAC ids of marker documents, rate-limit buckets, Idempotency-Keys, SMS recipients and client
        addresses: NIKs, phone numbers and addresses are enumerable, a plain hash of them would be reversible."""
        return self._derived("ids", "ids")

    @cached_property
    def staff_token(self) -> bytes:
        """Signs the HS256 staff tokens of `make staff-token` (local and tests only)."""
        return self._derived("staff_token", "staff-token")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BAHAGIA_", extra="ignore")
    _keys: Keys = PrivateAttr()

    project_id: str = "demo-bahagia"
    """GCP project. Locally a `demo-` project, which the emulators accept without credentials."""

    environment: Literal["local", "test", "production"] = "production"
    """Unset is production, with every check below: devstack, the tests, the benchmarks and CI say `local`/`test`."""

    function_target: str | None = None
    """The function target this process serves (Terraform sets it): production requires exactly its secrets."""

    public_base_url: str = "http://127.0.0.1:8080"
    """Where citizens reach the forms and the status page; used in status_url and in SMS texts."""

    secret_key: SecretStr | None = None
    """Local and tests only: the development secret every purpose's key is derived from when its own is not set
    (default: the public DEV_SECRET). Refused in production, which takes one secret per purpose."""

    pin_pepper: SecretStr | None = None
    """Secret of the PIN hashes' pepper and of PINs derived from an Idempotency-Key (production: Secret Manager)."""
    cookie_key: SecretStr | None = None
    """Secret of the signed cookies (receipt, trusted device). Rotating it only logs out trusted devices."""
    id_key: SecretStr | None = None
    """Secret of the HMAC ids (markers, rate limits, idempotency, SMS recipients, client addresses)."""
    staff_token_key: SecretStr | None = None
    """Local and tests only: secret of the HS256 staff tokens (production signs staff in with Google)."""

    submission_events_topic: str = "submission-events"
    report_requests_topic: str = "report-requests"

    publish_timeout_seconds: float = 5.0
    """How long a request waits for Pub/Sub after its commit before leaving the event to the outbox relay."""

    firestore_timeout_seconds: float = 4.0
    """Per-call deadline; past it the client gets a 503 rather than a hanging request."""

    outbox_relay_min_age_seconds: float = 30.0
    """The relay only takes outbox entries older than this, so it does not race the request that wrote them."""

    track_max_failures_per_code: int = Field(default=5, ge=1)
    """Wrong PINs per code per window: shared by every untrusted device, and each trusted device's own budget."""
    track_max_failures_per_code_per_day: int = Field(default=20, ge=1)
    """Wrong PINs per code per WIB day from untrusted devices: the bound on guessing (docs/SECURITY.md)."""
    track_max_failures_per_client: int = Field(default=20, ge=1)
    """Wrong PINs per client address per window, whatever the codes (untrusted devices)."""
    track_failure_window_seconds: int = Field(default=900, ge=60)

    idempotency_ttl_hours: int = 72

    trusted_proxy_hops: int = 1
    """How many proxies append to X-Forwarded-For in front of the functions: 1 locally (the gateway), 2 behind
    Google's load balancer (it appends the client and itself). The client address is the one those hops added."""

    # --- SMS (notify) ---
    sms_provider: Literal["sns", "http"] = "sns"
    sms_daily_cap_per_number: int = Field(default=5, ge=1)
    """SMS per number per WIB day, whatever the events: a script posting forms cannot pump SMS to a number."""
    sms_daily_budget_per_client: int = Field(default=30, ge=1)
    """Receipts per client address (the address that posted the forms) per WIB day: a script cycling through numbers
    from one address cannot pump SMS either. Raise it for an office that files for many citizens from one address."""
    sms_daily_budget: int = Field(default=5000, ge=1)
    """Receipts per WIB day for the whole city: the ceiling on what SMS pumping from many addresses can cost. Raise it
    before a registration campaign (docs/SMS.md, "Consent and abuse")."""
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
    staff_auth: Literal["local", "google"] = "google"
    """`google` (the default in production, the only choice there): Google-signed ID tokens for `staff_audience`,
    role and OPD from Firestore `staff/`. `local` (the default in local and test): HS256 tokens from
    `make staff-token`, signed with `keys.staff_token`, role and OPD in the token."""
    staff_audience: str = "bahagia-staff"
    """The `aud` a token must carry: the OAuth client id (or IAP audience) of the staff tool in production."""
    staff_token_ttl_minutes: int = Field(default=480, ge=1, le=1440)
    staff_page_size_max: int = Field(default=100, ge=1, le=500)

    # --- nightly reports ---
    reports_bucket: str = "demo-bahagia-reports"
    """Cloud Storage bucket of the report CSV and HTML files (private; served through /v1/staff/reports/)."""
    pubsub_emulator_host: str | None = Field(
        default=None, validation_alias=AliasChoices("PUBSUB_EMULATOR_HOST", "pubsub_emulator_host")
    )
    """Set (127.0.0.1:8685 under `make run`) when events go to the Pub/Sub emulator, the variable the Google client
    libraries read; the publisher, built on the generated client, takes it from here."""
    storage_emulator_host: str | None = Field(
        default=None, validation_alias=AliasChoices("STORAGE_EMULATOR_HOST", "storage_emulator_host")
    )
    """Set (http://127.0.0.1:8691 under `make run`) when reports go to gcp-storage-emulator: google-cloud-storage
    reads the same variable; the bucket is then created on first use, with anonymous credentials."""
    reports_query_workers: int = Field(default=8, ge=1, le=32)
    """Aggregation queries of one report run this many at a time."""

    @model_validator(mode="before")
    @classmethod
    def _local_sign_in_by_default_in_development(cls, data: Any) -> Any:
        # Only an explicit local or test environment defaults to local staff tokens; anything else is Google.
        if isinstance(data, dict) and data.get("staff_auth") is None and data.get("environment") in ("local", "test"):
            return {**data, "staff_auth": "local"}
        return data

    @model_validator(mode="after")
    def _fail_closed(self) -> Settings:
        if self.environment != "production":
            return self._development_defaults()
        problems: list[str] = []
        if self.staff_auth == "local":
            problems.append("BAHAGIA_STAFF_AUTH must be google in production: local tokens are for development")
        if self.secret_key is not None:
            problems.append(
                "BAHAGIA_SECRET_KEY is the development secret of local and test environments; production takes "
                + ", ".join(KEY_VARIABLES[k] for k in PRODUCTION_KEYS)
                + ", each from its own Secret Manager secret"
            )
        if self.staff_token_key is not None:
            problems.append("BAHAGIA_STAFF_TOKEN_KEY signs local staff tokens, which production refuses")
        secrets = self._given_secrets()
        needed = TARGET_KEYS.get(self.function_target or "", PRODUCTION_KEYS)
        missing = [KEY_VARIABLES[k] for k in needed if secrets[k] is None]
        if missing:
            problems.append(f"{', '.join(missing)} must be set in production (Secret Manager; README, Deploy)")
        given = [(k, v) for k, v in secrets.items() if v is not None]
        for name, value in given:
            if len(value) < MIN_SECRET_LENGTH or value == DEV_SECRET.encode():
                problems.append(f"{KEY_VARIABLES[name]} must be a random secret of at least {MIN_SECRET_LENGTH} bytes")
        for index, (first, value) in enumerate(given):
            for second, other in given[index + 1 :]:
                if value == other:
                    problems.append(f"{KEY_VARIABLES[first]} and {KEY_VARIABLES[second]} must be different secrets")
        if problems:
            raise ValueError("; ".join(problems))
        self._keys = Keys(secrets)
        return self

    def _given_secrets(self) -> dict[str, bytes | None]:
        fields = {"pin": self.pin_pepper, "cookie": self.cookie_key, "ids": self.id_key}
        fields["staff_token"] = self.staff_token_key
        return {name: value.get_secret_value().encode() if value else None for name, value in fields.items()}

    def _development_defaults(self) -> Settings:
        development = (self.secret_key.get_secret_value() if self.secret_key else DEV_SECRET).encode()
        secrets = self._given_secrets()
        # Each purpose's secret is derived from the development secret unless set on its own.
        self._keys = Keys({name: value or derive_key(development, f"secret/{name}") for name, value in secrets.items()})
        return self

    @property
    def keys(self) -> Keys:
        """The key of each purpose (see the module's docstring)."""
        return self._keys

    @property
    def open311_keys(self) -> tuple[str, ...]:
        raw = self.open311_api_keys.get_secret_value() if self.open311_api_keys else ""
        return tuple(key.strip() for key in raw.split(",") if key.strip())

    def sns_topics(self, receipts: bool) -> frozenset[str]:
        raw = self.sms_sns_events_topics if receipts else self.sms_sns_inbound_topics
        return frozenset(arn.strip() for arn in raw.split(",") if arn.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
