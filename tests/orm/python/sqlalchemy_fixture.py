#!/usr/bin/env python3
"""Write a SQLite file the way a SQLAlchemy 2 app does (ORM models, session inserts).

Storage conventions on SQLite: Uuid -> CHAR(32) hex without dashes; DateTime ->
'YYYY-MM-DD HH:MM:SS.ffffff' naive text (DateTime(timezone=True) too: the offset is
dropped); Date/Time -> ISO text; Interval -> DATETIME text relative to 1970-01-01;
Numeric(10, 2) -> NUMERIC affinity (unrounded REAL); Boolean -> 0/1; JSON -> text;
LargeBinary -> BLOB; Enum -> VARCHAR; BigInteger autoincrement key -> INTEGER PRIMARY KEY.
Usage: sqlalchemy_fixture.py OUT.sqlite3
"""
import datetime as dt
import enum
import os
import random
import sys
import uuid
import warnings
from decimal import Decimal

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, Enum, Float, ForeignKey, Integer,
                        Interval, LargeBinary, Numeric, String, Table, Text, Time, UniqueConstraint, Uuid,
                        create_engine)
from sqlalchemy.orm import DeclarativeBase, Session, relationship

warnings.filterwarnings("ignore", message=".*Decimal objects natively.*")


class Base(DeclarativeBase):
    pass


class Plan(enum.Enum):
    free = "free"
    pro = "pro"


member_groups = Table(
    "member_groups", Base.metadata,
    Column("member_id", ForeignKey("members.id"), primary_key=True),
    Column("group_id", ForeignKey("groups.id"), primary_key=True),
)


class Group(Base):
    __tablename__ = "groups"
    id = Column(Uuid, primary_key=True)              # UUID primary key, CHAR(32)
    name = Column(String(30), nullable=False, unique=True)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("org", "handle"),)
    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    public_id = Column(Uuid, nullable=False, unique=True)
    org = Column(String(20), nullable=False)
    handle = Column(String(40), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    plan = Column(Enum(Plan), nullable=False)
    created = Column(DateTime, nullable=False)                    # naive
    seen = Column(DateTime(timezone=True))                        # aware in Python, naive text on SQLite
    born = Column(Date)
    wakes = Column(Time)
    trial = Column(Interval)                                      # '1970-01-01 ...' + delta
    balance = Column(Numeric(10, 2))
    ratio = Column(Float)
    counter = Column(BigInteger)
    prefs = Column(JSON)
    avatar = Column(LargeBinary)
    bio = Column(Text)
    referrer_id = Column(ForeignKey("members.id", ondelete="SET NULL"))
    referrer = relationship("Member", remote_side=[id])
    groups = relationship(Group, secondary=member_groups)


def main(path):
    if os.path.exists(path):
        os.remove(path)
    rng = random.Random(11)
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    utc = dt.timezone.utc
    berlin_summer = dt.timezone(dt.timedelta(hours=2))
    datetimes = [dt.datetime(999, 12, 31, 23, 59, 59, 999999), dt.datetime(1970, 1, 1), dt.datetime(2024, 3, 31, 2, 30),
                 dt.datetime(2024, 10, 27, 2, 30, 0, 500000), dt.datetime(9999, 12, 31, 23, 59, 59)]
    aware = [dt.datetime(2024, 3, 31, 1, 30, tzinfo=utc), dt.datetime(2024, 3, 31, 3, 30, tzinfo=berlin_summer), None,
             dt.datetime(2024, 10, 27, 1, 0, tzinfo=utc)]
    intervals = [dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta(days=-1, seconds=1), dt.timedelta(days=400, minutes=3), None]
    decimals = [Decimal("19.999"), Decimal("19.985"), Decimal("0.125"), Decimal("12345678.99"), Decimal("-0.005"), None]
    floats = [0.1, 1e-300, 1.7976931348623157e308, -0.0, 2.0**53 + 2, 1 / 3]
    with Session(engine) as s:
        groups = [Group(id=uuid.UUID(int=rng.getrandbits(128), version=4), name=f"group {i}") for i in range(8)]
        s.add_all(groups)
        members = []
        for i in range(80):
            m = Member(
                public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                org=f"org{i % 5}", handle="\u00e9" * 40 if i == 0 else f"member{i}",
                active=i % 4 != 0, plan=Plan.pro if i % 3 else Plan.free,
                created=datetimes[i % len(datetimes)], seen=aware[i % len(aware)],
                born=[dt.date(1, 1, 1), dt.date(2000, 2, 29), None][i % 3],
                wakes=[dt.time(7, 30), dt.time(23, 59, 59, 999999), None][i % 3],
                trial=intervals[i % len(intervals)], balance=decimals[i % len(decimals)],
                ratio=floats[i % len(floats)], counter=[0, 2**63 - 1, -(2**63), 2**53 + 1][i % 4],
                prefs=[{"b": 1, "a": [True, None]}, [], "s", 1.5, None][i % 5],
                avatar=None if i % 5 == 0 else bytes([0, 255, i]),
                bio=None if i % 2 else f"line one\nline two {i}",
                referrer=members[i // 2] if i and i % 3 else None,
                groups=groups[i % 8: i % 8 + i % 3],
            )
            members.append(m)
        s.add_all(members)
        s.commit()
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1])
