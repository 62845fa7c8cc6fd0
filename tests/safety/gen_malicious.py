#!/usr/bin/python3
"""Writes the safety corpus: tests/data/safety/malicious/ and tests/data/safety/benign/.

Run with Debian's /usr/bin/python3 (torch 1.13, numpy 1.24):
    /usr/bin/python3 tests/safety/gen_malicious.py

Nothing written here is ever loaded: the payloads are made with __reduce__ (pickling an object
never calls what its __reduce__ names) or assembled opcode by opcode. The manifests
malicious.tsv / benign.tsv say, per file, which normalised global must be found dangerous
("*": any dangerous verdict, for payloads whose target is hidden from static analysis), and the
globals Python's own pickletools sees in each benign file (so the C++ test checks its reading of
the opcode stream against CPython's).
"""

import builtins
import collections
import datetime
import decimal
import fractions
import io
import os
import pathlib
import pickle
import pickletools
import struct
import subprocess
import sys
import types
import uuid
import array
import argparse

ROOT = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(ROOT, "..", "data", "safety")
MAL = os.path.join(DATA, "malicious")
BEN = os.path.join(DATA, "benign")

malicious = []  # (file, expected "module.name" or "*")
benign = []  # file names


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def bad(name, data, expected):
    write(MAL, name, data)
    malicious.append((name, expected))


def good(name, data):
    write(BEN, name, data)
    benign.append(name)


# ---- payload classes (pickling them never runs the callables they name) --------------------


class Reduce:
    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


class ImportModule:
    """__import__(name): the call result is the module object."""

    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return (builtins.__import__, (self.name,))


class GetAttrCallable:
    """getattr(obj, attr), pickled as a callable so that it can be the func of another reduce."""

    def __init__(self, obj, attr):
        self.obj, self.attr = obj, attr

    def __call__(self, *args):  # never called: only makes the pickler accept it as func
        raise RuntimeError("not for calling")

    def __reduce__(self):
        return (getattr, (self.obj, self.attr))


class Holder:
    """A plain class whose state holds a payload (nested object's state)."""

    def __init__(self, payload):
        self.name = "layer"
        self.inner = {"config": [1, 2, payload]}


class Nested:
    def __init__(self, payload):
        self.holder = Holder(payload)


Holder.__module__ = "mymodels"
Nested.__module__ = "mymodels"
sys.modules["mymodels"] = types.ModuleType("mymodels")
sys.modules["mymodels"].Holder = Holder
sys.modules["mymodels"].Nested = Nested


