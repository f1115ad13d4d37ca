"""Settings, all from environment variables (one file for every environment).

PA_ENV=production turns on the deployment hardening; DATABASE_URL and REDIS_URL name the servers
(./run and ./test start embedded ones and set both).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import django_stubs_ext
from django.utils.csp import CSP

# Lets admin classes and querysets take type parameters at run time (ModelAdmin[Model]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, object]:
    """postgresql://user:pass@host:port/name?host=/socket/dir -> Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, not {parts.scheme!r}")
    query = parse_qs(parts.query)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "pa_portal",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        # A unix-socket directory arrives as ?host=/path (libpq's own convention).
        "HOST": query.get("host", [parts.hostname or ""])[0],
        "PORT": str(parts.port or query.get("port", [""])[0]),
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "ATOMIC_REQUESTS": False,
        # Parameters travel apart from the SQL (the extended protocol), and a statement a
        # connection runs more than DB_PREPARE_THRESHOLD times is parsed and planned once
        # (issue 20). 1, not psycopg's 5: psycopg forgets every prepared statement of a
        # connection at each rollback (a refused claim is one), and at 5 a statement run once a
        # decision was seldom prepared between two; never 0, or each savepoint (a new name
        # every time) would be prepared and deallocated. A pooler in transaction mode without
        # prepared-statement support (PgBouncer < 1.21, or max_prepared_statements = 0) needs
        # DB_PREPARE_THRESHOLD=off.
        "OPTIONS": {
            "server_side_binding": env_bool("DB_SERVER_SIDE_BINDING", True),
            "prepare_threshold": _prepare_threshold(),
        },
    }


def _prepare_threshold() -> int | None:
    value = env_str("DB_PREPARE_THRESHOLD", "1").strip().lower()
    return None if value in {"off", "none", ""} else int(value)


