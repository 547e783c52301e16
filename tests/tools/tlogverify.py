#!/usr/bin/env python3
"""tlogverify.py: an independent checker of a C2SP transparency log, for
the test suite.  It shares no code with coffer: the standard library only
(hashlib, base64, urllib), Ed25519 verification written from RFC 8032
section 5.1.7, RFC 6962 hashing, C2SP signed-note, tlog-checkpoint and
tlog-tiles read straight from the specifications.

  tlogverify.py selftest
      check this tool against known answers (the signed-note spec's
      Ed25519 example, the RFC 6962 test tree's roots)
  tlogverify.py vkey VKEY
      check the verifier key's form and key id; print its name
  tlogverify.py checkpoint URL VKEY
      fetch URL/checkpoint, check the note's form and the log's Ed25519
      signature, print "SIZE ROOT-BASE64"
  tlogverify.py cosigned URL|FILE VKEY WVKEY
      the checkpoint (URL/checkpoint, or a file) must carry a valid
      C2SP tlog-cosignature/v1 of the witness key WVKEY (type 0x04):
      print "cosigned at TIME"
  tlogverify.py tiles URL VKEY
      the above, then fetch every entry bundle and every tile (full and
      partial) of the checkpoint's tree, recompute all of them from the
      entries, compare byte for byte, and check the root; print one line
      per entry: "INDEX EVENT TIME ACCOUNT-HEX SCOPE-HEX PREV-HEX
      SUBJECT-HEX ACTOR-KIND ACTOR-HEX VALUE-HEX LEAF-HEX", then "OK SIZE"
  tlogverify.py consistent OLD-CHECKPOINT-FILE URL VKEY
      the tree of URL's checkpoint must extend the one of OLD (recomputed
      from the tiles of the new tree; exit 1 if not)

Exit 0 if everything checks, 1 with "FAIL: why" otherwise.
"""
import base64
import hashlib
import sys
import urllib.error
import urllib.request

# ---------------------------------------------------------------------------
# Ed25519 (RFC 8032 5.1), verification only.

P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _decode(b):
    if len(b) != 32:
        return None
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x2 = u * pow(v, P - 2, P) % P
    if x2 == 0:
        if sign:
            return None
        return (0, y, 1, 0)
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def _encode(pt):
    x, y, z, _ = pt
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


_BY = 4 * pow(5, P - 2, P) % P
BASE = _decode(_BY.to_bytes(32, "little"))


def ed25519_verify(pk, msg, sig):
    if len(sig) != 64:
        return False
    a = _decode(pk)
    r = _decode(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if a is None or r is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(sig[:32] + pk + msg).digest(),
                       "little") % L
    return _encode(_mul(s, BASE)) == _encode(_add(r, _mul(h, a)))


# ---------------------------------------------------------------------------
# Notes and checkpoints.

class Fail(Exception):
    pass


def b64(s, n=None):
    try:
        raw = base64.b64decode(s, validate=True)
    except Exception:
        raise Fail("not base64: %r" % s)
    if base64.b64encode(raw).decode() != s:
        raise Fail("not canonical base64: %r" % s)
    if n is not None and len(raw) != n:
        raise Fail("%d bytes, not %d: %r" % (len(raw), n, s))
    return raw


def parse_vkey(v):
    parts = v.split("+", 2)
    if len(parts) != 3:
        raise Fail("vkey is not name+id+key")
    name, kid, key = parts
    raw = b64(key, 33)
    if raw[0] != 1 or len(kid) != 8:
        raise Fail("vkey is not an Ed25519 key")
    want = hashlib.sha256(name.encode() + b"\n" + raw[:1] +
                          raw[1:]).digest()[:4]
    if want.hex() != kid:
        raise Fail("vkey id %s, computed %s" % (kid, want.hex()))
    return name, want, raw[1:]


