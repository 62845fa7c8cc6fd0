#!/usr/bin/python3
"""Random differential cases for tst_differential (run at test time, never committed).

Usage: random_pickles.py SEED COUNT OUTDIR

Builds COUNT random Python objects from SEED (nested containers, shared and recursive
references, edge-case scalars, the typed classes the loader knows), pickles each at a random
protocol 0-5 (sometimes through pickletools.optimize, sometimes with bytes flipped or cut), and
writes for case N:
  N.pkl   the bytes
  N.repr  repr(pickle.loads(bytes)) as CPython prints it, or 'ERROR <type>' when it refuses;
          set and frozenset items sorted by their repr (Python's own order is hash order, which
          PYTHONHASHSEED changes), or 'SKIP' when a set sits inside a dict subclass
  N.dis   stdout of pickletools.dis on the bytes (what it printed before failing, if it fails)
  N.diserr  present (empty) when pickletools.dis raised
"""
import array
import collections
import datetime
import decimal
import pathlib
import uuid
import io
import os
import pickle
import pickletools
import random
import resource
import sys


def scalar(rng):
    pick = rng.randrange(22)
    if pick == 0:
        return None
    if pick == 1:
        return rng.random() < 0.5
    if pick == 2:
        return rng.randint(-300, 300)
    if pick == 3:
        return rng.choice([2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**63 - 1, 2**63, -2**63, -2**63 - 1,
                           2**64, 255, 256, 65535, 65536, -1, 0])
    if pick == 4:
        return rng.randint(-10**60, 10**60) * rng.choice([1, 10**rng.randrange(1, 200)])
    if pick == 5:
        return rng.choice([0.0, -0.0, 1.5, 1e300, -1e-300, 5e-324, float("inf"), float("-inf"),
                           0.1, 1 / 3, 2.0**53, 123456789.0])
    if pick == 6:
        return rng.uniform(-1e6, 1e6)
    if pick == 7:
        return complex(rng.uniform(-5, 5), rng.choice([0.0, -0.0, 1.0, rng.uniform(-5, 5)]))
    if pick in (8, 9, 10):
        return text(rng)
    if pick == 11:
        return bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 5, 40, 255, 256, 300])))
    if pick == 12:
        return bytearray(rng.randrange(256) for _ in range(rng.randrange(12)))
    if pick == 13:
        return datetime.datetime(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28),
                                 rng.randrange(24), rng.randrange(60), rng.randrange(60),
                                 rng.choice([0, rng.randrange(1000000)]))
    if pick == 14:
        return datetime.date(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28))
    if pick == 15:
        return datetime.timedelta(days=rng.randint(-10**5, 10**5), seconds=rng.randrange(86400),
                                  microseconds=rng.randrange(10**6))
    if pick == 16:
        return datetime.time(rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.choice([0, 7, 999999]))
    if pick == 17:
        return decimal.Decimal(rng.choice(["0", "-0", "1.50", "3.14159", "1E+400", "-7.25E-30", "NaN", "Infinity",
                                           str(rng.randint(-10**30, 10**30))]))
    if pick == 18:
        return rng.choice([range(0), range(5), range(-3, 30, 4)])
    if pick == 19:
        return slice(rng.choice([None, 1, -2]), rng.choice([None, 10]), rng.choice([None, 2]))
    if pick == 20:
        return typed(rng)
    return rng.choice(["", "a", "id", "name", "x" * 300])