def main():
    # 1. __reduce__ payloads at every protocol.
    payloads = {
        "os_system": (Reduce(os.system, ("echo pwned",)), "posix.system"),
        "subprocess_popen": (Reduce(subprocess.Popen, (["echo", "pwned"],)), "subprocess.Popen"),
        "subprocess_check_output": (Reduce(subprocess.check_output, (["id"],)), "subprocess.check_output"),
        "eval": (Reduce(eval, ("__import__('os').system('echo pwned')",)), "builtins.eval"),
        "exec": (Reduce(exec, ("import os; os.system('echo pwned')",)), "builtins.exec"),
        "getattr_chain": (
            Reduce(GetAttrCallable(ImportModule("os"), "system"), ("echo pwned",)),
            "builtins.getattr",
        ),
        "exec_via_getattr": (
            Reduce(GetAttrCallable(ImportModule("builtins"), "exec"), ("print('pwned')",)),
            "builtins.getattr",
        ),
        "nested_state": (Nested(Reduce(os.system, ("echo pwned",))), "posix.system"),
    }
    for label, (obj, target) in payloads.items():
        for proto in range(0, 6):
            data = pickle.dumps({"weights": [0.5, 1.5], "x": obj}, protocol=proto)
            bad(f"{label}_p{proto}.pkl", data, resolving_global(data, target))

    # 2. More dangerous callables (protocol 2 and 4).
    more = [
        ("builtins_open", Reduce(open, ("/etc/passwd",)), "builtins.open"),
        ("builtins_import", ImportModule("os"), "builtins.__import__"),
        ("builtins_compile", Reduce(compile, ("1", "<x>", "eval")), "builtins.compile"),
        ("socket_create_connection", Reduce(__import__("socket").create_connection, (("example.com", 80),)), "socket.create_connection"),
        ("runpy_run_path", Reduce(__import__("runpy").run_path, ("/tmp/x.py",)), "runpy.run_path"),
        ("webbrowser_open", Reduce(__import__("webbrowser").open, ("http://example.com",)), "webbrowser.open"),
        ("pty_spawn", Reduce(__import__("pty").spawn, ("/bin/sh",)), "pty.spawn"),
        ("shutil_rmtree", Reduce(__import__("shutil").rmtree, ("/tmp/x",)), "shutil.rmtree"),
        ("importlib_import_module", Reduce(__import__("importlib").import_module, ("os",)), "importlib.import_module"),
        ("pickle_loads", Reduce(pickle.loads, (b"\x80\x04N.",)), "_pickle.loads"),
        ("marshal_loads", Reduce(__import__("marshal").loads, (b"N",)), "marshal.loads"),
        ("os_execv", Reduce(os.execv, ("/bin/sh", ["sh"])), "posix.execv"),
        ("os_remove", Reduce(os.remove, ("/tmp/x",)), "posix.remove"),
        ("sys_exit", Reduce(sys.exit, (1,)), "sys.exit"),
        ("code_interact", Reduce(__import__("code").interact, ()), "code.interact"),
        ("asyncio_subprocess", Reduce(__import__("asyncio").create_subprocess_shell, ("id",)), "asyncio.subprocess.create_subprocess_shell"),
        ("ctypes_cdll", Reduce(__import__("ctypes").CDLL, ("libc.so.6",)), "ctypes.CDLL"),
        ("yaml_unsafe_load", Reduce(__import__("yaml").unsafe_load, ("!!python/object/apply:os.system ['id']",)), "yaml.unsafe_load"),
        ("numpy_load", Reduce(__import__("numpy").load, ("/tmp/x.npy",)), "numpy.load"),
        ("webbrowser_nested_list", [1, [2, [3, Reduce(__import__("webbrowser").open, ("http://x",))]]], "webbrowser.open"),
    ]
    import functools
    import operator

    more.append(("functools_partial", Reduce(functools.partial(os.system, "id"), ()), "functools.partial"))
    more.append(("operator_attrgetter", Reduce(operator.attrgetter("system"), (ImportModule("os"),)), "operator.attrgetter"))
    more.append(("operator_methodcaller", Reduce(operator.methodcaller("system", "id"), (ImportModule("os"),)), "operator.methodcaller"))
    # A partial is a call wrapper: pickling one writes functools.partial and what it wraps (REDUCE
    # with the callable, then BUILD with (func, args, kwargs, dict)); it is dangerous because it
    # wraps os.system, and the partial itself must be flagged for that reason.
    more.append(("functools_partial_wraps_system", functools.partial(os.system, "id"), "functools.partial"))
    import torch

    more.append(("torch_load", Reduce(torch.load, ("/tmp/x.pt",)), "torch.serialization.load"))
    for label, obj, target in more:
        for proto in (2, 4):
            data = pickle.dumps(obj, protocol=proto)
            bad(f"{label}_p{proto}.pkl", data, resolving_global(data, target))

    # 3. Hand-assembled opcode forms.
    # STACK_GLOBAL whose operands come from the memo.
    bad(
        "stack_global_memo_operands.pkl",
        b"\x80\x04"
        b"\x8c\x02os\x94"  # 'os' MEMOIZE 0
        b"\x8c\x06system\x94"  # 'system' MEMOIZE 1
        b"0" b"0"  # POP POP
        b"h\x00h\x01\x93"  # BINGET 0 BINGET 1 STACK_GLOBAL
        b"\x8c\x02id\x85R.",
        "os.system",
    )
    # STACK_GLOBAL with the operands far from it (a picklescan-style walk-back would miss them).
    bad(
        "stack_global_distant_operands.pkl",
        b"\x80\x04"
        b"\x8c\x05posix\x8c\x06system"
        b"]\x94" b"K\x01a" b"0"  # EMPTY_LIST MEMOIZE BININT1 1 APPEND POP
        b"\x93\x8c\x02id\x85R.",
        "posix.system",
    )
    # STACK_GLOBAL whose module name is computed by a call: hidden from static analysis.
    bad(
        "stack_global_computed_operand.pkl",
        b"\x80\x04"
        b"\x8c\x08builtins\x8c\x03str\x93"  # builtins.str
        b"\x8c\x02os\x85R"  # str('os')
        b"\x8c\x06system\x93"
        b"\x8c\x02id\x85R.",
        "*",
    )
    # Protocol 4 attribute path: torch + "os.system" resolves through torch's own `os` import.
    bad(
        "stack_global_attribute_path.pkl",
        b"\x80\x04\x8c\x05torch\x8c\tos.system\x93\x8c\x02id\x85R.",
        "torch.os.system",
    )
    # Dunder: numpy.__builtins__ then BUILD (a modelscan bypass).
    bad(
        "dunder_numpy_builtins.pkl",
        b"\x80\x04\x8c\x05numpy\x8c\x0c__builtins__\x93}\x8c\x01x\x8c\x01y\x73b.",
        "numpy.__builtins__",
    )
    # INST and OBJ, protocol 0/1 forms.
    bad("inst_os_system.pkl", b"(S'echo pwned'\nios\nsystem\n.", "os.system")
    bad("obj_os_system.pkl", b"(cos\nsystem\nS'echo pwned'\no.", "os.system")
    bad("obj_subprocess_popen_memo.pkl", b"csubprocess\nPopen\np0\n0(g0\nS'id'\no.", "subprocess.Popen")
    # Python 2 spellings.
    bad("py2_builtin_eval.pkl", b"c__builtin__\neval\n(S'1+1'\ntR.", "builtins.eval")
    bad("py2_builtin_getattr.pkl", b"c__builtin__\ngetattr\n(c__builtin__\nobject\nS'__subclasses__'\ntR)R.", "builtins.getattr")
    bad("py2_posix_system.pkl", b"cposix\nsystem\n(S'echo pwned'\ntR.", "posix.system")
    bad("py2_commands_getoutput.pkl", b"ccommands\ngetoutput\n(S'id'\ntR.", "subprocess.getoutput")
    bad("py2_cpickle_loads.pkl", b"ccPickle\nloads\n(S'N.'\ntR.", "pickle.loads")
    # UNICODE / STRING operands with escapes: the scanner must decode them.
    bad(
        "stack_global_escaped_operands.pkl",
        b"\x80\x04Vpo\\u0073ix\nS'sys\\x74em'\n\x93\x8c\x02id\x85R.",
        "posix.system",
    )
    # Payload hidden after a benign pickle (a second pickle in the stream).
    bad(
        "second_pickle_payload.pkl",
        pickle.dumps({"ok": 1}, protocol=2) + pickle.dumps(Reduce(os.system, ("echo pwned",)), protocol=2),
        "posix.system",
    )
    # Result discarded (POP) and a misplaced PROTO: the call runs for its side effect only.
    bad(
        "discarded_call_result.pkl",
        b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R0\x80\x02}.",
        "posix.system",
    )
    # copyreg.add_extension then EXT1: an import the stream never names at the EXT site.
    bad(
        "extension_registry.pkl",
        b"\x80\x02ccopyreg\nadd_extension\n(X\x05\x00\x00\x00posixX\x06\x00\x00\x00systemK\xf0tR0"
        b"\x82\xf0X\x02\x00\x00\x00id\x85R.",
        "copyreg.add_extension",
    )
    # types.FunctionType over a code object (the code object itself cannot be pickled: stand-in bytes).
    bad("types_functiontype.pkl", b"\x80\x02ctypes\nFunctionType\nC\x04codeX\x00\x00\x00\x00}\x86R.", "types.FunctionType")
    # Scanner deactivation.
    bad("scanner_tamper.pkl", b"\x80\x02cfickling\nanalysis\n)R.", "fickling.analysis")
    # dill / cloudpickle helpers (not installed here: assembled by hand).
    bad("dill_create_code.pkl", b"\x80\x02cdill._dill\n_create_code\n)R.", "dill._dill._create_code")
    bad("cloudpickle_make_function.pkl", b"\x80\x02ccloudpickle.cloudpickle\n_make_function\n)R.",
        "cloudpickle.cloudpickle._make_function")
    # torch internals.
    bad("torch_c_internal.pkl", b"\x80\x02ctorch._C\n_jit_pass_lower_all_tuples\n)R.", "torch._C._jit_pass_lower_all_tuples")
    bad("torch_hub_load.pkl", b"\x80\x02ctorch.hub\nload\n(X\x03\x00\x00\x00a/bX\x01\x00\x00\x00mtR.", "torch.hub.load")

    # 4. Inside torch containers.
    sd = collections.OrderedDict(w=torch.arange(6, dtype=torch.float32).reshape(2, 3), b=torch.zeros(3))
    buf = io.BytesIO()
    torch.save({"state_dict": sd, "hook": Reduce(os.system, ("echo pwned",))}, buf)
    bad("torch_zip_payload.pt", buf.getvalue(), "posix.system")
    buf = io.BytesIO()
    torch.save({"state_dict": sd, "hook": Reduce(os.system, ("echo pwned",))}, buf, _use_new_zipfile_serialization=False)
    bad("torch_legacy_payload.pt", buf.getvalue(), "posix.system")
    buf = io.BytesIO()
    torch.save(Nested(Reduce(subprocess.Popen, (["id"],))), buf)
    bad("torch_zip_nested_state.pt", buf.getvalue(), "subprocess.Popen")

    # ---- benign ---------------------------------------------------------------------------
    class Plain:
        def __init__(self):
            self.a, self.b = 1, [2.5, "x"]

    Plain.__module__ = "mymodels"
    Plain.__qualname__ = "Plain"
    sys.modules["mymodels"].Plain = Plain
    data = {
        "ints": [0, 1, -1, 255, 65536, 2**40, -(2**70)],
        "floats": [0.5, float("inf")],
        "text": "héllo",
        "bytes": b"\x00\x01\xff",
        "bytearray": bytearray(b"ab"),
        "set": {1, 2},
        "frozenset": frozenset({3}),
        "complex": 1 + 2j,
        "tuple": (1, (2, 3)),
        "none": None,
        "bools": [True, False],
        "ordered": collections.OrderedDict(a=1),
        "default": collections.defaultdict(list, {"k": [1]}),
        "counter": collections.Counter("aab"),
        "deque": collections.deque([1, 2]),
        "when": datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "date": datetime.date(2021, 5, 6),
        "delta": datetime.timedelta(days=1, seconds=2),
        "decimal": decimal.Decimal("1.25"),
        "fraction": fractions.Fraction(1, 3),
        "array": array.array("i", [1, 2, 3]),
        "namespace": argparse.Namespace(lr=0.1, epochs=3),
        "path": pathlib.PurePosixPath("/data/x"),
        "uuid": uuid.UUID("12345678123456781234567812345678"),
        "range": range(1, 10, 2),
        "slice": slice(1, 5, None),
        "simple": types.SimpleNamespace(a=1),
        "error": ValueError("bad"),
        "plain": Plain(),
        "type_none": type(None),
    }
    for proto in range(0, 6):
        good(f"plain_data_p{proto}.pkl", pickle.dumps(data, protocol=proto))
    # Python 2 protocol-2 idioms written by hand: __builtin__.set, copy_reg._reconstructor,
    # _codecs.encode (as pickle.dumps(..., protocol=2) in Python 2 writes them).
    good("py2_builtin_set.pkl", b"\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.")
    good(
        "py2_copy_reg_reconstructor.pkl",
        b"\x80\x02ccopy_reg\n_reconstructor\nq\x00(cmymodels\nPlain\nq\x01c__builtin__\nobject\nq\x02Ntq\x03Rq\x04}q\x05U\x01aK\x01sb.",
    )
    good("py2_codecs_encode.pkl", b"\x80\x02c_codecs\nencode\nq\x00X\x02\x00\x00\x00\xc3\xbfq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.")
    good("py2_proto0_reconstructor.pkl", b"ccopy_reg\n_reconstructor\np0\n(cmymodels\nPlain\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nS'a'\np6\nI1\nsb.")
    # partial(int, base=2) wraps a safe builtin with plain arguments: not an alarm.
    import functools

    for proto in (2, 4):
        good(f"functools_partial_int_p{proto}.pkl", pickle.dumps(functools.partial(int, base=2), protocol=proto))
    good("py2_unicode_long.pkl", b"\x80\x02c__builtin__\nlong\nX\x01\x00\x00\x005\x85R.")

    import numpy as np

    arrays = {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "i64": np.array([1, 2, 3]),
        "scalar": np.float64(2.5),
        "structured": np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]),
        "dt": np.dtype("<M8[ns]"),
        "masked": np.ma.masked_array([1, 2], mask=[0, 1]),
    }
    for proto in (2, 4, 5):
        good(f"numpy_p{proto}.pkl", pickle.dumps(arrays, protocol=proto))

    buf = io.BytesIO()
    torch.save(sd, buf)
    good("torch_state_dict.pt", buf.getvalue())
    buf = io.BytesIO()
    torch.save(sd, buf, _use_new_zipfile_serialization=False)
    good("torch_state_dict_legacy.pt", buf.getvalue())
    buf = io.BytesIO()
    torch.save({"epoch": 3, "lr": 0.1, "model": sd, "opt": {"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]},
                "size": torch.Size([2, 3]), "device": torch.device("cpu"), "dtype": torch.float16}, buf)
    good("torch_checkpoint.pt", buf.getvalue())
    good("tensor_plain_pickle_p2.pkl", pickle.dumps({"t": torch.ones(2)}, protocol=2))

    write_zip_bombs()
    write_tampered_archives()

    with open(os.path.join(DATA, "malicious.tsv"), "w") as f:
        f.write("# file\texpected dangerous global (normalised module.name, '*' = any)\n")
        for name, expected in malicious:
            f.write(f"{name}\t{expected}\n")
    with open(os.path.join(DATA, "benign.tsv"), "w") as f:
        f.write("# file\ttorch 1.13 torch.load(weights_only=True): ok / refused / n/a (not a torch.save file)"
                "\tglobals CPython's pickletools.genops sees in the first pickle (module.name, sorted, comma-separated)\n")
        for name in benign:
            path = os.path.join(BEN, name)
            with open(path, "rb") as g:
                raw = g.read()
            names = set()
            if raw[:2] != b"PK":
                names = genops_globals(raw)
            verdict = "n/a"
            if name.endswith(".pt"):  # our own benign files only: loading them is safe
                try:
                    torch.load(path, weights_only=True)
                    verdict = "ok"
                except Exception:
                    verdict = "refused"
            f.write(f"{name}\t{verdict}\t{','.join(sorted(names))}\n")
    print(f"{len(malicious)} malicious, {len(benign)} benign")


def fixed(name, compress_type=None):
    """A zip member with a fixed timestamp, so that regenerating changes nothing."""
    import zipfile

    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    if compress_type is not None:
        info.compress_type = compress_type
    return info


def write_tampered_archives():
    """torch.save zips edited after the fact: a storage record cut short, and an extra data/
    record nothing references (a place to smuggle bytes)."""
    import zipfile
    import torch

    folder = os.path.join(DATA, "adversarial")
    os.makedirs(folder, exist_ok=True)
    buf = io.BytesIO()
    torch.save({"w": torch.arange(16, dtype=torch.float32)}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    for name, edit in (("storage_short.pt", "short"), ("unreferenced_record.pt", "extra")):
        with zipfile.ZipFile(os.path.join(folder, name), "w", compression=zipfile.ZIP_STORED) as out:
            for info in src.infolist():
                data = src.read(info.filename)
                if edit == "short" and info.filename.endswith("/data/0"):
                    data = data[:24]  # 6 of the 16 floats
                out.writestr(fixed(info.filename), data)
            if edit == "extra":
                out.writestr(fixed("archive/data/7"), b"#!/bin/sh\necho smuggled\n")


def write_zip_bombs():
    """Torch-style zips whose records inflate to far more than the file: a storage record of
    256 MiB of zeros (a lazy reader never inflates it while loading), and a data.pkl whose
    headers declare 64 bytes while its deflate stream expands to 256 MiB (a reader must stop at
    the declared size). Each file is about 250 KiB."""
    import zipfile
    import zlib

    folder = os.path.join(DATA, "adversarial")
    os.makedirs(folder, exist_ok=True)
    big = 256 << 20
    chunk = bytes(1 << 20)
    # The storage's data.pkl, as torch.save writes it for a 64 Mi-element float tensor.
    buf = io.BytesIO()
    import torch

    torch.save(torch.zeros(1), buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        pkl = z.read("archive/data.pkl")
    big_int = b"J\x00\x00\x00\x04"  # BININT 2**26
    pkl = pkl.replace(b"K\x01t", big_int + b"t", 1)  # storage numel (last item of the persistent id)
    pkl = pkl.replace(b"K\x01\x85", big_int + b"\x85", 1)  # shape (the stride (1,) follows, unchanged)
    path = os.path.join(folder, "zip_bomb_storage.pt")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(fixed("archive/data.pkl"), pkl, compress_type=zipfile.ZIP_STORED)
        z.writestr(fixed("archive/byteorder"), "little", compress_type=zipfile.ZIP_STORED)
        with z.open(fixed("archive/data/0", zipfile.ZIP_DEFLATED), "w", force_zip64=True) as f:
            for _ in range(big // len(chunk)):
                f.write(chunk)
        z.writestr(fixed("archive/version"), "3\n", compress_type=zipfile.ZIP_STORED)

    # data.pkl deflated: a valid pickle followed by zeros, headers patched to declare 64 bytes.
    path = os.path.join(folder, "zip_bomb_lying_size.pt")
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    pickled = b"\x80\x02}q\x00X\x01\x00\x00\x00aK\x01s."
    deflated = comp.compress(pickled)
    for _ in range(big // len(chunk)):
        deflated += comp.compress(chunk)
    deflated += comp.flush()
    crc = zlib.crc32(pickled + bytes(64 - len(pickled)))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(fixed("archive/version"), "3\n")
        z.writestr(fixed("archive/byteorder"), "little")
    with open(path, "rb") as f:
        base = f.read()
    cd_start = base.index(b"PK\x01\x02")
    name = b"archive/data.pkl"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated), 64, len(name), 0) + name
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(deflated), 64,
                          len(name), 0, 0, 0, 0, 0, cd_start) + name
    body = base[:cd_start] + local + deflated
    cd_old = base[cd_start:base.index(b"PK\x05\x06")]
    cd = cd_old + central
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 3, 3, len(cd), len(body), 0)
    with open(path, "wb") as f:
        f.write(body + cd + eocd)


def resolving_global(raw, target):
    """The global of `raw`, as CPython's Unpickler would resolve it (Python 2 names mapped for
    protocols < 3), that names the same object as the dotted `target`: the expected finding."""
    import _compat_pickle
    import importlib

    def resolve(module, name):
        obj = importlib.import_module(module)  # importing a module runs no payload
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj

    module, _, name = target.rpartition(".")
    wanted = resolve(module, name)
    proto = raw[1] if raw[:1] == b"\x80" else 0
    for full in sorted(genops_globals(raw)):
        module, name = full.rsplit(".", 1)
        if proto < 3:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        try:
            if resolve(module, name) is wanted:
                return f"{module}.{name}"
        except (ImportError, AttributeError):
            continue
    raise SystemExit(f"no global of the pickle resolves to {target}")


def genops_globals(raw):
    """GLOBAL/INST/STACK_GLOBAL names of the first pickle, resolved the simple way (the benign
    files have STACK_GLOBAL operands right before it or memoized)."""
    names = set()
    memo = {}
    stack = []
    for op, arg, pos in pickletools.genops(io.BytesIO(raw)):
        if op.name in ("GLOBAL", "INST"):
            module, name = arg.split(" ", 1)
            names.add(f"{module}.{name}")
            stack.append(None)
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            stack.append(arg)
        elif op.name == "MEMOIZE":
            memo[len(memo)] = stack[-1] if stack else None
        elif op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = stack[-1] if stack else None
        elif op.name in ("GET", "BINGET", "LONG_BINGET"):
            stack.append(memo.get(arg))
        elif op.name == "STACK_GLOBAL":
            name = stack.pop()
            module = stack.pop()
            names.add(f"{module}.{name}")
            stack.append(None)
        else:
            stack.append(None)
    return names


if __name__ == "__main__":
    main()