def open_checkpoint(msg, vkey):
    name, kid, pk = parse_vkey(vkey)
    try:
        text = msg.decode("utf-8")
    except UnicodeDecodeError:
        raise Fail("note is not UTF-8")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise Fail("control character in note")
    if not text.endswith("\n"):
        raise Fail("note does not end in a newline")
    cut = text.rfind("\n\n")
    if cut < 0:
        raise Fail("no signature block")
    body, sigs = text[:cut + 1], text[cut + 2:]
    good = 0
    for line in sigs.split("\n")[:-1]:
        if not line.startswith("\u2014 "):
            raise Fail("bad signature line %r" % line)
        sname, _, sb = line[2:].partition(" ")
        raw = b64(sb)
        if sname == name and raw[:4] == kid:
            if not ed25519_verify(pk, body.encode(), raw[4:]):
                raise Fail("the log's signature does not verify")
            good += 1
    if good == 0:
        raise Fail("no signature by the log's key")
    lines = body.split("\n")[:-1]
    if len(lines) < 3 or any(x == "" for x in lines):
        raise Fail("checkpoint body is not origin, size, root")
    if lines[0] != name:
        raise Fail("origin %r is not the key's name %r" % (lines[0], name))
    if not lines[1].isdigit() or (lines[1] != "0" and lines[1][0] == "0"):
        raise Fail("bad tree size %r" % lines[1])
    return int(lines[1]), b64(lines[2], 32), lines[2]


def check_cosigned(msg, vkey, wvkey):
    """A valid tlog-cosignature/v1 (type 0x04) of wvkey on the checkpoint:
    Ed25519 over "cosignature/v1\ntime <T>\n" || note text.  Its time."""
    open_checkpoint(msg, vkey)
    parts = wvkey.split("+", 2)
    if len(parts) != 3:
        raise Fail("witness vkey is not name+id+key")
    name, kid, key = parts
    raw = b64(key, 33)
    want = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if raw[0] != 4 or want.hex() != kid:
        raise Fail("not a cosignature vkey (type 0x04, right id)")
    text = msg.decode("utf-8")
    cut = text.rfind("\n\n")
    body, sigs = text[:cut + 1], text[cut + 2:]
    for line in sigs.split("\n")[:-1]:
        sname, _, sb = line[2:].partition(" ")
        sig = b64(sb)
        if sname != name or sig[:4] != want:
            continue
        if len(sig) != 4 + 8 + 64:
            raise Fail("cosignature of the wrong length")
        t = int.from_bytes(sig[4:12], "big")
        m = ("cosignature/v1\ntime %d\n" % t).encode() + body.encode()
        if not ed25519_verify(raw[1:], m, sig[12:]):
            raise Fail("the cosignature does not verify")
        return t
    raise Fail("no cosignature by %s" % name)


# ---------------------------------------------------------------------------
# RFC 6962 and tiles.

def leaf_hash(e):
    return hashlib.sha256(b"\x00" + e).digest()


def node_hash(a, b):
    return hashlib.sha256(b"\x01" + a + b).digest()