PA_ENV = env_str("PA_ENV", "development")
PRODUCTION = PA_ENV == "production"
DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when PA_ENV=production")
    # Development only; long and random-looking so `check` is quiet, never used in production.
    SECRET_KEY = (
        "dev-only-insecure-5b1c0f9a7e2d4c6b8a0f3e5d7c9b1a2f4e6d8c0b2a4f6e8d0c2b4a6f8e0d2c4b"  # noqa: S105
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "reviews",
    "audit",
    "oversight",
    "pas",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early: NUL characters, deep JSON and absurd numbers get a 400 before any view sees them.
    "pa_portal.middleware.HostileInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.sessions.IdleTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.two_factor.VerifiedDeviceMiddleware",  # django_otp's OTPMiddleware
    "accounts.two_factor.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "reviews.policy.PolicySettingsPerRequest",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pa_portal.urls"
WSGI_APPLICATION = "pa_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# Two database roles (SECURITY.md): the owner of the tables runs `migrate`; the web app, the
# worker and beat connect as the application's role, which may only read and write rows (never
# TRUNCATE, ALTER, DROP; on the audit log only INSERT and SELECT). DATABASE_URL is the role this
# process connects as. DATABASE_APP_ROLE, set when migrating as the owner, names the role that
# migrate then grants those privileges to (audit/roles.py).
# Without DATABASE_URL, manage.py talks to ./run's embedded server (its socket is in its data dir)
# as its owner role, pa_owner, and grants pa_app.
_DEV_PGDATA = BASE_DIR / ".local" / "pgdata"
_DEV_DATABASE = (_DEV_PGDATA / "PG_VERSION").exists() and not PRODUCTION
_DEFAULT_DATABASE_URL = (
    f"postgresql://pa_owner@/pa_portal?host={_DEV_PGDATA}"
    if _DEV_DATABASE
    else "postgresql://postgres@localhost:5432/pa_portal"
)
DATABASES = {"default": database_from_url(env_str("DATABASE_URL", _DEFAULT_DATABASE_URL))}
DATABASE_APP_ROLE = env_str(
    "DATABASE_APP_ROLE", "pa_app" if _DEV_DATABASE and "DATABASE_URL" not in os.environ else ""
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the session's user in one statement written once.
    "accounts.backends.SessionUserBackend",
]
# Sign-in throttling (accounts/lockout.py). After 5 failures a username is locked *at that
# address* for 15 minutes: the guesser is stopped, the owner elsewhere is not (an administrator
# can unlock early: manage.py axes_reset_username / axes_reset_ip). Across addresses, after 10
# failures since the last sign-in each further attempt for the username waits 1, 2, 4... seconds
# (at most 5 minutes) after the latest failure; addresses the owner signed in from are exempt.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# An attempt refused while locked or delayed is not counted: hammering does not extend a wait.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the per-username delay and the owner's list read it
AXES_HANDLER = "accounts.lockout.PortalAxesHandler"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
LOGIN_USERNAME_DELAY_AFTER = env_int("LOGIN_USERNAME_DELAY_AFTER", 10)
LOGIN_USERNAME_WINDOW_HOURS = env_int("LOGIN_USERNAME_WINDOW_HOURS", 24)
LOGIN_DELAY_BASE_SECONDS = 1
LOGIN_DELAY_MAX_SECONDS = env_int("LOGIN_DELAY_MAX_SECONDS", 300)
# Payer staff enrol an authenticator only through an administrator's one-time link.
ENROLMENT_LINK_HOURS = 24
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# API tokens (accounts/tokens.py): stored hashed, one per device, expire after this many days.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
OTP_TOTP_ISSUER = "Hemgenix PA portal"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after inactivity and when the browser closes (PHI on screen). Django's database
# sessions, read in one statement written once (accounts/session_store.py).
SESSION_ENGINE = "accounts.session_store"

# pa_portal/prepared.py: every prepared read also compiles its queryset the ordinary way and fails
# unless the SQL and parameters match. On in the test suite (devstack test); off in service,
# where skipping that compilation is the point.
PREPARED_READS_VERIFY = env_bool("PREPARED_READS_VERIFY", False)
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 15) * 60
# Saved again at most once a minute, not on every request (accounts/sessions.py): an idle
# session ends 14 to 15 minutes after its last request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = min(env_int("SESSION_REFRESH_SECONDS", 60), SESSION_COOKIE_AGE // 2)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded documents live outside the web root and are only served through permission checks.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "documents")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: Redis is both broker and result store. Tasks are acknowledged after they run, so a
# worker killed mid-task leaves the message for another worker.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_IMPORTS = ["pa_portal.tasks", "reviews.outbox"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
# A broker that is down must not hold up a web request: fail fast, the outbox retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "relay-outbox": {"task": "reviews.relay_outbox", "schedule": 30.0},
}

# Review policy settings (the payer's operating rules, not the clinical policy itself).
REVIEW_CLOCK_HOURS = {
    "standard": env_int("REVIEW_CLOCK_HOURS_STANDARD", 72),
    "expedited": env_int("REVIEW_CLOCK_HOURS_EXPEDITED", 24),
}
REVIEW_CLOCK_PAUSES_WHILE_PENDED = env_bool("REVIEW_CLOCK_PAUSES_WHILE_PENDED", True)
REVIEW_DUE_SOON_HOURS = env_int("REVIEW_DUE_SOON_HOURS", 8)
DENIAL_REQUIRES_MEDICAL_DIRECTOR = env_bool("DENIAL_REQUIRES_MEDICAL_DIRECTOR", False)
AUTHORIZATION_VALID_DAYS = env_int("AUTHORIZATION_VALID_DAYS", 180)
APPEAL_DEADLINE_DAYS = env_int("APPEAL_DEADLINE_DAYS", 180)
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# JSON bodies (REST and FHIR) nested deeper than this, or carrying a number larger than this in
# size, are refused with a 400 by pa_portal.middleware before any parser or view reads them.
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 64)
JSON_MAX_NUMBER = 10**15

