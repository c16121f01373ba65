"""dumpdata's fallback for diagnosis: serialize every model separately, and when a
model's rows cannot all be read (e.g. a timestamp before year 1 that psycopg cannot
return), every object separately, skipping the unreadable ones. Same JSON format as
`dumpdata` (natural keys off). Prints one line per unreadable object on stderr."""
import json

from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("out")

    def handle(self, *args, out, **options):
        objects, bad = [], 0
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            label = f"{model._meta.app_label}.{model._meta.model_name}"
            qs = model._default_manager.order_by("pk")
            try:
                objects += json.loads(serializers.serialize("json", qs))
                continue
            except Exception:  # noqa: BLE001
                connection.close()
            for pk in model._default_manager.order_by("pk").values_list("pk", flat=True):
                try:
                    objects += json.loads(serializers.serialize("json", model._default_manager.filter(pk=pk)))
                except Exception as e:  # noqa: BLE001
                    bad += 1
                    self.stderr.write(f"unreadable {label} pk={pk}: {type(e).__name__}: {str(e).splitlines()[0]}")
                    connection.close()
        with open(out, "w") as f:
            json.dump(objects, f)
        self.stdout.write(f"{len(objects)} objects, {bad} unreadable")
