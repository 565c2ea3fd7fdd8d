#!/usr/bin/env python3
"""Checks the output of `yishi audit export COMMUNITY` without yishi's code.

    python3 check_export.py [FILE]      # reads standard input without FILE

It uses only Python's standard library and implements RFC 8785 (JCS) for
what an export holds (objects, strings, integers, true) on its own. Every
line must be the JCS canonical JSON of one audit entry, the entries must
count 1, 2, 3, ... and each "prev" must be the "hash" of the line before
("" on the first), and each "hash" must be the lowercase hex sha256 of the
entry's canonical form, which "v" names:

  v 2  the JCS of the line's object without its "hash" member;
  v 1  (entries written before the JCS form) the legacy form rebuilt by
       legacy() below. A v 1 line marked "lossy" held bytes that are not
       UTF-8, which JSON cannot carry: its hash is left to `yishi audit
       verify`, but its links are still checked.

Exit status 0 with a summary on success, 1 with the first problem.
"""
import hashlib
import json
import sys

MEMBERS = {"action", "actor", "at", "community", "detail", "hash", "prev", "seq", "topic", "v"}
LEGACY_ORDER = ["seq", "community", "at", "actor", "action", "topic", "detail", "prev", "hash"]
SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def quote(s, extra=()):
    out = ['"']
    for ch in s:
        if ch in SHORT:
            out.append(SHORT[ch])
        elif ord(ch) < 0x20 or ch in extra:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def jcs(v):
    """RFC 8785 serialization of the JSON values an export can hold."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        if abs(v) > 2**53:
            raise ValueError("integer %d is beyond the exact range of JCS numbers" % v)
        return str(v)
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        # Members sorted by the UTF-16 code units of their names.
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(quote(k) + ":" + jcs(v[k]) for k in keys) + "}"
    raise ValueError("%r has no place in an audit export" % (v,))


def legacy(e):
    """The form-1 canonical bytes: members in a fixed order, no spaces, and
    U+2028/U+2029 escaped on top of what JCS escapes."""
    parts = []
    for k in LEGACY_ORDER:
        if k == "seq":
            parts.append('"seq":%d' % e["seq"])
        else:
            parts.append(quote(k) + ":" + quote("" if k == "hash" else e[k], extra=("\u2028", "\u2029")))
    return "{" + ",".join(parts) + "}"


def no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("member %r twice" % k)
        d[k] = v
    return d


def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def check(lines):
    prev, counts = "", {1: 0, 2: 0, "lossy": 0}
    head = None
    for n, raw in enumerate(lines, 1):
        where = "line %d" % n
        if not raw.endswith(b"\n"):
            return where + ": no newline at the end"
        try:
            text = raw[:-1].decode("utf-8")
            e = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=reject_constant,
                           parse_float=lambda s: reject_constant("a fraction " + s))
        except ValueError as err:
            return "%s: not JSON: %s" % (where, err)
        if not isinstance(e, dict):
            return where + ": not an object"
        extra = set(e) - MEMBERS - {"lossy"}
        missing = MEMBERS - set(e)
        if extra or missing:
            return "%s: members %s missing, %s unexpected" % (where, sorted(missing), sorted(extra))
        for k in MEMBERS - {"seq", "v"}:
            if not isinstance(e[k], str):
                return "%s: %s is not a string" % (where, k)
        for k in ("seq", "v"):
            if type(e[k]) is not int:
                return "%s: %s is not an integer" % (where, k)
        if text != jcs(e):
            return "%s: not in JCS canonical form; canonical is\n%s" % (where, jcs(e))
        if e["seq"] != n:
            return "%s: seq %r, want %d" % (where, e["seq"], n)
        if e["prev"] != prev:
            return "%s: prev %s is not the hash of the line before (%s)" % (where, e["prev"], prev)
        lossy = e.get("lossy", False)
        if e["v"] == 2 and "lossy" not in e:
            body = {k: v for k, v in e.items() if k != "hash"}
            hashed = jcs(body)
        elif e["v"] == 1 and lossy in (False, True):
            hashed = None if lossy else legacy(e)
        else:
            return "%s: v %r with lossy %r is not a known form" % (where, e["v"], lossy)
        if hashed is None:
            counts["lossy"] += 1
        elif hashlib.sha256(hashed.encode("utf-8")).hexdigest() != e["hash"]:
            return "%s: hash %s is not the sha256 of its canonical form (v %d)" % (where, e["hash"], e["v"])
        counts[e["v"]] += 1
        prev, head = e["hash"], (n, e["hash"])
    if head is None:
        return "empty export"
    print("%d entries: %d in the JCS form (v 2), %d legacy (v 1), %d of them lossy and not rehashed; "
          "links OK; head 第%d条·%s" % (head[0], counts[2], counts[1], counts["lossy"], head[0], head[1][:16]))
    return None


def main():
    if len(sys.argv) > 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if len(sys.argv) == 2:
        with open(sys.argv[1], "rb") as f:
            lines = f.readlines()
    else:
        lines = sys.stdin.buffer.readlines()
    problem = check(lines)
    if problem:
        print("export check failed: " + problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