def typed(rng):
    """Objects the loader decodes for display (their repr is what Python prints)."""
    pick = rng.randrange(7)
    if pick == 0:
        code = rng.choice("bBhHiIlLqQfdu")
        if code == "u":
            return array.array("u", text(rng).encode("utf-16", "surrogatepass").decode("utf-16", "replace")[:20])
        if code in "fd":
            return array.array(code, [rng.choice([0.5, -2.0, 1e10, 0.1]) for _ in range(rng.randrange(5))])
        lo, hi = {"b": (-128, 127), "B": (0, 255), "h": (-2**15, 2**15 - 1), "H": (0, 2**16 - 1),
                  "i": (-2**31, 2**31 - 1), "I": (0, 2**32 - 1), "l": (-2**63, 2**63 - 1),
                  "L": (0, 2**64 - 1), "q": (-2**63, 2**63 - 1), "Q": (0, 2**64 - 1)}[code]
        return array.array(code, [rng.choice([lo, hi, 0, 1]) for _ in range(rng.randrange(5))])
    if pick == 1:
        tz = rng.choice([datetime.timezone.utc, datetime.timezone(datetime.timedelta(hours=-5)),
                         datetime.timezone(datetime.timedelta(minutes=90), "X+1:30")])
        return datetime.datetime(2001, 2, 3, 4, 5, 6, rng.choice([0, 7]), tzinfo=tz)
    if pick == 2:
        return uuid.UUID(int=rng.getrandbits(128))
    if pick == 3:
        return rng.choice([pathlib.PurePosixPath("/a/b c"), pathlib.PurePosixPath("rel"), pathlib.PurePath("x/y")])
    if pick == 4:
        return float("nan")
    if pick == 5:
        return datetime.timezone(datetime.timedelta(hours=rng.randint(-23, 23)))
    return datetime.time(1, 2, 3, tzinfo=datetime.timezone.utc)


def text(rng):
    alphabet = ["a", "Z", " ", "\n", "\\", "'", '"', "\x00", "\x7f", "\x80", "\xe9", "\xff", "\u0100", "\u20ac",
                "\ud7ff", "\ue000", "\ufffd", "\U0001f600", "\U0010ffff", "\\u", "\\U0001", "L", "0"]
    s = "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 3, 8, 30, 300])))
    if rng.random() < 0.05:
        s += rng.choice(["\ud800", "\udfff", "\udc80x"])  # lone surrogates (surrogatepass)
    return s


def key(rng, depth):
    pick = rng.randrange(9)
    if pick == 0:
        return rng.randint(-5, 5)
    if pick == 1:
        return rng.choice([1.0, 0.5, -0.0, 2.0, float("inf")])
    if pick == 2:
        return rng.choice([True, False, None])
    if pick == 3 and depth < 3:
        return tuple(key(rng, depth + 1) for _ in range(rng.randrange(3)))
    if pick == 4 and depth < 3:
        return frozenset(key(rng, depth + 1) for _ in range(rng.randrange(3)))
    if pick == 5:
        return bytes(rng.randrange(3) for _ in range(rng.randrange(3)))
    return rng.choice(["a", "b", "id", "", "\u20ac", text(rng)])


def value(rng, depth, pool):
    if depth > 4 or rng.random() < 0.35:
        v = scalar(rng)
    else:
        pick = rng.randrange(10)
        n = rng.choice([0, 1, 2, 3, 5, 8, 40]) if depth < 2 else rng.randrange(4)
        if pick == 0:
            v = [value(rng, depth + 1, pool) for _ in range(n)]
            if rng.random() < 0.1:
                v.append(v)  # recursive
        elif pick == 1:
            v = tuple(value(rng, depth + 1, pool) for _ in range(n))
        elif pick == 2:
            v = {key(rng, 0): value(rng, depth + 1, pool) for _ in range(n)}
            if rng.random() < 0.1:
                v["self"] = v
        elif pick == 3:
            v = {key(rng, 0) for _ in range(n)}
        elif pick == 4:
            v = frozenset(key(rng, 0) for _ in range(n))
        elif pick == 5:
            v = collections.OrderedDict((key(rng, 0), value(rng, depth + 1, pool)) for _ in range(n))
        elif pick == 6:
            v = collections.defaultdict(rng.choice([list, int, dict]),
                                        {key(rng, 0): value(rng, depth + 1, pool) for _ in range(n)})
        elif pick == 7:
            v = collections.Counter({key(rng, 0): rng.randint(-3, 9) for _ in range(n)})
        elif pick == 8 and pool:
            v = rng.choice(pool)  # shared reference
        else:
            v = [value(rng, depth + 1, pool) for _ in range(n)]
    if isinstance(v, (list, dict, tuple)) and rng.random() < 0.3:
        pool.append(v)
    return v


