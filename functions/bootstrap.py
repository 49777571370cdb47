"""The composition root: settings in, adapters out. Production clients are created on first use, never at import.

Each function target asks for the one part it needs, so a cold start of one target neither imports nor connects what
another target uses. Tests build the same objects from their own Settings, or swap in the fakes of tests/fakes.py.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from settings import Settings, get_settings

if TYPE_CHECKING:
    from google.cloud import firestore as firestore_module

    from bahagia.notifications import SmsProvider
    from intake.service import IntakeContext
    from notify.service import Notifier


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
    from adapters.firestore_store import FirestoreSubmissionStore
    from adapters.pubsub_publisher import PubSubEventPublisher
    from bahagia.catalogue import catalogue
    from google.cloud import firestore

    from intake.service import IntakeContext

    client = firestore_client() if settings is get_settings() else firestore.Client(project=settings.project_id)
    return IntakeContext(
        settings=settings,
        catalogue=catalogue(),
        store=FirestoreSubmissionStore(client, settings.firestore_timeout_seconds),
        publisher=PubSubEventPublisher(
            settings.project_id, settings.submission_events_topic, settings.publish_timeout_seconds
        ),
    )


@lru_cache(maxsize=1)
def sms_notifier() -> Notifier:
    return build_sms_notifier(get_settings())


def build_sms_notifier(settings: Settings) -> Notifier:
    from adapters.notifications_firestore import FirestoreNotificationStore, FirestoreSubmissionLookup
    from bahagia import sms
    from bahagia.catalogue import catalogue
    from google.cloud import firestore

    from notify.service import Notifier

    client = firestore_client() if settings is get_settings() else firestore.Client(project=settings.project_id)
    names = catalogue()
    return Notifier(
        store=FirestoreNotificationStore(client),
        submissions=FirestoreSubmissionLookup(client),
        provider=build_sms_provider(settings),
        names=sms.names_from_catalogue(names.programs, names.categories, names.opd),
        status_url=sms.check_status_url(f"{settings.public_base_url}/status"),
        secret=settings.secret_bytes,
        daily_cap=settings.sms_daily_cap_per_number,
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
