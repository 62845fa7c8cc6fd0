// The unpickling machine against CPython's behaviour: pickletester.py's known-good and bad-input
// vectors, written inline as the bytes CPython's test suite uses.

#include "core/loader.h"
#include "core/pickle/pickle_machine.h"

#include <QtTest>

#include <cmath>

using namespace core;

namespace {

struct Loaded {
    ValueGraph graph;
    Result<ValueId> result = kNullValue;
};

std::unique_ptr<Loaded> run(const QByteArray& bytes, LoadOptions options = {})
{
    auto out = std::make_unique<Loaded>();
    PickleMachine machine(out->graph, options);
    static std::vector<QByteArray> keep; // views into the input must outlive the graph
    keep.push_back(bytes);
    out->result = machine.load({ reinterpret_cast<const std::byte*>(keep.back().constData()),
        static_cast<std::size_t>(keep.back().size()) });
    return out;
}

// A compact Python-like rendering for assertions (tests only: shallow inputs).
std::string show(const ValueGraph& g, ValueId id, int depth = 0)
{
    if (depth > 50)
        return "...";
    const Value& v = g.at(id);
    auto join = [&](std::span<const ValueId> items, std::size_t stride) {
        std::string out;
        for (std::size_t i = 0; i < items.size(); i += stride) {
            if (i)
                out += ", ";
            out += show(g, items[i], depth + 1);
            if (stride == 2)
                out += ": " + show(g, items[i + 1], depth + 1);
        }
        return out;
    };
    switch (v.kind) {
    case ValueKind::None: return "None";
    case ValueKind::Bool: return v.num.i ? "True" : "False";
    case ValueKind::Int:
    case ValueKind::BigInt: return g.intDecimal(id);
    case ValueKind::Float: {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", v.num.f);
        return buf;
    }
    case ValueKind::Complex: return "complex(" + std::to_string(g.complexValue(id).first) + "," + std::to_string(g.complexValue(id).second) + ")";
    case ValueKind::Str: return "'" + std::string(g.text(id)) + "'";
    case ValueKind::Bytes: return "b'" + std::string(g.text(id)) + "'";
    case ValueKind::ByteArray: return "bytearray(b'" + std::string(g.text(id)) + "')";
    case ValueKind::List: return "[" + join(g.items(id), 1) + "]";
    case ValueKind::Tuple: return "(" + join(g.items(id), 1) + (g.items(id).size() == 1 ? ",)" : ")");
    case ValueKind::Dict: {
        const std::string body = "{" + join(g.items(id), 2) + "}";
        switch (g.dictClass(id)) {
        case DictClass::OrderedDict: return "OrderedDict" + body;
        case DictClass::DefaultDict: return "defaultdict(" + show(g, g.defaultFactory(id), depth + 1) + ")" + body;
        case DictClass::Counter: return "Counter" + body;
        default: return body;
        }
    }
    case ValueKind::Set: return "set{" + join(g.items(id), 1) + "}";
    case ValueKind::FrozenSet: return "frozenset{" + join(g.items(id), 1) + "}";
    case ValueKind::Global: return std::string(g.global(id).module) + "." + std::string(g.global(id).name);
    case ValueKind::Object: {
        const ObjectRecord& o = g.object(id);
        std::string out = std::string(objectViaName(o.via)) + ":" + show(g, o.callable, depth + 1);
        if (!isNull(o.args))
            out += show(g, o.args, depth + 1);
        if (!isNull(o.state))
            out += " state=" + show(g, o.state, depth + 1);
        if (!o.listItems.empty())
            out += " list=[" + join(o.listItems, 1) + "]";
        if (!o.dictItems.empty())
            out += " dict={" + join(o.dictItems, 2) + "}";
        return out;
    }
    case ValueKind::Persistent: return "persistent(" + show(g, g.persistentId(id), depth + 1) + ")";
    case ValueKind::Extension: return "ext(" + std::to_string(g.extensionCode(id)) + ")";
    case ValueKind::Buffer: return "buffer(" + std::to_string(g.bufferIndex(id)) + (v.flags & FlagReadOnly ? ",ro" : "") + ")";
    default: return std::string(valueKindName(v.kind));
    }
}

// Byte literals with embedded NULs: the length comes from the array, not strlen.
template <std::size_t N>
QByteArray B(const char (&s)[N])
{
    return QByteArray(s, int(N - 1));
}

std::string load(const QByteArray& bytes, LoadOptions options = {})
{
    auto loaded = run(bytes, options);
    if (!loaded->result.ok())
        return "ERROR " + std::string(errorCodeName(loaded->result.error().code));
    return show(loaded->graph, loaded->result.value());
}

} // namespace