def mth(hashes):
    """Root of a list of leaf hashes (RFC 6962 2.1)."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def tile_path(level, n, w):
    s = "%03d" % (n % 1000)
    n //= 1000
    while n > 0:
        s = "x%03d/" % (n % 1000) + s
        n //= 1000
    p = "tile/%s/%s" % ("entries" if level < 0 else str(level), s)
    return p + (".p/%d" % w if w < 256 else "")


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        raise Fail("%s: HTTP %d" % (url, e.code))


def check_tiles(base, size):
    """Fetch and recompute every tile; returns (entries, leaf hashes)."""
    entries = []
    for n in range((size + 255) // 256):
        w = min(256, size - n * 256)
        data = fetch(base + "/" + tile_path(-1, n, w))
        off = 0
        while off < len(data):
            if off + 2 > len(data):
                raise Fail("truncated bundle %d" % n)
            k = int.from_bytes(data[off:off + 2], "big")
            if off + 2 + k > len(data):
                raise Fail("truncated entry in bundle %d" % n)
            entries.append(data[off + 2:off + 2 + k])
            off += 2 + k
        if len(entries) != n * 256 + w:
            raise Fail("bundle %d holds %d entries" % (n, len(entries)))
    level_hashes = [leaf_hash(e) for e in entries]
    leaves = list(level_hashes)
    level = 0
    while True:
        count = len(level_hashes)
        for n in range((count + 255) // 256):
            w = min(256, count - n * 256)
            want = b"".join(level_hashes[n * 256:n * 256 + w])
            got = fetch(base + "/" + tile_path(level, n, w))
            if got != want:
                raise Fail("tile %s differs" % tile_path(level, n, w))
        full = count // 256
        if full == 0:
            break
        level_hashes = [mth(level_hashes[i * 256:(i + 1) * 256])
                        for i in range(full)]
        level += 1
    return entries, leaves


def describe(i, e, leaf):
    if len(e) != 115 or e[0] != 1:
        raise Fail("entry %d is not a version 1 entry" % i)
    return "%d %d %d %s %s %s %s %d %s %s %s" % (
        i, e[1], int.from_bytes(e[2:10], "big"), e[10:26].hex(),
        e[26:34].hex(), e[34:66].hex(), e[66:98].hex(), e[98],
        e[99:107].hex(), e[107:115].hex(), leaf.hex())


def selftest():
    name, kid, pk = parse_vkey("example.com/foo+530d903a+AekyeRrm56hApGFk"
                               "yQR4ZCbV54Id2LKaANYcrnKv3U2k")
    sig = b64("Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZ"
              "XsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=")
    msg = b"This is an example message.\n"
    if sig[:4] != kid or not ed25519_verify(pk, msg, sig[4:]) or \
            ed25519_verify(pk, msg + b"!", sig[4:]):
        raise Fail("Ed25519 self-test")
    leaves = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031",
              "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")]
    if mth([leaf_hash(x) for x in leaves]).hex() != \
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328":
        raise Fail("RFC 6962 self-test")
    if tile_path(0, 1234067, 256) != "tile/0/x001/x234/067" or \
            tile_path(-1, 273, 112) != "tile/entries/273.p/112":
        raise Fail("tile path self-test")
    print("OK selftest")


def main(argv):
    if len(argv) == 2 and argv[1] == "selftest":
        selftest()
    elif len(argv) >= 3 and argv[1] == "vkey":
        print(parse_vkey(argv[2])[0])
    elif len(argv) == 4 and argv[1] == "checkpoint":
        size, _, r = open_checkpoint(fetch(argv[2] + "/checkpoint"),
                                     argv[3])
        print(size, r)
    elif len(argv) == 5 and argv[1] == "cosigned":
        msg = fetch(argv[2] + "/checkpoint") if "://" in argv[2] else \
            open(argv[2], "rb").read()
        print("cosigned at %d" % check_cosigned(msg, argv[3], argv[4]))
    elif len(argv) == 4 and argv[1] == "tiles":
        size, root, _ = open_checkpoint(fetch(argv[2] + "/checkpoint"),
                                        argv[3])
        entries, leaves = check_tiles(argv[2], size)
        if mth(leaves) != root:
            raise Fail("the entries do not give the checkpoint's root")
        last = {}
        for i, e in enumerate(entries):
            print(describe(i, e, leaves[i]))
            acct = e[10:26]
            if e[34:66] != last.get(acct, bytes(32)):
                raise Fail("entry %d does not link to its account's "
                           "previous entry" % i)
            last[acct] = leaves[i]
        print("OK", size)
    elif len(argv) == 5 and argv[1] == "consistent":
        with open(argv[2], "rb") as f:
            osize, oroot, _ = open_checkpoint(f.read(), argv[4])
        size, root, _ = open_checkpoint(fetch(argv[3] + "/checkpoint"),
                                        argv[4])
        _, leaves = check_tiles(argv[3], size)
        if mth(leaves) != root:
            raise Fail("the entries do not give the checkpoint's root")
        if osize > size or mth(leaves[:osize]) != oroot:
            raise Fail("tree %d does not extend tree %d" % (size, osize))
        print("OK", osize, size)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Fail as e:
        print("FAIL:", e)
        sys.exit(1)
