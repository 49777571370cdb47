"""The composition root: settings in, adapters out. Production clients are created on first use, never at import.

Each function target asks for the one part it needs, so a cold start of one target neither imports nor connects what
another target uses. Tests build the same objects from their own Settings, or swap in the fakes of tests/fakes.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from settings import Settings, get_settings

if TYPE_CHECKING:
    from google.cloud import firestore as firestore_module

    from edge.sms_signatures import CertificateCache, SnsVerifier
    from inbound.service import Responder
    from intake.service import IntakeContext
    from notify.service import Notifier
    from open311.service import Open311Context
    from ports import SmsProvider, StaffDirectory, TokenVerifier
    from reports.service import ReportContext
    from staff.service import StaffContext


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def firestore_client() -> firestore_module.Client:
    from google.cloud import firestore

    return firestore.Client(project=get_settings().project_id)


@lru_cache(maxsize=1)
def intake_context() -> IntakeContext:
    return build_intake_context(get_settings())


def build_intake_context(settings: Settings) -> IntakeContext:
    from google.cloud import firestore

    from adapters.firestore_store import FirestoreSubmissionStore
    from adapters.pubsub_publisher import PubSubEventPublisher
    from bahagia.catalogue import catalogue
    from intake.service import IntakeContext
    from outbox import BatchedOutboxCleaner

    client = firestore_client() if settings is get_settings() else firestore.Client(project=settings.project_id)
    store = FirestoreSubmissionStore(client, settings.firestore_timeout_seconds)
    return IntakeContext(
        settings=settings,
        catalogue=catalogue(),
        store=store,
        outbox_cleaner=BatchedOutboxCleaner(store.delete_outbox_many),
        publisher=PubSubEventPublisher(
            settings.project_id,
            settings.submission_events_topic,
            settings.publish_timeout_seconds,
            settings.pubsub_emulator_host,
        ),
    )


_sms_notifier_lock = threading.Lock()


@lru_cache(maxsize=1)
def sms_notifier() -> Notifier:
    # Pub/Sub pushes a burst at a cold instance: one thread builds the clients, the others wait for it instead of
    # each importing and building their own (lru_cache alone lets them all in).
    with _sms_notifier_lock:
        return _build_sms_notifier_once()


@lru_cache(maxsize=1)
def _build_sms_notifier_once() -> Notifier:
    return build_sms_notifier(get_settings())


def build_sms_notifier(settings: Settings) -> Notifier:
    from google.cloud import firestore

    from adapters.notifications_firestore import FirestoreNotificationStore, FirestoreSubmissionLookup
    from bahagia import sms
    from bahagia.catalogue import catalogue
    from notify.service import Notifier

    client = firestore_client() if settings is get_settings() else firestore.Client(project=settings.project_id)
    names = catalogue()
    return Notifier(
        store=FirestoreNotificationStore(client),
        submissions=FirestoreSubmissionLookup(client),
        provider=build_sms_provider(settings),
        names=sms.names_from_catalogue(names.programs, names.categories, names.opd),
        status_url=sms.check_status_url(f"{settings.public_base_url}/status"),
        secret=settings.keys.ids,
        daily_cap=settings.sms_daily_cap_per_number,
        client_daily_budget=settings.sms_daily_budget_per_client,
        daily_budget=settings.sms_daily_budget,
    )


def build_sms_provider(settings: Settings) -> SmsProvider:
    if settings.sms_provider == "http":
        import httpx

        from adapters.sms_http import HttpGatewaySms

        if not settings.sms_http_url or settings.sms_http_credential is None:
            raise ValueError("BAHAGIA_SMS_HTTP_URL and BAHAGIA_SMS_HTTP_CREDENTIAL are needed for sms_provider=http")
        return HttpGatewaySms(
            httpx.Client(timeout=settings.sms_timeout_seconds),
            settings.sms_http_url,
            settings.sms_http_credential.get_secret_value(),
            settings.sms_http_sender,
        )
    from adapters.sms_sns import SnsSms, sns_client

    secret = settings.sns_secret_access_key
    client = sns_client(
        settings.sns_region,
        settings.sns_endpoint_url,
        settings.sms_timeout_seconds,
        settings.sns_access_key_id,
        secret.get_secret_value() if secret else None,
    )
    return SnsSms(client, settings.sns_sender_id)


# --- two-way SMS (sms_webhook) -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def sms_responder() -> Responder:
    return build_sms_responder(get_settings())


def build_sms_responder(settings: Settings) -> Responder:
    from google.cloud import firestore

    from adapters.inbound_firestore import FirestoreInboundStore
    from adapters.notifications_firestore import FirestoreNotificationStore, FirestoreSubmissionLookup
    from bahagia import sms
    from inbound.service import Responder

    client = firestore_client() if settings is get_settings() else firestore.Client(project=settings.project_id)
    return Responder(
        store=FirestoreInboundStore(client, settings.firestore_timeout_seconds),
        notifications=FirestoreNotificationStore(client),
        submissions=FirestoreSubmissionLookup(client),
        provider=build_sms_provider(settings),
        status_url=sms.check_status_url(f"{settings.public_base_url}/status"),
        secret=settings.keys.ids,
        daily_cap=settings.sms_daily_cap_per_number,
    )


@lru_cache(maxsize=1)
def _sns_certificates() -> CertificateCache:
    from adapters import sns_certificates
    from edge.sms_signatures import CertificateCache

    settings = get_settings()
    if settings.sns_endpoint_url:
        # Locally and in tests: moto signs what it posts to subscribers and serves the certificate itself.
        fetch = sns_certificates.moto_fetcher(
            settings.sns_endpoint_url, settings.sns_region, settings.sms_timeout_seconds
        )
    else:
        fetch = sns_certificates.https_fetcher(settings.sms_timeout_seconds)
    return CertificateCache(fetch)


@lru_cache(maxsize=2)
def sns_verifier(receipts: bool) -> SnsVerifier | None:
    """The verifier of one webhook path (its own topics), or None when no topic is configured for it."""
    from edge.sms_signatures import SnsVerifier

    topics = get_settings().sns_topics(receipts)
    return SnsVerifier(_sns_certificates(), topics) if topics else None


def sns_subscription_confirmer() -> Callable[[str], None]:
    """GETs a verified SubscribeURL (https, on the topic's own SNS host), as AWS asks an HTTPS subscriber to."""
    import httpx

    def confirm(url: str) -> None:
        httpx.get(url, timeout=get_settings().sms_timeout_seconds, follow_redirects=False).raise_for_status()

    return confirm


# --- Open311 -------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def open311_context() -> Open311Context:
    return build_open311_context(get_settings(), intake_context)


def build_open311_context(settings: Settings, intake: Callable[[], IntakeContext]) -> Open311Context:
    from google.cloud import firestore

    from adapters.open311_firestore import FirestorePublicComplaints
    from bahagia.catalogue import catalogue
    from bahagia.open311 import CHANNEL
    from intake.handlers import accept
    from open311.service import Open311Context

    def locate(lat: float, lng: float) -> tuple[str, str] | None:
        # shapely is imported on the first POST with a point, not at the target's cold start.
        from open311.locator import kelurahan_locator

        return kelurahan_locator()(lat, lng)

    client = firestore_client() if settings is get_settings() else firestore.Client(project=settings.project_id)
    return Open311Context(
        catalogue=catalogue(),
        reader=FirestorePublicComplaints(client, settings.firestore_timeout_seconds),
        # The one intake path: the handler's parse-then-submit, exactly what POST /v1/complaints runs.
        submit=lambda body, key: accept(intake(), "complaint", body, key, CHANNEL),
        api_keys=settings.open311_keys,
        locate=locate,
        endpoint_url=f"{settings.public_base_url}/open311/v2",
        status_page_url=f"{settings.public_base_url}/status",
    )


@lru_cache(maxsize=1)
def staff_context() -> StaffContext:
    return build_staff_context(get_settings())


def build_staff_context(settings: Settings) -> StaffContext:
    from google.cloud import firestore

    from adapters.pubsub_publisher import PubSubEventPublisher
    from adapters.staff_firestore import FirestoreStaffDirectory, FirestoreStaffStore
    from bahagia.catalogue import catalogue
    from staff.service import StaffContext

    client = firestore_client() if settings is get_settings() else firestore.Client(project=settings.project_id)
    directory = FirestoreStaffDirectory(client, settings.firestore_timeout_seconds)
    opd_ids = set(catalogue().opd)
    verifier = staff_token_verifier(settings, directory, opd_ids)
    return StaffContext(
        settings=settings,
        store=FirestoreStaffStore(client, settings.firestore_timeout_seconds),
        publisher=PubSubEventPublisher(
            settings.project_id,
            settings.submission_events_topic,
            settings.publish_timeout_seconds,
            settings.pubsub_emulator_host,
        ),
        verifier=verifier,
        directory=directory,
        opd_ids=opd_ids,
    )


def staff_token_verifier(settings: Settings, directory: StaffDirectory, opd_ids: set[str]) -> TokenVerifier:
    """Google ID tokens, unless the environment is explicitly local or test (Settings refuses `local` otherwise)."""
    from staff import auth

    if settings.staff_auth == "google":
        return auth.GoogleTokenVerifier(settings.staff_audience, directory, auth.google_id_token_verifier())
    return auth.LocalTokenVerifier(settings.keys.staff_token, settings.staff_audience, opd_ids)


@lru_cache(maxsize=1)
def report_context() -> ReportContext:
    return build_report_context(get_settings())


def build_report_context(settings: Settings) -> ReportContext:
    from google.cloud import firestore, storage  # type: ignore[attr-defined]  # namespace package

    from adapters.reports_firestore import FirestoreCounters, FirestoreFigures, FirestoreReportStore
    from adapters.reports_storage import GcsReportFiles
    from reports.service import ReportContext

    client = firestore_client() if settings is get_settings() else firestore.Client(project=settings.project_id)
    if settings.storage_emulator_host:
        from google.auth.credentials import AnonymousCredentials

        gcs = storage.Client(
            project=settings.project_id,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": settings.storage_emulator_host},
        )
    else:
        gcs = storage.Client(project=settings.project_id)
    return ReportContext(
        figures=lambda: FirestoreFigures(client, workers=settings.reports_query_workers),
        counters=lambda: FirestoreCounters(client),
        store=FirestoreReportStore(client),
        files=GcsReportFiles(gcs, settings.reports_bucket, create_bucket=bool(settings.storage_emulator_host)),
    )