# E-mail (notifications/), Django's MAILERS: SMTP in deployments from these variables; in
# development each message is a file in var/mail (EMAIL_FILE_PATH), or EMAIL_BACKEND=console.
# E-mails name the case reference only, never the patient (SECURITY.md).
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
_EMAIL_KIND = env_str("EMAIL_BACKEND", "smtp" if PRODUCTION else "file")
_EMAIL_OPTIONS: dict[str, object] = {}
if _EMAIL_KIND == "smtp":
    _EMAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": env_int("EMAIL_TIMEOUT", 30),
    }
elif _EMAIL_KIND == "file":
    _EMAIL_OPTIONS = {"file_path": env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))}
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKENDS.get(_EMAIL_KIND, _EMAIL_KIND),
        "OPTIONS": _EMAIL_OPTIONS,
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Hemgenix PA portal <pa-portal@example.org>")
# The portal's address as the people reading an e-mail reach it (the link to their inbox).
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")
# Daily digests go out at this local hour; the SLA sweep runs this often (pa_portal/celery.py).
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 7)
SLA_SWEEP_SECONDS = env_int("SLA_SWEEP_SECONDS", 300)

# The health plan as its letters name it (reviews/letters.py): letterhead, contacts, appeal
# address, and the appeal and external review clocks the letters state.
PLAN_NAME = env_str("PLAN_NAME", "Example Health Plan")
PLAN_ADDRESS = env_str("PLAN_ADDRESS", "100 Main Street, Suite 400, Springfield, IL 62701")
PLAN_PHONE = env_str("PLAN_PHONE", "1-800-555-0100")
PLAN_TTY = env_str("PLAN_TTY", "711")
PLAN_FAX = env_str("PLAN_FAX", "1-800-555-0101")
PLAN_WEBSITE = env_str("PLAN_WEBSITE", "www.example.org")
PLAN_APPEALS_ADDRESS = env_str(
    "PLAN_APPEALS_ADDRESS", "Appeals Unit, P.O. Box 1000, Springfield, IL 62705"
)
PLAN_APPEALS_FAX = env_str("PLAN_APPEALS_FAX", "1-800-555-0102")
PLAN_CIVIL_RIGHTS_CONTACT = env_str(
    "PLAN_CIVIL_RIGHTS_CONTACT", "Civil Rights Coordinator, P.O. Box 1001, Springfield, IL 62705"
)
# Appeals have a clock of their own (hours), and the external review request its deadline.
APPEAL_CLOCK_HOURS = {
    "standard": env_int("APPEAL_CLOCK_HOURS_STANDARD", 720),
    "expedited": env_int("APPEAL_CLOCK_HOURS_EXPEDITED", 72),
}
EXTERNAL_REVIEW_DAYS = env_int("EXTERNAL_REVIEW_DAYS", 120)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pa",
    }
}

# Content-Security-Policy: scripts only from our own origin, no inline script or eval anywhere.
# Inline style attributes are allowed (Bootstrap and the admin use them); they cannot run code.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Security: the same headers everywhere; HTTPS-only cookies and HSTS in production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hemgenix prior-authorization API",
    "DESCRIPTION": "Submit and follow Hemgenix prior-authorization requests.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Audit and oversight. How many proxies in front of the app append to X-Forwarded-For; 0 means
# none, and the audit log records REMOTE_ADDR (the header alone is whatever the client sent).
AUDIT_PROXY_HOPS = env_int("AUDIT_PROXY_HOPS", 0)
AUDIT_LOG_PAGE_SIZE = 50

# Performance at payer scale (issue 9, bench/README.md). The audit log counts matching rows only
# up to this many: an exact COUNT(*) over millions of rows costs more than the page itself.
AUDIT_LOG_COUNT_CAP = env_int("AUDIT_LOG_COUNT_CAP", 10_000)
