#!/usr/bin/python3
"""Python 2 style pickles whose str payloads are bytes of other codecs, and what CPython's
pickle.loads(data, encoding=NAME) gives for each codec name (or the error it raises), for
tst_codecs. Run: /usr/bin/python3 tests/pickle/gen_codec_fixtures.py"""
import json
import os
import pickle

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "pickle", "codecs")


def short_binstring(payloads):
    """A protocol 2 list of SHORT_BINSTRINGs, as Python 2 pickles str."""
    out = b"\x80\x02]q\x00("
    for p in payloads:
        out += b"U" + bytes([len(p)]) + p
    return out + b"e."


CASES = [
    ("cp1252", "caf\u00e9 \u20ac \u2122".encode("cp1252"), ["cp1252", "windows-1252", "CP1252"]),
    ("shift_jis", "\u65e5\u672c\u8a9e\u30c6\u30ad\u30b9\u30c8".encode("shift_jis"), ["shift_jis", "sjis", "Shift-JIS", "cp932"]),
    ("latin", "caf\u00e9 \u00e0".encode("latin-1"), ["iso-8859-1", "latin-1", "ISO8859_1", "iso-8859-15", "koi8_r"]),
    ("euc_jp", "\u65e5\u672c".encode("euc_jp"), ["euc_jp", "eucjp"]),
    ("gbk", "\u4e2d\u6587".encode("gbk"), ["gbk", "gb18030"]),
    ("bad_utf8", b"\xff\xfe", ["utf-8", "shift_jis"]),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = []
    for name, payload, codecs in CASES:
        data = short_binstring([b"plain", payload])
        fname = "py2_%s.pkl" % name
        with open(os.path.join(OUT, fname), "wb") as f:
            f.write(data)
        for codec in codecs:
            try:
                value = pickle.loads(data, encoding=codec)
                expected.append({"file": fname, "encoding": codec, "value": value})
            except UnicodeDecodeError as e:
                expected.append({"file": fname, "encoding": codec, "error": str(e)})
    with open(os.path.join(OUT, "py2_codecs.expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)


# Text arguments through the codecs pickle uses, for tst_codecs::decodesTextAsCPythonsCodecsDo:
# bytes.decode('utf-8'[, 'surrogatepass']), bytes.decode('raw-unicode-escape'),
# codecs.escape_decode, and escape_decode then .decode('ascii') as pickletools' read_stringnl does.
TEXT_CASES = [
    b"plain ascii", b"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", b"\xff\xfe", b"a\xc3(", b"\xe2\x82",
    b"\xe2\x82(", b"\xed\xa0\x80 lone surrogate", b"\xe0\x80\x80 overlong", b"\xf4\x90\x80\x80 too big",
    b"\xf0\x9f\x98", b"\xc0\xaf", b"ab\x80",
    b"\\u03c0\\x41", b"\\U0001f600", b"\\u12", b"x\\\\\\u12zz", b"\\\\u0041", b"\\U0011ffff", b"\\ud800",
    b"caf\xe9", b"\\u",
    b"a\\n\\x41\\101\\q\\\n", b"\\x4", b"end\\", b"\\xff", b"\xe9\\xZZ", b"\\777\\0",
]


def outcome(fn, data):
    try:
        value = fn(data)
    except (UnicodeDecodeError, ValueError) as e:
        return {"error": str(e)}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    return {"codepoints": [ord(c) for c in value]}


def text_cases():
    import codecs
    readers = {
        "utf-8": lambda d: d.decode("utf-8"),
        "utf-8 surrogatepass": lambda d: d.decode("utf-8", "surrogatepass"),
        "raw-unicode-escape": lambda d: d.decode("raw-unicode-escape"),
        "escape_decode": lambda d: codecs.escape_decode(d)[0],
        "escape_decode ascii": lambda d: codecs.escape_decode(d)[0].decode("ascii"),
    }
    cases = [dict(input=d.hex(), codec=name, **outcome(fn, d)) for d in TEXT_CASES for name, fn in readers.items()]
    with open(os.path.join(OUT, "text_codecs.expected.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, indent=1)


if __name__ == "__main__":
    main()
    text_cases()
