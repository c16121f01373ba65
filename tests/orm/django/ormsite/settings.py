"""Settings for the liteport ORM round trip.

ORM_DB=sqlite   -> ORM_SQLITE (path of the SQLite file)
ORM_DB=postgres -> ORM_PG_HOST / ORM_PG_PORT / ORM_PG_DB (user postgres, socket)
"""
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = "liteport-orm-fixture-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
# The display zone; storage is UTC (Django sets the Postgres connection to UTC).
TIME_ZONE = "Europe/Berlin"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Fast and deterministic (with a fixed salt in the fill command).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "fidelity",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "ormsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

if os.environ.get("ORM_DB", "sqlite") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("ORM_PG_DB", "orm_django"),
            "USER": os.environ.get("ORM_PG_USER", "postgres"),
            "HOST": os.environ["ORM_PG_HOST"],
            "PORT": os.environ["ORM_PG_PORT"],
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("ORM_SQLITE", os.path.join(BASE_DIR, "app.sqlite3")),
        }
    }
