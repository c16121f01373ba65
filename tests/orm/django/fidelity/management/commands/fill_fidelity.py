"""Fill the database through the ORM with deterministic data, edge values included."""
import datetime as dt
import random
import uuid
from decimal import Decimal

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import JSONField, Value

from fidelity.models import Author, Book, Event, Measurement, Tag

UTC = dt.timezone.utc


def uid(rng):
    return uuid.UUID(int=rng.getrandbits(128), version=4)


# UTC instants: before year 1000, the Berlin LMT era, both 2024 DST changes in Berlin
# (spring forward 2024-03-31 01:00 UTC, fall back 2024-10-27 01:00 UTC), epoch edges.
EDGE_DATETIMES = [
    dt.datetime(1, 1, 1, 0, 0, 0, tzinfo=UTC),
    dt.datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(1000, 1, 1, 0, 0, 0, tzinfo=UTC),
    dt.datetime(1893, 3, 31, 23, 6, 32, tzinfo=UTC),
    dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(1970, 1, 1, 0, 0, 0, tzinfo=UTC),
    dt.datetime(2024, 3, 31, 0, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2024, 3, 31, 1, 0, 0, tzinfo=UTC),
    dt.datetime(2024, 3, 31, 1, 30, 0, tzinfo=UTC),
    dt.datetime(2024, 3, 31, 2, 30, 0, tzinfo=UTC),
    dt.datetime(2024, 10, 27, 0, 30, 0, tzinfo=UTC),
    dt.datetime(2024, 10, 27, 1, 0, 0, tzinfo=UTC),
    dt.datetime(2024, 10, 27, 1, 30, 0, 500000, tzinfo=UTC),
    dt.datetime(2024, 10, 27, 2, 30, 0, tzinfo=UTC),
    dt.datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
    dt.datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
EDGE_DATES = [
    dt.date(1, 1, 1), dt.date(999, 6, 15), dt.date(1582, 10, 10), dt.date(1900, 2, 28),
    dt.date(2000, 2, 29), dt.date(2024, 3, 31), dt.date(2024, 10, 27), dt.date(9999, 12, 31),
]
EDGE_TIMES = [dt.time(0, 0), dt.time(23, 59, 59, 999999), dt.time(12, 0, 0, 500000), dt.time(2, 30), dt.time(0, 0, 0, 1)]
EDGE_DURATIONS = [
    dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta(microseconds=-1), dt.timedelta(seconds=1),
    dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(days=-1, seconds=1),
    dt.timedelta(days=-3, hours=5, microseconds=7), dt.timedelta(days=400, minutes=3),
    dt.timedelta(days=106751, seconds=86399), dt.timedelta(days=-106751, seconds=1),
]
# Decimals as the ORM writes them: never rounded to decimal_places on SQLite.
EDGE_PRICES = ["19.999", "19.985", "0.125", "0.005", "-0.005", "12345678.99", "99999999.99", "0", "1E+2", "0.10", "7"]
EDGE_PRECISE = ["1.2345678901234567", "0.30000000000000004", "1234567890123.12345678901234567", "-0.00000000000000001", "3"]
EDGE_FLOATS = [0.1, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 2.0**53 + 2, 1 / 3, -123456.789, float("inf"), float("-inf"), 1e20, 100.0]
EDGE_JSON = [
    {"b": 1, "a": [1, 2, {"c": None}]},
    {"unicode": "grüße \u2603 \U0001F600", "escaped": "tab\tnewline\nquote\""},
    [],
    {},
    "just a string",
    12345678901234567890,
    0.1,
    1.0,
    True,
    {"nested": {"deep": {"deeper": [1.5, -2, "x"]}}, "empty": ""},
]


class Command(BaseCommand):
    help = "Fill the database with deterministic fixture data"

    def handle(self, *args, **options):
        rng = random.Random(20240102)
        with transaction.atomic():
            self.fill_auth(rng)
            self.fill_fidelity(rng)
        self.stdout.write("filled")

    def fill_auth(self, rng):
        perms = list(Permission.objects.order_by("id"))
        groups = []
        for i in range(4):
            g = Group.objects.create(name=f"group-{i}")
            g.permissions.set(perms[i::5])
            groups.append(g)
        for i in range(20):
            u = User.objects.create(
                username=f"user{i:02d}",
                email=f"user{i:02d}@example.org",
                first_name=["Ann", "Bj\u00f6rn", "\u00c9lodie", "\u674e"][i % 4],
                last_name=f"L{i}",
                password=make_password(f"pw{i}", salt=f"salt{i:04d}salt"),
                is_staff=i % 3 == 0,
                is_superuser=i == 0,
                is_active=i % 7 != 6,
                date_joined=EDGE_DATETIMES[i % len(EDGE_DATETIMES)] if i % 2 else dt.datetime(2023, 1, 1, 8, i, 0, i * 1000, tzinfo=UTC),
                last_login=None if i % 4 == 0 else dt.datetime(2024, 3, 31, 0, 30 + i, 0, tzinfo=UTC),
            )
            u.groups.set(groups[: i % 3])
            u.user_permissions.set(perms[i : i + 2])
            if i < 6:
                LogEntry.objects.create(
                    action_time=dt.datetime(2024, 10, 27, 0, 50 + i, 0, tzinfo=UTC),
                    user=u,
                    content_type=ContentType.objects.get_for_model(User),
                    object_id=str(u.pk),
                    object_repr=str(u),
                    action_flag=ADDITION if i % 2 else CHANGE,
                    change_message='[{"added": {}}]',
                )
        for i in range(5):
            Session.objects.create(
                session_key=f"{i:032x}",
                session_data=f"e30:fixture{i}",
                expire_date=dt.datetime(2030, 1, 1, i, 0, 0, tzinfo=UTC),
            )

    def fill_fidelity(self, rng):
        tags = []
        for i in range(30):
            tags.append(Tag.objects.create(id=uid(rng), label=f"tag-{i:02d}", weight=i - 15))
        authors = []
        for i in range(60):
            a = Author.objects.create(
                name=("\u00e4" * 40) if i == 0 else ("\U0001F600" * 40 if i == 1 else f"Author {i}"),
                email=f"author{i}@example.org",
                active=i % 3 != 0,
                joined=EDGE_DATETIMES[i % len(EDGE_DATETIMES)],
                born=None if i % 9 == 0 else EDGE_DATES[i % len(EDGE_DATES)],
                wakes=None if i % 11 == 0 else EDGE_TIMES[i % len(EDGE_TIMES)],
                token=uid(rng),
                mentor=authors[i // 3] if i > 2 and i % 4 else None,
            )
            authors.append(a)
        # a mentor cycle (self-reference pointing forwards as well as backwards)
        authors[0].mentor = authors[59]
        authors[0].save(update_fields=["mentor"])
        books = []
        for i in range(200):
            b = Book.objects.create(
                author=authors[i % 60],
                title=f"Title {i // 3}",
                edition=i % 3 + 1,
                price=Decimal(EDGE_PRICES[i % len(EDGE_PRICES)]) if i % 4 == 0 else Decimal(rng.randrange(0, 10**6)) / 100,
                precise=None if i % 5 == 4 else Decimal(EDGE_PRECISE[i % len(EDGE_PRECISE)]),
                rating=None if i % 13 == 0 else (EDGE_FLOATS[i % len(EDGE_FLOATS)] if i % 2 else rng.random() * 5),
                published=None if i % 10 == 0 else EDGE_DATES[i % len(EDGE_DATES)],
                published_at=None if i % 10 == 1 else EDGE_DATETIMES[i % len(EDGE_DATETIMES)],
                read_time=None if i % 12 == 0 else EDGE_DURATIONS[i % len(EDGE_DURATIONS)],
                metadata=None if i % 17 == 0 else EDGE_JSON[i % len(EDGE_JSON)],
                cover=None if i % 6 == 0 else (b"" if i % 6 == 1 else bytes(rng.randrange(256) for _ in range(i % 40)) + b"\x00\xff"),
                in_print=[True, False, None][i % 3],
                sequel_of=books[i - 3] if i >= 3 and i % 3 else None,
            )
            b.tags.set(tags[(i * 7) % 30 : (i * 7) % 30 + i % 4])
            books.append(b)
        # JSON null stored as the JSON text 'null' (not SQL NULL)
        Book.objects.filter(pk=books[17].pk).update(metadata=Value(None, JSONField()))
        for i in range(60):
            Event.objects.create(
                name=f"event {i}",
                at=EDGE_DATETIMES[i % len(EDGE_DATETIMES)],
                day=EDGE_DATES[i % len(EDGE_DATES)],
                clock=EDGE_TIMES[i % len(EDGE_TIMES)],
                span=EDGE_DURATIONS[i % len(EDGE_DURATIONS)],
                ref=None if i % 4 == 0 else uid(rng),
                tag=None if i % 5 == 0 else tags[i % 30],
            )
        for i, f in enumerate(EDGE_FLOATS * 3):
            Measurement.objects.create(
                label=f"m{i:02d}",
                value=f,
                count=[0, -1, 2**63 - 1, -(2**63), 2**53 + 1, 42][i % 6] + (i // 6 if i % 6 in (0, 5) else 0),
                amount=Decimal(EDGE_PRICES[i % len(EDGE_PRICES)]),
                payload=EDGE_JSON[i % len(EDGE_JSON)],
                raw=bytes(range(i % 7, 256, 37)),
            )
