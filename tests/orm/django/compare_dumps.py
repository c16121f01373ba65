#!/usr/bin/env python3
"""Compare two `manage.py dumpdata` outputs after canonicalization.

Usage: compare_dumps.py A.json B.json [--name-a sqlite --name-b postgres]
Canonical form: the list sorted by (model, pk as text); many-to-many id lists sorted;
every value serialized with sorted keys. Prints one line per differing model.field with
the number of objects and up to three examples, and exits 1 if anything differs.
"""
import argparse
import json
import re
import sys
from collections import defaultdict


NEGATIVE_ZERO = re.compile(r"^-0(\.0+)?$")


def canon_value(v):
    if isinstance(v, list) and all(isinstance(x, (int, str)) for x in v):
        return sorted(v, key=lambda x: (str(type(x)), x))
    # Postgres's numeric has no negative zero: Decimal("-0.00") == Decimal("0.00")
    if isinstance(v, str) and NEGATIVE_ZERO.match(v):
        return v[1:]
    return v


def load(path):
    with open(path) as f:
        data = json.load(f)
    out = {}
    for obj in data:
        key = (obj["model"], json.dumps(obj.get("pk"), sort_keys=True))
        fields = {k: canon_value(v) for k, v in obj["fields"].items()}
        out[key] = fields
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--name-a", default="sqlite")
    ap.add_argument("--name-b", default="postgres")
    ap.add_argument("--canonical-out", help="write the canonical form of A and B to PREFIX.{a,b}.json")
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    if args.canonical_out:
        for name, d in (("a", a), ("b", b)):
            with open(f"{args.canonical_out}.{name}.json", "w") as f:
                for key in sorted(d):
                    f.write(json.dumps({"model": key[0], "pk": json.loads(key[1]), "fields": d[key]}, sort_keys=True, ensure_ascii=False) + "\n")
    diffs = defaultdict(list)
    only_a = defaultdict(list)
    only_b = defaultdict(list)
    for key in sorted(set(a) | set(b)):
        model, pk = key
        if key not in b:
            only_a[model].append(pk)
            continue
        if key not in a:
            only_b[model].append(pk)
            continue
        fa, fb = a[key], b[key]
        for field in sorted(set(fa) | set(fb)):
            va, vb = fa.get(field, "<absent>"), fb.get(field, "<absent>")
            if json.dumps(va, sort_keys=True) != json.dumps(vb, sort_keys=True):
                diffs[f"{model}.{field}"].append((pk, va, vb))
    models_a = defaultdict(int)
    for m, _ in a:
        models_a[m] += 1
    print(f"# {args.name_a}: {len(a)} objects, {args.name_b}: {len(b)} objects, models: "
          + ", ".join(f"{m}={n}" for m, n in sorted(models_a.items())))
    bad = False
    for model, pks in sorted(only_a.items()):
        bad = True
        print(f"only in {args.name_a}: {model}: {len(pks)} objects, pk {', '.join(pks[:5])}")
    for model, pks in sorted(only_b.items()):
        bad = True
        print(f"only in {args.name_b}: {model}: {len(pks)} objects, pk {', '.join(pks[:5])}")
    for field, rows in sorted(diffs.items()):
        bad = True
        examples = "; ".join(
            f"pk {pk}: {args.name_a}={json.dumps(va, ensure_ascii=False)[:80]} {args.name_b}={json.dumps(vb, ensure_ascii=False)[:80]}"
            for pk, va, vb in rows[:3]
        )
        print(f"differs: {field}: {len(rows)} objects; {examples}")
    if not bad:
        print(f"identical: {len(a)} objects")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
