#!/usr/bin/env python3
"""Write a SQLite file the way a peewee 3 app does.

Storage conventions on SQLite: UUIDField -> TEXT holding 32 hex digits;
BinaryUUIDField -> 16-byte BLOB; DateTimeField -> DATETIME text
'YYYY-MM-DD HH:MM:SS[.ffffff]'; TimestampField -> INTEGER epoch seconds (and one in
milliseconds via resolution=1000); DateField/TimeField -> text; DecimalField -> DECIMAL(10,2)
(text adapter, NUMERIC affinity, auto_round=False keeps 19.999); BooleanField -> INTEGER 0/1;
BlobField -> BLOB; a ManyToManyField through table; a self-referencing foreign key.
Usage: peewee_fixture.py OUT.sqlite3
"""
import datetime as dt
import os
import random
import sys
import uuid
from decimal import Decimal

from peewee import (AutoField, BigIntegerField, BinaryUUIDField, BlobField, BooleanField, CharField, DateField,
                    DateTimeField, DecimalField, DoubleField, FloatField, ForeignKeyField, IntegerField,
                    ManyToManyField, Model, SqliteDatabase, TextField, TimeField, TimestampField, UUIDField)

db = SqliteDatabase(None, pragmas={"foreign_keys": 1})


class Base(Model):
    class Meta:
        database = db


class Topic(Base):
    id = UUIDField(primary_key=True)
    name = CharField(max_length=30, unique=True)


class Person(Base):
    id = AutoField()
    token = UUIDField(unique=True)
    token_bin = BinaryUUIDField(null=True)
    name = CharField(max_length=40)
    active = BooleanField(default=True)
    joined = DateTimeField()
    last_login = TimestampField(null=True, utc=True)             # epoch seconds
    last_ping = TimestampField(null=True, resolution=1000, utc=True)  # epoch milliseconds
    born = DateField(null=True)
    wakes = TimeField(null=True)
    balance = DecimalField(max_digits=10, decimal_places=2, auto_round=False, null=True)
    score = FloatField(null=True)
    weight = DoubleField(null=True)
    counter = BigIntegerField(null=True)
    level = IntegerField(default=0)
    photo = BlobField(null=True)
    notes = TextField(null=True)
    boss = ForeignKeyField("self", null=True, backref="reports", on_delete="SET NULL")
    topics = ManyToManyField(Topic, backref="people")

    class Meta:
        indexes = ((("name", "level"), True),)


PersonTopic = Person.topics.get_through_model()


def main(path):
    if os.path.exists(path):
        os.remove(path)
    db.init(path)
    db.connect()
    db.create_tables([Topic, Person, PersonTopic])
    rng = random.Random(5)
    topics = [Topic.create(id=uuid.UUID(int=rng.getrandbits(128), version=4), name=f"topic {i}") for i in range(10)]
    joined = [dt.datetime(999, 1, 1), dt.datetime(1970, 1, 1, 0, 0, 0, 1), dt.datetime(2024, 3, 31, 2, 30),
              dt.datetime(2024, 10, 27, 2, 30), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)]
    stamps = [dt.datetime(1970, 1, 1, 0, 0, 1), dt.datetime(2024, 3, 31, 1, 30), dt.datetime(2038, 1, 19, 3, 14, 8), None]
    decimals = [Decimal("19.999"), Decimal("19.985"), Decimal("0.125"), Decimal("99999999.99"), Decimal("-0.005"), None]
    people = []
    with db.atomic():
        for i in range(70):
            p = Person.create(
                token=uuid.UUID(int=rng.getrandbits(128), version=4),
                token_bin=None if i % 4 == 0 else uuid.UUID(int=rng.getrandbits(128), version=4),
                name="\u00fc" * 40 if i == 0 else f"person {i}", active=i % 3 != 0,
                joined=joined[i % len(joined)], last_login=stamps[i % len(stamps)],
                last_ping=dt.datetime(2024, 1, 2, 3, 4, 5, 678000) if i % 2 else None,
                born=[dt.date(1, 1, 1), dt.date(2000, 2, 29), None][i % 3],
                wakes=[dt.time(7, 30), dt.time(23, 59, 59, 999999), None][i % 3],
                balance=decimals[i % len(decimals)], score=[0.1, 1e-300, -0.0, None][i % 4],
                weight=[1.7976931348623157e308, 2.0**53 + 2, 1 / 3][i % 3], counter=[2**63 - 1, -(2**63), 2**53 + 1, None][i % 4],
                level=i % 7, photo=None if i % 5 == 0 else bytes([0, 255, i % 256, 0]),
                notes=None if i % 2 else f"note {i}", boss=people[i // 2] if i and i % 3 else None,
            )
            p.topics.add(topics[i % 10: i % 10 + i % 3])
            people.append(p)
    db.close()
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1])
