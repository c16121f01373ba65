"""Create one new object of every model through the ORM (plus one row in every
many-to-many table), inside a transaction that is rolled back, so the database keeps
the migrated rows only. Fails on a duplicate key (a sequence behind max(id))."""
import datetime as dt
import uuid
from decimal import Decimal

from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fidelity.models import Author, Book, Event, Measurement, Tag

UTC = dt.timezone.utc


class Rollback(Exception):
    pass


class Command(BaseCommand):
    def handle(self, *args, **options):
        created = []
        failures = []

        def attempt(label, fn):
            try:
                with transaction.atomic():
                    obj = fn()
                created.append(f"{label} pk={getattr(obj, 'pk', obj)}")
            except Exception as e:  # noqa: BLE001 - report every model
                failures.append(f"{label}: {type(e).__name__}: {str(e).splitlines()[0]}")

        now = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
        try:
            with transaction.atomic():
                attempt("contenttypes.ContentType", lambda: ContentType.objects.create(app_label="zz", model="new"))
                attempt("auth.Permission", lambda: Permission.objects.create(name="new", codename="new_perm", content_type=ContentType.objects.order_by("pk").first()))
                attempt("auth.Group", lambda: Group.objects.create(name="new-group"))
                attempt("auth.User", lambda: User.objects.create(username="new-user", date_joined=now))
                attempt("auth.Group_permissions", lambda: Group.objects.order_by("pk").first().permissions.add(Permission.objects.order_by("-pk").last()) or "added")
                attempt("auth.User_groups", lambda: User.objects.order_by("pk").first().groups.add(Group.objects.order_by("-pk").first()) or "added")
                attempt("auth.User_user_permissions", lambda: User.objects.order_by("pk").first().user_permissions.add(Permission.objects.order_by("-pk").first()) or "added")
                attempt("admin.LogEntry", lambda: LogEntry.objects.create(action_time=now, user=User.objects.order_by("pk").first(), content_type=ContentType.objects.get_for_model(User), object_id="1", object_repr="x", action_flag=ADDITION, change_message=""))
                attempt("sessions.Session", lambda: Session.objects.create(session_key="new" * 10, session_data="e30:", expire_date=now))
                attempt("fidelity.Tag", lambda: Tag.objects.create(id=uuid.UUID(int=1), label="new-tag"))
                attempt("fidelity.Author", lambda: Author.objects.create(name="new", email="new@example.org", joined=now, token=uuid.UUID(int=2), mentor=Author.objects.order_by("pk").first()))
                attempt("fidelity.Book", lambda: Book.objects.create(author=Author.objects.order_by("pk").first(), title="new", price=Decimal("1.00"), read_time=dt.timedelta(hours=2), metadata={"new": True}, cover=b"\x01"))
                attempt("fidelity.Book_tags", lambda: Book.objects.order_by("pk").first().tags.add(Tag.objects.order_by("label").last()) or "added")
                attempt("fidelity.Event", lambda: Event.objects.create(name="new", at=now, day=now.date(), clock=now.time(), span=dt.timedelta(0)))
                attempt("fidelity.Measurement", lambda: Measurement.objects.create(label="new", value=1.5, count=7, amount=Decimal("2.50")))
                raise Rollback
        except Rollback:
            pass
        models = {f"{m._meta.app_label}.{m.__name__}" for m in apps.get_models()}
        covered = {c.split(" ")[0] for c in created} | {f.split(":")[0] for f in failures}
        missing = sorted(models - covered)
        for c in created:
            self.stdout.write(f"created {c}")
        for f in failures:
            self.stdout.write(f"FAILED {f}")
        if missing:
            self.stdout.write(f"FAILED models not covered: {missing}")
        if failures or missing:
            raise CommandError(f"{len(failures)} model(s) failed")
