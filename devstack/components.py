"""What each local component is: the command that starts it, where it answers, and the env its clients need."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.config import HOST

JAVA_PACKAGE = "openjdk-17-jre-headless"
FIRESTORE_PACKAGE = "google-cloud-cli-firestore-emulator"
PUBSUB_PACKAGE = "google-cloud-cli-pubsub-emulator"

FIRESTORE_MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
_FIRESTORE_JAR = "cloud-firestore-emulator.jar"
_PUBSUB_SCRIPT = "cloud-pubsub-emulator"
# Where Google's Debian packages put them, for machines whose dpkg database cannot be read.
_SDK = Path("/usr/lib/google-cloud-sdk/platform")
_FALLBACKS = {
    FIRESTORE_PACKAGE: _SDK / "cloud-firestore-emulator" / _FIRESTORE_JAR,
    PUBSUB_PACKAGE: _SDK / "pubsub-emulator" / "bin" / _PUBSUB_SCRIPT,
}

AWS_REGION = "ap-southeast-3"
MOTO_ACCOUNT = "123456789012"
"""moto's default account: the local SNS topic ARNs below are stable."""
LOCAL_SMS_TOPICS = {"bahagia-sms-inbound": "/v1/sms/inbound", "bahagia-sms-events": "/v1/sms/receipts"}
"""The SNS topics AWS End User Messaging SMS publishes inbound texts and delivery events to, and the webhook path
each one's HTTP subscription posts to (moto signs those posts like SNS does)."""
LOCAL_SMS_GATEWAY_SECRET = "local-sms-gateway-secret"  # noqa: S105 -- local stack only, documented in docs/SMS.md
LOCAL_OPEN311_API_KEY = "local-open311-key"


def local_topic_arn(name: str) -> str:
    return f"arn:aws:sns:{AWS_REGION}:{MOTO_ACCOUNT}:{name}"


class MissingSystemPackage(Exception):
    """A Debian package the stack needs is not installed; the message is the one line to show."""

    def __init__(self, what: str, package: str) -> None:
        super().__init__(f"{what} is missing: install the Debian package {package} (apt-get install {package})")
        self.package = package