def has_set(o, seen):
    if isinstance(o, (set, frozenset)):
        return True
    if id(o) in seen or not isinstance(o, (list, tuple, dict)) or isinstance(o, (str, bytes)):
        return False
    seen.add(id(o))
    items = list(o.items()) if isinstance(o, dict) else o
    return any(has_set(x, seen) for x in (items if not isinstance(o, dict) else [y for kv in items for y in kv]))


class Skip(Exception):
    pass


def canon(o, active):
    """repr(o), with set items in sorted order of their canonical reprs."""
    t = type(o)
    if t in (set, frozenset):
        items = sorted(canon(x, active) for x in o)
        if not items:
            return "set()" if t is set else "frozenset()"
        body = ", ".join(items)
        return "{" + body + "}" if t is set else "frozenset({" + body + "})"
    if t in (list, tuple, dict):
        if id(o) in active:
            return {list: "[...]", tuple: "(...)", dict: "{...}"}[t]
        active.add(id(o))
        try:
            if t is list:
                return "[" + ", ".join(canon(x, active) for x in o) + "]"
            if t is tuple:
                return "(" + ", ".join(canon(x, active) for x in o) + ("," if len(o) == 1 else "") + ")"
            return "{" + ", ".join(canon(k, active) + ": " + canon(v, active) for k, v in o.items()) + "}"
        finally:
            active.discard(id(o))
    if isinstance(o, (collections.OrderedDict, collections.defaultdict, collections.Counter)):
        if id(o) in active:
            return "..."
        active.add(id(o))
        try:
            if isinstance(o, collections.Counter):
                if not o:
                    return "Counter()"
                pairs = o.most_common()
                return "Counter({" + ", ".join(canon(k, active) + ": " + canon(v, active) for k, v in pairs) + "})"
            pairs = ", ".join(canon(k, active) + ": " + canon(v, active) for k, v in o.items())
            if isinstance(o, collections.defaultdict):
                return "defaultdict(" + repr(o.default_factory) + ", {" + pairs + "})"
            if not o:
                return "OrderedDict()"
            return "OrderedDict([" + ", ".join("(" + canon(k, active) + ", " + canon(v, active) + ")"
                                               for k, v in o.items()) + "])"
        finally:
            active.discard(id(o))
    if isinstance(o, (list, tuple, dict, set, frozenset)):
        raise Skip()  # another subclass: not rendered here
    return repr(o)


def python_text(o):
    if not has_set(o, set()):
        return repr(o)
    try:
        return canon(o, set())
    except Skip:
        return "SKIP"


def mutate(rng, data):
    data = bytearray(data)
    how = rng.randrange(3)
    if how == 0 and len(data) > 1:
        return bytes(data[:rng.randrange(1, len(data))])
    for _ in range(rng.randint(1, 3)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def main():
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    # A flipped byte can turn an argument into bytes(2**40): let that be a MemoryError.
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    os.makedirs(out, exist_ok=True)
    rng = random.Random(seed)
    for n in range(count):
        obj = value(rng, 0, [])
        protocol = rng.randrange(6)
        try:
            data = pickle.dumps(obj, protocol=protocol)
        except Exception:
            data = pickle.dumps(repr(obj), protocol=protocol)
        if rng.random() < 0.2:
            data = pickletools.optimize(data)
        if rng.random() < 0.15:
            data = mutate(rng, data)
        base = os.path.join(out, str(n))
        with open(base + ".pkl", "wb") as f:
            f.write(data)
        try:
            loaded = pickle.loads(data)
            text_out = python_text(loaded)
        except Exception as e:  # noqa: BLE001 - any refusal is a result to compare
            text_out = "ERROR " + type(e).__name__
        with open(base + ".repr", "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text_out)
        buf = io.StringIO()
        try:
            pickletools.dis(data, out=buf)
        except Exception:  # noqa: BLE001
            open(base + ".diserr", "w").close()
        with open(base + ".dis", "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(buf.getvalue())


if __name__ == "__main__":
    main()
