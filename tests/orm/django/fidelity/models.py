"""Models covering the field types whose SQLite storage conventions differ from Postgres.

SQLite (Django's backend) stores: UUIDField as char(32) hex without dashes,
DurationField as bigint microseconds, DateTimeField (USE_TZ) as naive UTC text,
DecimalField as NUMERIC affinity (REAL/INTEGER/TEXT, never rounded to the scale),
BooleanField as 0/1, JSONField as text with CHECK (JSON_VALID(...)),
BinaryField as BLOB, foreign keys DEFERRABLE INITIALLY DEFERRED.
"""
from django.db import models


class Tag(models.Model):
    """UUID primary key (char(32) in SQLite, uuid in Postgres)."""

    id = models.UUIDField(primary_key=True)
    label = models.CharField(max_length=20, unique=True)
    weight = models.SmallIntegerField(default=0)

    def __str__(self):
        return self.label


class Author(models.Model):
    """BigAutoField key, self-reference, UUID column, naive/aware datetimes."""

    name = models.CharField(max_length=40)
    email = models.CharField(max_length=254, unique=True)
    active = models.BooleanField(default=True)
    joined = models.DateTimeField()
    born = models.DateField(null=True)
    wakes = models.TimeField(null=True)
    token = models.UUIDField(unique=True)
    mentor = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="mentees")


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=100)
    edition = models.PositiveIntegerField(default=1)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    precise = models.DecimalField(max_digits=30, decimal_places=17, null=True)
    rating = models.FloatField(null=True)
    published = models.DateField(null=True)
    published_at = models.DateTimeField(null=True)
    read_time = models.DurationField(null=True)
    metadata = models.JSONField(null=True)
    cover = models.BinaryField(null=True)
    in_print = models.BooleanField(null=True)
    sequel_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="sequels")
    tags = models.ManyToManyField(Tag, related_name="books", blank=True)

    class Meta:
        unique_together = [("author", "title", "edition")]


class Event(models.Model):
    """AutoField (integer) key; the date/time edge values live here."""

    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=60)
    at = models.DateTimeField()
    day = models.DateField()
    clock = models.TimeField()
    span = models.DurationField()
    ref = models.UUIDField(null=True)
    tag = models.ForeignKey(Tag, null=True, on_delete=models.PROTECT, related_name="events")


class Measurement(models.Model):
    """Floats, big integers, decimals written unrounded."""

    label = models.CharField(max_length=30)
    value = models.FloatField()
    count = models.BigIntegerField()
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    payload = models.JSONField(default=dict)
    raw = models.BinaryField(default=b"")

    class Meta:
        unique_together = [("label", "count")]