def _package_file(package: str, filename: str, fallbacks: Mapping[str, Path]) -> Path | None:
    try:
        # dpkg from PATH with a fixed argument list: nothing here comes from outside the program
        listing = subprocess.run(  # noqa: S603
            ["dpkg", "-L", package],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        listing = ""
    for line in listing.splitlines():
        path = Path(line.strip())
        if path.name == filename and path.is_file():
            return path
    fallback = fallbacks.get(package)
    return fallback if fallback is not None and fallback.is_file() else None


@dataclass(frozen=True)
class SystemTools:
    java: str
    firestore_jar: Path
    pubsub_script: Path


def check_system(fallbacks: Mapping[str, Path] = _FALLBACKS) -> SystemTools:
    """The Java and emulator files of this machine, or MissingSystemPackage naming what to install."""
    java_home = os.environ.get("JAVA_HOME")
    java = shutil.which("java") or (
        str(Path(java_home) / "bin" / "java") if java_home and (Path(java_home) / "bin" / "java").is_file() else None
    )
    if java is None:
        raise MissingSystemPackage("Java", JAVA_PACKAGE)
    firestore_jar = _package_file(FIRESTORE_PACKAGE, _FIRESTORE_JAR, fallbacks)
    if firestore_jar is None:
        raise MissingSystemPackage("The Cloud Firestore emulator", FIRESTORE_PACKAGE)
    pubsub_script = _package_file(PUBSUB_PACKAGE, _PUBSUB_SCRIPT, fallbacks)
    if pubsub_script is None:
        raise MissingSystemPackage("The Pub/Sub emulator", PUBSUB_PACKAGE)
    return SystemTools(java=java, firestore_jar=firestore_jar, pubsub_script=pubsub_script)


@dataclass(frozen=True)
class ComponentCommand:
    name: str
    argv: list[str]
    ready_path: str
    # Google's emulators answer "Ok" with 200 once ready; the Python servers answer anything once listening.
    needs_200: bool


def firestore_command(tools: SystemTools, port: int) -> ComponentCommand:
    # java directly rather than gcloud's wrapper, so the PID held is the JVM's (EMULATORS.md).
    argv = [
        tools.java,
        "-cp",
        str(tools.firestore_jar),
        FIRESTORE_MAIN_CLASS,
        "start",
        f"--host={HOST}",
        f"--port={port}",
    ]
    return ComponentCommand("firestore", argv, "/", needs_200=True)


def pubsub_command(tools: SystemTools, port: int) -> ComponentCommand:
    return ComponentCommand(
        "pubsub", [str(tools.pubsub_script), f"--host={HOST}", f"--port={port}"], "/", needs_200=True
    )


def sms_command(port: int) -> ComponentCommand:
    argv = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
    return ComponentCommand("sms", argv, "/moto-api/data.json", needs_200=True)


def storage_command(port: int) -> ComponentCommand:
    argv = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", HOST, "--port", str(port), "--in-memory"]
    return ComponentCommand("storage", argv, "/", needs_200=False)


def function_command(source: Path, target: str, signature_type: str, port: int) -> ComponentCommand:
    argv = [
        sys.executable, "-m", "functions_framework",
        f"--source={source}", f"--target={target}", f"--signature-type={signature_type}",
        f"--host={HOST}", f"--port={port}",
    ]  # fmt: skip
    # functions-framework answers /robots.txt itself (404 for HTTP targets, 405 for CloudEvent ones), so the
    # readiness probe never runs a handler.
    return ComponentCommand(target, argv, "/robots.txt", needs_200=False)


@dataclass(frozen=True)
class Endpoints:
    """Where the emulators of one stack answer."""

    firestore_port: int
    pubsub_port: int
    sms_port: int
    storage_port: int | None = None

    @property
    def firestore_host(self) -> str:
        return f"{HOST}:{self.firestore_port}"

    @property
    def pubsub_host(self) -> str:
        return f"{HOST}:{self.pubsub_port}"

    @property
    def sns_url(self) -> str:
        return f"http://{HOST}:{self.sms_port}"

    @property
    def storage_url(self) -> str | None:
        return None if self.storage_port is None else f"http://{HOST}:{self.storage_port}"

    def client_env(self, project_id: str, environment: str) -> dict[str, str]:
        """What a client of these emulators needs in its environment (function processes, tests)."""
        env = {
            "FIRESTORE_EMULATOR_HOST": self.firestore_host,
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "BAHAGIA_PROJECT_ID": project_id,
            "GOOGLE_CLOUD_PROJECT": project_id,
            "BAHAGIA_ENVIRONMENT": environment,
            "BAHAGIA_SNS_ENDPOINT_URL": self.sns_url,
            # boto3 reads this one itself: even code that forgets the setting cannot reach the real AWS.
            "AWS_ENDPOINT_URL_SNS": self.sns_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": AWS_REGION,
            "AWS_REGION": AWS_REGION,
            # Two-way SMS and Open311 locally: moto's topics, the gateway's HMAC key, one partner key.
            "BAHAGIA_SMS_SNS_INBOUND_TOPICS": local_topic_arn("bahagia-sms-inbound"),
            "BAHAGIA_SMS_SNS_EVENTS_TOPICS": local_topic_arn("bahagia-sms-events"),
            "BAHAGIA_SMS_HTTP_INBOUND_SECRET": LOCAL_SMS_GATEWAY_SECRET,
            "BAHAGIA_OPEN311_API_KEYS": LOCAL_OPEN311_API_KEY,
        }
        if self.storage_url is not None:
            env["STORAGE_EMULATOR_HOST"] = self.storage_url
        return env


# Real credentials in the developer's shell must never reach a local process.
_SCRUBBED = ("GOOGLE_APPLICATION_CREDENTIALS", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SECURITY_TOKEN")


def child_env(base: Mapping[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    env = {key: value for key, value in base.items() if key not in _SCRUBBED}
    env.update(overrides)
    env["PYTHONUNBUFFERED"] = "1"
    return env