class TestPickleMachine : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void loadsKnownValues_data()
    {
        QTest::addColumn<QByteArray>("pickle");
        QTest::addColumn<QByteArray>("expected");
        QTest::addColumn<int>("encoding");
        auto row = [](const char* name, QByteArray p, QByteArray expected, Py2Encoding e = Py2Encoding::Ascii) {
            QTest::newRow(name) << p << expected << int(e);
        };
        row("None, True and False constants", "N.", "None");
        row("protocol 2 True", "\x88.", "True");
        row("INT 01 is True", "I01\n.", "True");
        row("INT 00 is False", "I00\n.", "False");
        row("INT beyond int64", "I9223372036854775808\n.", "9223372036854775808");
        row("maxint64", "I9223372036854775807\n.", "9223372036854775807");
        row("LONG with trailing L", "L-123456789012345678901234567890L\n.", "-123456789012345678901234567890");
        row("LONG1 of zero length is 0", QByteArray::fromHex("8a002e"), "0");
        row("LONG1 negative", QByteArray::fromHex("8a02ff7f2e"), "32767");
        row("LONG1 minus one", QByteArray::fromHex("8a01ff2e"), "-1");
        row("LONG4 beyond 64 bits", QByteArray::fromHex("8b090000000000000000000000012e"), "18446744073709551616");
        row("BININT negative", QByteArray::fromHex("4afeffffff2e"), "-2");
        row("FLOAT text", "F1.5\n.", "1.5");
        row("BINFLOAT big endian", QByteArray::fromHex("473ff80000000000002e"), "1.5");
        row("short binbytes", QByteArray::fromHex("80034304616263002e"), B("b'abc\0'"));
        row("bytearray8", QByteArray::fromHex("80059603000000000000007878782e"), "bytearray(b'xxx')");
        row("STRING with escapes", "S'a\\n\\x41\\101'\n.", "'a\nAA'");
        row("correctly quoted empty STRING", "S\"\"\n.", "''");
        row("STRING as bytes", "S'a\\x00\\xa0'\n.", B("b'a\0\xa0'"), Py2Encoding::Bytes);
        row("SHORT_BINSTRING latin1", QByteArray::fromHex("5503610e a02e").replace(" ", ""), "ERROR bad argument");
        row("UNICODE raw-unicode-escape", "V\\u03c0\\x41\n.", "'\xcf\x80\\x41'");
        row("BINUNICODE", QByteArray::fromHex("5802000000cf802e"), "'\xcf\x80'");
        row("tuple shared via PUT/GET", "((lp100000\ng100000\nt.", "([], [])");
        row("BINGET after BINPUT", QByteArray("(]q\xffh\xfft."), "([], [])");
        row("DUP", "((l2t.", "([], [])");
        row("repeated dict keys collapse like Python", "(I1\nVa\nF1.0\nVb\n\x88Vc\nd.", "{1: 'c'}");
        row("py2 set via __builtin__", QByteArray("c__builtin__\nset\n((lp0\nI1\naI2\natp1\nRp2\n."), "set{1, 2}");
        row("py2 xrange maps to range", QByteArray("\x80\x02" "c__builtin__\nxrange\nK\x01K\x07K\x01\x87R."), "reduce:builtins.range(1, 7, 1)");
        row("exceptions.StandardError maps to Exception", QByteArray("\x80\x02" "cexceptions\nStandardError\nU\x03ugh\x85R."), "reduce:builtins.Exception('ugh',)");
        row("no fix_imports at protocol 3", QByteArray("\x80\x03" "c__builtin__\nset\n."), "__builtin__.set");
        row("OrderedDict with SETITEMS", QByteArray("\x80\x02" "ccollections\nOrderedDict\n)R(K\x01K\x02u."), "OrderedDict{1: 2}");
        row("_codecs.encode gives bytes", B("\x80\x02" "c_codecs\nencode\nX\x02\x00\x00\x00\xc3\xa9X\x06\x00\x00\x00latin1\x86R."), "b'\xe9'");
        row("complex", B("\x80\x02" "c__builtin__\ncomplex\nG?\xf0\x00\x00\x00\x00\x00\x00G\x40\x00\x00\x00\x00\x00\x00\x00\x86R."), "complex(1.000000,2.000000)");
        row("copyreg._reconstructor object", QByteArray("ccopy_reg\n_reconstructor\n(c__main__\nC\nc__builtin__\nobject\nNtR(dVfoo\nI1\nsb."), "newobj:__main__.C() state={'foo': 1}");
        row("NEWOBJ with state", B("\x80\x02" "c__main__\nC\n)\x81}X\x01\x00\x00\x00" "aK\x01sb."), "newobj:__main__.C() state={'a': 1}");
        row("INST instance", QByteArray("(i__main__\nX\np0\n(dp1\nb."), "inst:__main__.X() state={}");
        row("OBJ instance", B("(c__main__\nX\nq\x00oq\x01}q\x02" "b."), "obj:__main__.X() state={}");
        row("APPENDS on an unknown object keeps the items", QByteArray("\x80\x02" "cm\nL\n)\x81(K\x01K\x02" "e."), "newobj:m.L() list=[1, 2]");
        row("frame with text opcode inside", QByteArray("\x80\x04\x95\x05\0\0\0\0\0\0\0I42\n.", 16), "42");
        row("EXT1 keeps the code", QByteArray::fromHex("8002820a2e"), "ext(10)");
        row("persistent id kept", QByteArray("Pabc\n."), "persistent('abc')");
        row("out-of-band buffer read-only", QByteArray::fromHex("8005979898").left(4) + "." , "buffer(0,ro)");
        row("STACK_GLOBAL", QByteArray("\x8c\x08" "builtins\x8c\x03str\x93."), "builtins.str");
        row("FROZENSET", QByteArray("\x80\x04(K\x01K\x02K\x01\x91."), "frozenset{1, 2}");
        row("EMPTY_SET with ADDITEMS", QByteArray("\x80\x04\x8f(K\x01K\x02\x90."), "set{1, 2}");
    }

    void loadsKnownValues()
    {
        QFETCH(QByteArray, pickle);
        QFETCH(QByteArray, expected);
        QFETCH(int, encoding);
        LoadOptions options;
        options.encoding = static_cast<Py2Encoding>(encoding);
        const std::string actual = load(pickle, options);
        QCOMPARE(QByteArray(actual.data(), int(actual.size())), expected);
    }

    void rejectsBadStack_data()
    {
        QTest::addColumn<QByteArray>("pickle");
        for (const char* p : { ".", "0", "1", "2", "(2", "R", ")R", "a", "Na", "b", "Nb", "d", "e", "(e",
                 "ibuiltins\nlist\n", "l", "o", "(o", "p1\n", "q\x00", "s", "Ns", "NNs", "t", "u", "(u", "}(Nu",
                 "\x81", ")\x81", "\x85", "\x86", "N\x86", "\x87", "N\x87", "NN\x87", "\x90", "(\x90", "\x91", "\x92",
                 ")}\x92", "\x93", "Vlist\n\x93", "\x94", "N(.", "N(2", "]N(a", "(Nd", "N(p1\n", "}NN(s", "}N(Ns",
                 "}(NNs", "}((u", "N(\x85", "NN(\x86", "N(N\x86", "NNN(\x87", "NN(N\x87", "N(NN\x87", "]((\x90",
                 "N(\x94" }) {
            QByteArray bytes(p, p[0] == '\0' ? 1 : int(std::strlen(p)));
            if (std::string_view(p) == "q")
                bytes = QByteArray("q\x00", 2);
            QTest::newRow(p) << bytes;
        }
        QTest::newRow("r with zero index") << QByteArray("r\0\0\0\0", 5);
        QTest::newRow("q with zero index") << QByteArray("q\0", 2);
    }

    void rejectsBadStack()
    {
        QFETCH(QByteArray, pickle);
        auto loaded = run(pickle);
        QVERIFY(!loaded->result.ok());
        const auto code = loaded->result.error().code;
        QVERIFY2(code == ErrorCode::StackUnderflow || code == ErrorCode::MarkError || code == ErrorCode::EndOfInput
                || code == ErrorCode::Truncated || code == ErrorCode::BadValue,
            loaded->result.error().toString().c_str());
    }

    void rejectsMalformedInput_data()
    {
        QTest::addColumn<QByteArray>("pickle");
        QTest::addColumn<int>("code");
        QTest::addColumn<qulonglong>("offset");
        auto row = [](const char* name, QByteArray p, ErrorCode c, qulonglong off) { QTest::newRow(name) << p << int(c) << off; };
        row("empty input", QByteArray(), ErrorCode::EndOfInput, 0);
        row("nothing after an item", "N", ErrorCode::EndOfInput, 1);
        row("unknown opcode byte", QByteArray::fromHex("8002ff"), ErrorCode::UnknownOpcode, 2);
        row("memo miss", "g5\n.", ErrorCode::MemoMiss, 0);
        row("negative PUT", "Va\np-1\n.", ErrorCode::BadArgument, 3);
        row("odd DICT", "(K\x01" "d.", ErrorCode::BadValue, 3);
        row("odd SETITEMS", "}(K\x01u.", ErrorCode::BadValue, 4);
        row("bad UTF-8 in BINUNICODE", QByteArray("X\x01\0\0\0\xff.", 7), ErrorCode::BadArgument, 0);
        row("BINUNICODE length past the end", QByteArray("X\xff\xff\0\0ab.", 8), ErrorCode::Truncated, 0);
        row("BINBYTES8 huge length", QByteArray("\x8e\0\0\0\0\0\0\0\x40.", 10), ErrorCode::Truncated, 0);
        row("LONG4 negative length", QByteArray("\x8b\xff\xff\xff\xff.", 6), ErrorCode::BadArgument, 0);
        row("BINSTRING negative length", QByteArray("T\xff\xff\xff\xff.", 6), ErrorCode::BadArgument, 0);
        row("unhashable set member", QByteArray("\x80\x04\x8f(]\x90."), ErrorCode::BadValue, 5);
        row("unhashable dict key", "(]K\x01" "d.", ErrorCode::BadValue, 4);
        row("PROTO 6", QByteArray::fromHex("80062e"), ErrorCode::Unsupported, 0);
        row("frame crossing read", QByteArray("\x80\x04\x95\x02\0\0\0\0\0\0\0X\x02\0\0\0ab.", 20), ErrorCode::Truncated, 11);
        row("frame longer than the data", QByteArray("\x95\xff\0\0\0\0\0\0\0N.", 11), ErrorCode::Truncated, 0);
        row("STRING unquoted", "S'abc\n.", ErrorCode::BadArgument, 0);
        row("STRING trailing backslash", "S'\\'\n.", ErrorCode::BadArgument, 0);
        row("ASCII decoding of a py2 str", QByteArray("U\x01\xe9.", 4), ErrorCode::BadArgument, 0);
        row("EXT code zero", QByteArray("\x82\0.", 3), ErrorCode::BadArgument, 0);
        row("STACK_GLOBAL on non-str", "N\x8c\x03log\x93.", ErrorCode::BadValue, 6);
        row("INT junk", "I12JUNK\n.", ErrorCode::BadArgument, 0);
        row("FLOAT junk", "F1.5x\n.", ErrorCode::BadArgument, 0);
        row("FLOAT overflow", "F1e500\n.", ErrorCode::BadArgument, 0);
        row("truncated BININT", "J\x01\x02", ErrorCode::Truncated, 0);
        row("line without newline", "I12", ErrorCode::Truncated, 0);
        row("REDUCE with None as arguments", "cbuiltins\nint\nNR.", ErrorCode::BadValue, 15);
        row("NEWOBJ_EX with None as keywords", "cbuiltins\nint\n)N\x92.", ErrorCode::BadValue, 16);
        row("LONG over 4300 digits", "L" + QByteArray(4400, '7') + "\n.", ErrorCode::LimitExceeded, 0);
    }

    void rejectsMalformedInput()
    {
        QFETCH(QByteArray, pickle);
        QFETCH(int, code);
        QFETCH(qulonglong, offset);
        auto loaded = run(pickle);
        QVERIFY(!loaded->result.ok());
        QCOMPARE(int(loaded->result.error().code), code);
        QCOMPARE(qulonglong(loaded->result.error().offset), offset);
        QVERIFY(!loaded->result.error().message.empty());
    }

    void neverCrashesOnAnyTruncation()
    {
        const QByteArray full("\x80\x04\x95\x2b\0\0\0\0\0\0\0}\x94(\x8c\x01" "a\x94K\x01\x8c\x01" "b\x94]\x94(G?\xf0\0\0\0\0\0\0"
                              "C\x02xy\x94\x8a\x02\x01\x02" "e\x8c\x01" "c\x94h\x02u.", 54);
        QVERIFY(run(full)->result.ok());
        for (int n = 0; n < full.size(); ++n)
            QVERIFY(!run(full.left(n))->result.ok());
    }

    void loadsMillionDeepNestingWithoutRecursion()
    {
        const int depth = 1000000;
        QByteArray bytes = "\x80\x02";
        bytes += QByteArray(depth, ']');
        bytes += QByteArray(depth - 1, 'a');
        bytes += '.';
        auto loaded = run(bytes);
        QVERIFY(loaded->result.ok());
        ValueId cur = loaded->result.value();
        int levels = 1;
        while (!loaded->graph.items(cur).empty()) {
            cur = loaded->graph.items(cur).front();
            ++levels;
        }
        QCOMPARE(levels, depth);
    }

    void keepsSelfReferencingList()
    {
        auto loaded = run(B("\x80\x02]q\x00h\x00" "a."));
        QVERIFY(loaded->result.ok());
        const ValueId list = loaded->result.value();
        QCOMPARE(loaded->graph.items(list).size(), std::size_t(1));
        QCOMPARE(loaded->graph.items(list)[0], list);
    }

    void memoizeUsesMemoSize()
    {
        // PUT 5, then MEMOIZE stores at index 1 (len(memo)), as CPython does.
        auto loaded = run(QByteArray("\x80\x04K\x07p5\n0K\x08\x94" "0(h\x05h\x01t."));
        QVERIFY(loaded->result.ok());
        QCOMPARE(show(loaded->graph, loaded->result.value()), std::string("(7, 8)"));
    }

    void enforcesLimits()
    {
        LoadOptions options;
        options.limits.maxStackDepth = 100;
        QCOMPARE(int(run(QByteArray(200, 'N') + ".", options)->result.error().code), int(ErrorCode::LimitExceeded));
        options = {};
        options.limits.maxMemoEntries = 2;
        QCOMPARE(int(run("Np1\np2\np3\n.", options)->result.error().code), int(ErrorCode::LimitExceeded));
    }

    void hooksReplaceDefaults()
    {
        ValueGraph graph;
        PickleMachine machine(graph);
        int seen = 0;
        machine.hooks().persistentLoad = [&](ValueId pid, std::uint64_t offset) -> Result<ValueId> {
            ++seen;
            return graph.addStrCopy("resolved:" + std::string(graph.text(pid)), offset);
        };
        machine.hooks().findClass = [&](std::string_view module, std::string_view name, std::uint64_t offset) -> Result<ValueId> {
            if (module == "os")
                return makeError(ErrorCode::BadValue, offset, "refused " + std::string(name));
            return kNullValue;
        };
        const QByteArray p("Pkey\n.");
        auto result = machine.load({ reinterpret_cast<const std::byte*>(p.constData()), std::size_t(p.size()) });
        QVERIFY(result.ok());
        QCOMPARE(seen, 1);
        QCOMPARE(graph.text(result.value()), std::string_view("resolved:key"));
        const QByteArray bad("cos\nsystem\n.");
        auto refused = machine.load({ reinterpret_cast<const std::byte*>(bad.constData()), std::size_t(bad.size()) });
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().message, std::string("refused system"));
    }
};

QTEST_APPLESS_MAIN(TestPickleMachine)
#include "tst_machine.moc"
