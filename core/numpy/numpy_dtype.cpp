#include "core/numpy/numpy_dtype.h"

#include "core/torch/element_decode.h"
#include "core/value/value_access.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>

namespace core::numpy {

namespace {

constexpr std::array<std::string_view, 13> kUnits
    = { "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as" };

bool knownUnit(std::string_view u)
{
    return std::find(kUnits.begin(), kUnits.end(), u) != kUnits.end();
}

// "10ms" -> (ms, 10); "" -> generic.
bool parseUnit(std::string_view text, DTypeNode& node)
{
    std::int64_t count = 1;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    if (digits > 0) {
        const auto r = std::from_chars(text.data(), text.data() + digits, count);
        if (r.ec != std::errc() || count <= 0)
            return false;
    }
    const std::string_view base = text.substr(digits);
    if (!base.empty() && !knownUnit(base))
        return false;
    node.unit = std::string(base);
    node.unitCount = count;
    return true;
}

// A dtype code: [<>|=]kind[digits][[unit]] ("<f4", "f4", "U5", "M8[ns]", "O", "?", "V48").
bool parseTypeCode(std::string_view code, DTypeNode& node)
{
    if (code.empty())
        return false;
    char order = 0;
    if (code[0] == '<' || code[0] == '>' || code[0] == '|' || code[0] == '=') {
        order = code[0];
        code.remove_prefix(1);
    }
    if (code.empty())
        return false;
    char kind = code[0];
    code.remove_prefix(1);
    std::string_view unitText;
    if (const auto open = code.find('['); open != std::string_view::npos) {
        if (code.back() != ']')
            return false;
        unitText = code.substr(open + 1, code.size() - open - 2);
        code = code.substr(0, open);
    }
    std::uint64_t size = 0;
    if (!code.empty()) {
        const auto r = std::from_chars(code.data(), code.data() + code.size(), size);
        if (r.ec != std::errc() || r.ptr != code.data() + code.size() || size > (1u << 30))
            return false;
    }
    if (kind == '?') {
        kind = 'b';
        size = 1;
    }
    switch (kind) {
    case 'b':
        if (size == 0)
            size = 1;
        if (size != 1)
            return false;
        break;
    case 'i':
    case 'u':
        if (size != 1 && size != 2 && size != 4 && size != 8)
            return false;
        break;
    case 'f':
        if (size != 2 && size != 4 && size != 8 && size != 16)
            return false;
        break;
    case 'c':
        if (size != 8 && size != 16 && size != 32)
            return false;
        break;
    case 'M':
    case 'm':
        if (size != 0 && size != 8)
            return false;
        size = 8;
        if (!parseUnit(unitText, node))
            return false;
        break;
    case 'O':
        size = 8;
        break;
    case 'U':
        if (size > (1u << 28))
            return false;
        size *= 4;
        break;
    case 'S':
    case 'V':
    case 'a':
        if (kind == 'a')
            kind = 'S';
        break;
    default:
        return false;
    }
    node.kind = kind;
    node.itemSize = size;
    if (order == '=' || order == 0)
        order = '<';
    // numpy reports '|' where byte order does not apply
    if (kind == 'b' || kind == 'O' || kind == 'S' || kind == 'V'
        || ((kind == 'i' || kind == 'u') && size == 1))
        order = '|';
    node.byteOrder = order;
    return true;
}

bool isDTypeObject(const ValueGraph& g, ValueId id)
{
    const GlobalRecord* c = objectCallable(g, id);
    return c != nullptr
        && (c->module == "numpy" || c->module == "numpy.core.multiarray"
            || c->module == "numpy._core.multiarray")
        && c->name == "dtype";
}

struct Job {
    ValueId value;
    std::uint32_t node;
};

// One pickled dtype object into out.nodes[index]; pushes its fields / subarray base as jobs.
bool readDTypeObject(
    const ValueGraph& g, ValueId id, NumpyDType& out, std::uint32_t index, std::vector<Job>& work)
{
    if (!isDTypeObject(g, id))
        return false;
    const ObjectRecord& o = g.object(id);
    const auto args = seqOf(g, o.args);
    if (args == nullptr || args->empty())
        return false;
    const auto code = textOf(g, (*args)[0]);
    if (!code)
        return false;
    DTypeNode node;
    if (!parseTypeCode(*code, node))
        return false;
    const auto st = seqOf(g, o.state);
    if (st != nullptr && st->size() >= 8) {
        if (const auto bo = textOf(g, (*st)[1]); bo && bo->size() == 1) {
            const char c = (*bo)[0];
            if (c == '<' || c == '>')
                node.byteOrder = c;
            else if (c == '=')
                node.byteOrder = '<';
            else if (c == '|')
                node.byteOrder = '|';
        }
        if (const auto elsize = intOf(g, (*st)[5]);
            elsize && *elsize > 0 && (node.kind == 'V' || node.kind == 'U' || node.kind == 'S')) {
            if (*elsize > (std::int64_t(1) << 30))
                return false;
            node.itemSize = static_cast<std::uint64_t>(*elsize);
        }
        if (const auto flags = intOf(g, (*st)[7]))
            node.alignedStruct = (*flags & 0x80) != 0;
        // subarray: (base dtype, shape)
        if (const auto sub = seqOf(g, (*st)[2]); sub != nullptr && sub->size() == 2) {
            std::vector<std::int64_t> shape;
            if (!intListOf(g, (*sub)[1], shape)) {
                const auto one = intOf(g, (*sub)[1]);
                if (!one)
                    return false;
                shape = { *one };
            }
            for (std::int64_t d : shape)
                if (d < 0)
                    return false;
            node.subShape = std::move(shape);
            node.subBase = static_cast<std::uint32_t>(out.nodes.size());
            out.nodes.emplace_back();
            work.push_back({ (*sub)[0], node.subBase });
        }
        // structured: names tuple + fields dict name -> (dtype, offset[, title])
        if (const auto names = seqOf(g, (*st)[3]); names != nullptr && !names->empty()) {
            const ValueId fields = (*st)[4];
            if (!g.valid(fields) || g.kind(fields) != ValueKind::Dict)
                return false;
            for (ValueId nameId : *names) {
                const auto name = textOf(g, nameId);
                if (!name)
                    return false;
                const ValueId entry = dictGet(g, fields, *name);
                const auto e = seqOf(g, entry);
                if (e == nullptr || e->size() < 2)
                    return false;
                const auto offset = intOf(g, (*e)[1]);
                if (!offset || *offset < 0)
                    return false;
                if (out.nodes.size() >= kMaxDTypeNodes)
                    return false;
                DTypeField f;
                f.name = std::string(*name);
                f.offset = static_cast<std::uint64_t>(*offset);
                f.node = static_cast<std::uint32_t>(out.nodes.size());
                out.nodes.emplace_back();
                work.push_back({ (*e)[0], f.node });
                node.fields.push_back(std::move(f));
            }
        }
        // datetime metadata: ({}, (unit, num, den, events)) or the bare tuple
        if ((node.kind == 'M' || node.kind == 'm') && st->size() > 8) {
            auto meta = seqOf(g, (*st)[8]);
            if (meta != nullptr && meta->size() == 2 && seqOf(g, (*meta)[1]) != nullptr)
                meta = seqOf(g, (*meta)[1]);
            if (meta != nullptr && !meta->empty()) {
                const auto u = textOf(g, (*meta)[0]);
                const auto num
                    = meta->size() > 1 ? intOf(g, (*meta)[1]) : std::optional<std::int64_t>(1);
                if (!u || !num || *num <= 0)
                    return false;
                if (*u == "generic") {
                    node.unit.clear();
                } else {
                    if (!knownUnit(*u))
                        return false;
                    node.unit = std::string(*u);
                }
                node.unitCount = *num;
            }
        }
    }
    out.nodes[index] = std::move(node);
    return true;
}

// Sizes agree: fields inside the item, subarray = base x count. Children have larger indexes.
bool validate(const NumpyDType& d)
{
    for (const DTypeNode& n : d.nodes) {
        if (n.subBase != kNoNode) {
            std::uint64_t count = 1;
            for (std::int64_t dim : n.subShape)
                if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(dim), &count))
                    return false;
            const DTypeNode& base = d.nodes[n.subBase];
            std::uint64_t total = 0;
            if (__builtin_mul_overflow(count, base.itemSize, &total) || total > n.itemSize)
                return false;
            if (base.itemSize == 0 && count > 4096)
                return false;
        }
        for (const DTypeField& f : n.fields) {
            const std::uint64_t size = d.nodes[f.node].itemSize;
            if (f.offset > n.itemSize || size > n.itemSize - f.offset)
                return false;
        }
    }
    return true;
}

std::string shapeRepr(const std::vector<std::int64_t>& shape)
{
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0)
            s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + (shape.size() == 1 ? ",)" : ")");
}

std::string quoted(std::string_view text)
{
    // field names are identifiers in practice; escape quotes and backslashes like repr
    std::string s = "'";
    for (char c : text) {
        if (c == '\'' || c == '\\')
            s += '\\';
        s += c;
    }
    return s + "'";
}

} // namespace

// ---- names and reprs -----------------------------------------------------------------------

std::string NumpyDType::str(std::uint32_t i) const
{
    const DTypeNode& n = nodes[i];
    if (!n.fields.empty() || n.subBase != kNoNode)
        return "|V" + std::to_string(n.itemSize);
    switch (n.kind) {
    case 'O':
        return "|O";
    case 'M':
    case 'm': {
        std::string s = std::string(1, n.byteOrder) + n.kind + "8";
        if (!n.unit.empty())
            s += "[" + (n.unitCount != 1 ? std::to_string(n.unitCount) : std::string()) + n.unit
                + "]";
        return s;
    }
    case 'U':
        return std::string(1, n.byteOrder) + "U" + std::to_string(n.itemSize / 4);
    default:
        return std::string(1, n.byteOrder) + n.kind + std::to_string(n.itemSize);
    }
}

std::string NumpyDType::name(std::uint32_t i) const
{
    const DTypeNode& n = nodes[i];
    const std::string bits = std::to_string(n.itemSize * 8);
    if (!n.fields.empty() || n.subBase != kNoNode)
        return "void" + bits;
    switch (n.kind) {
    case 'b':
        return "bool";
    case 'i':
        return "int" + bits;
    case 'u':
        return "uint" + bits;
    case 'f':
        return "float" + bits;
    case 'c':
        return "complex" + bits;
    case 'M':
    case 'm': {
        std::string s = n.kind == 'M' ? "datetime64" : "timedelta64";
        if (!n.unit.empty())
            s += "[" + (n.unitCount != 1 ? std::to_string(n.unitCount) : std::string()) + n.unit
                + "]";
        return s;
    }
    case 'U':
        return "str" + bits;
    case 'S':
        return "bytes" + bits;
    case 'V':
        return "void" + bits;
    case 'O':
        return "object";
    default:
        return "void" + bits;
    }
}

namespace {

// The first of `types` whose size (dtypeSize) is `size`, else `otherwise`.
DType bySize(std::uint32_t size, std::initializer_list<DType> types, DType otherwise)
{
    for (const DType t : types)
        if (dtypeSize(t) == size)
            return t;
    return otherwise;
}

} // namespace

DType NumpyDType::elementType(std::uint32_t i) const
{
    const DTypeNode& n = nodes[i];
    if (!n.fields.empty() || n.subBase != kNoNode)
        return DType::Other;
    switch (n.kind) {
    case 'b':
        return DType::Bool;
    case 'i':
        return bySize(n.itemSize, { DType::Int8, DType::Int16, DType::Int32 }, DType::Int64);
    case 'u':
        return bySize(n.itemSize, { DType::UInt8, DType::UInt16, DType::UInt32 }, DType::UInt64);
    case 'f':
        return bySize(
            n.itemSize, { DType::Float16, DType::Float32, DType::Float64 }, DType::LongDouble);
    case 'c':
        return bySize(n.itemSize, { DType::Complex64, DType::Complex128 }, DType::Other);
    case 'O':
        return DType::Object;
    default:
        return DType::Other;
    }
}

std::string NumpyDType::repr() const
{
    // Short scalar form inside a struct list: '?' / 'O' / 'S3' / 'V4' / '<U8' / 'u1' / '<f4'.
    auto shortForm = [this](std::uint32_t i) {
        const DTypeNode& n = nodes[i];
        if (n.kind == 'b')
            return std::string("?");
        std::string s = str(i);
        if (!s.empty() && s[0] == '|')
            s.erase(0, 1);
        return s;
    };
    const DTypeNode& root = nodes[0];
    if (root.fields.empty() && root.subBase == kNoNode) {
        if (root.byteOrder == '>' || root.kind == 'U' || root.kind == 'M' || root.kind == 'm'
            || root.kind == 'S' || root.kind == 'V' || root.kind == 'O')
            return "dtype('" + shortForm(0) + "')";
        return "dtype('" + name(0) + "')";
    }
    // Structured / subarray: a worklist of text pieces and nodes, no recursion.
    struct Piece {
        std::uint32_t node = kNoNode; // kNoNode: text
        std::string text;
    };
    auto packed = [this](const DTypeNode& n) {
        std::uint64_t at = 0;
        for (const DTypeField& f : n.fields) {
            if (f.offset != at)
                return false;
            at += nodes[f.node].itemSize;
        }
        return at == n.itemSize;
    };
    std::string out = "dtype(";
    std::vector<Piece> stack;
    stack.push_back({ kNoNode, ")" });
    if (root.alignedStruct && !root.fields.empty())
        stack.push_back({ kNoNode, ", align=True" });
    stack.push_back({ 0, {} });
    bool top = true;
    while (!stack.empty()) {
        Piece p = std::move(stack.back());
        stack.pop_back();
        if (p.node == kNoNode) {
            out += p.text;
            continue;
        }
        const DTypeNode& n = nodes[p.node];
        const bool isTop = top;
        top = false;
        if (n.subBase != kNoNode) {
            out += "(";
            stack.push_back({ kNoNode, ", " + shapeRepr(n.subShape) + ")" });
            stack.push_back({ n.subBase, {} });
            continue;
        }
        if (n.fields.empty()) {
            out += "'" + shortForm(p.node) + "'";
            continue;
        }
        if (packed(n) || (isTop && n.alignedStruct)) {
            out += "[";
            stack.push_back({ kNoNode, "]" });
            for (std::size_t k = n.fields.size(); k-- > 0;) {
                const DTypeField& f = n.fields[k];
                const DTypeNode& fn = nodes[f.node];
                if (fn.subBase != kNoNode && nodes[fn.subBase].subBase == kNoNode) {
                    // ('pos', '<f4', (2,)) / ('sub', [...], (2,))
                    stack.push_back({ kNoNode, ", " + shapeRepr(fn.subShape) + ")" });
                    stack.push_back({ fn.subBase, {} });
                } else {
                    stack.push_back({ kNoNode, ")" });
                    stack.push_back({ f.node, {} });
                }
                stack.push_back({ kNoNode, (k > 0 ? ", (" : "(") + quoted(f.name) + ", " });
            }
            continue;
        }
        // {'names': [...], 'formats': [...], 'offsets': [...], 'itemsize': N}
        std::string names = "{'names': [", offsets = "], 'offsets': [";
        for (std::size_t k = 0; k < n.fields.size(); ++k) {
            names += (k > 0 ? ", " : "") + quoted(n.fields[k].name);
            offsets += (k > 0 ? ", " : "") + std::to_string(n.fields[k].offset);
        }
        out += names + "], 'formats': [";
        stack.push_back(
            { kNoNode, offsets + "], 'itemsize': " + std::to_string(n.itemSize) + "}" });
        for (std::size_t k = n.fields.size(); k-- > 0;) {
            stack.push_back({ n.fields[k].node, {} });
            if (k > 0)
                stack.push_back({ kNoNode, ", " });
        }
    }
    return out;
}

// ---- building ------------------------------------------------------------------------------

std::optional<NumpyDType> dtypeFromValue(const ValueGraph& g, ValueId id)
{
    if (!g.valid(id) || !isDTypeObject(g, id))
        return std::nullopt;
    NumpyDType out;
    out.nodes.emplace_back();
    std::vector<Job> work { { id, 0 } };
    while (!work.empty()) {
        const Job job = work.back();
        work.pop_back();
        if (out.nodes.size() > kMaxDTypeNodes)
            return std::nullopt;
        if (!readDTypeObject(g, job.value, out, job.node, work))
            return std::nullopt;
    }
    if (!validate(out))
        return std::nullopt;
    return out;
}

namespace {

// A tiny tokenizer for the Python literals of an .npy descr: strings, ints, ( ) [ ] ,
struct Token {
    enum Kind : std::uint8_t { Str, Int, Open, Close, Comma, End, Bad } kind = End;
    std::string text;
    std::int64_t value = 0;
};

class Lexer {
public:
    explicit Lexer(std::string_view s)
        : m_s(s)
    {
    }
    Token next()
    {
        while (m_i < m_s.size() && (m_s[m_i] == ' ' || m_s[m_i] == '\t' || m_s[m_i] == '\n'))
            ++m_i;
        Token t;
        if (m_i >= m_s.size())
            return t;
        const char c = m_s[m_i];
        if (c == '(' || c == '[') {
            ++m_i;
            t.kind = Token::Open;
            t.text = std::string(1, c);
            return t;
        }
        if (c == ')' || c == ']') {
            ++m_i;
            t.kind = Token::Close;
            t.text = std::string(1, c);
            return t;
        }
        if (c == ',') {
            ++m_i;
            t.kind = Token::Comma;
            return t;
        }
        if (c == '\'' || c == '"') {
            // optional b/u prefixes are not used by numpy's header writer
            ++m_i;
            while (m_i < m_s.size() && m_s[m_i] != c) {
                if (m_s[m_i] == '\\' && m_i + 1 < m_s.size())
                    ++m_i;
                t.text += m_s[m_i++];
            }
            if (m_i >= m_s.size()) {
                t.kind = Token::Bad;
                return t;
            }
            ++m_i;
            t.kind = Token::Str;
            return t;
        }
        if (c >= '0' && c <= '9') {
            const auto r = std::from_chars(m_s.data() + m_i, m_s.data() + m_s.size(), t.value);
            if (r.ec != std::errc()) {
                t.kind = Token::Bad;
                return t;
            }
            m_i = static_cast<std::size_t>(r.ptr - m_s.data());
            t.kind = Token::Int;
            return t;
        }
        t.kind = Token::Bad;
        return t;
    }

private:
    std::string_view m_s;
    std::size_t m_i = 0;
};

} // namespace

std::optional<NumpyDType> dtypeFromDescr(std::string_view descr)
{
    NumpyDType out;
    Lexer lex(descr);
    std::vector<Token> tokens;
    for (;;) {
        Token t = lex.next();
        if (t.kind == Token::Bad)
            return std::nullopt;
        if (t.kind == Token::End)
            break;
        if (tokens.size() > 1u << 20)
            return std::nullopt;
        tokens.push_back(std::move(t));
    }
    if (tokens.size() == 1 && tokens[0].kind == Token::Str) {
        DTypeNode n;
        if (!parseTypeCode(tokens[0].text, n))
            return std::nullopt;
        out.nodes.push_back(std::move(n));
        return out;
    }
    // A list of (name, format[, shape]) where format is a code string or a nested list.
    // Structs are open on a stack; fields are laid out packed, in order.
    struct Open {
        std::uint32_t node;
    };
    std::size_t i = 0;
    auto at = [&](Token::Kind k, std::string_view text = {}) {
        return i < tokens.size() && tokens[i].kind == k && (text.empty() || tokens[i].text == text);
    };
    if (!at(Token::Open, "["))
        return std::nullopt;
    ++i;
    out.nodes.emplace_back();
    std::vector<std::uint32_t> structs { 0 };
    // pending field of the enclosing struct while a nested list is read
    std::vector<DTypeField> pendingField;
    auto finishStruct = [&](std::uint32_t s) {
        DTypeNode& n = out.nodes[s];
        n.kind = 'V';
        n.byteOrder = '|';
        std::uint64_t size = 0;
        for (DTypeField& f : n.fields) {
            f.offset = size;
            size += out.nodes[f.node].itemSize;
        }
        n.itemSize = size;
    };
    // field tail: [, shape] )
    auto fieldTail = [&](std::uint32_t fieldNode) -> std::optional<std::uint32_t> {
        std::uint32_t node = fieldNode;
        if (at(Token::Comma) && i + 1 < tokens.size() && tokens[i + 1].kind == Token::Open) {
            i += 2;
            std::vector<std::int64_t> shape;
            while (at(Token::Int)) {
                shape.push_back(tokens[i].value);
                ++i;
                if (at(Token::Comma))
                    ++i;
            }
            if (!at(Token::Close))
                return std::nullopt;
            ++i;
            if (!shape.empty()) {
                if (out.nodes.size() >= kMaxDTypeNodes)
                    return std::nullopt;
                DTypeNode sub;
                sub.kind = 'V';
                sub.subBase = fieldNode;
                sub.subShape = shape;
                std::uint64_t count = 1;
                for (std::int64_t d : shape)
                    if (d < 0
                        || __builtin_mul_overflow(count, static_cast<std::uint64_t>(d), &count))
                        return std::nullopt;
                if (__builtin_mul_overflow(count, out.nodes[fieldNode].itemSize, &sub.itemSize))
                    return std::nullopt;
                node = static_cast<std::uint32_t>(out.nodes.size());
                out.nodes.push_back(std::move(sub));
            }
        }
        if (at(Token::Comma))
            ++i;
        if (!at(Token::Close, ")"))
            return std::nullopt;
        ++i;
        if (at(Token::Comma))
            ++i;
        return node;
    };
    while (!structs.empty()) {
        if (at(Token::Close, "]")) {
            ++i;
            finishStruct(structs.back());
            structs.pop_back();
            if (structs.empty())
                break;
            DTypeField f = std::move(pendingField.back());
            pendingField.pop_back();
            const auto node = fieldTail(f.node);
            if (!node)
                return std::nullopt;
            f.node = *node;
            out.nodes[structs.back()].fields.push_back(std::move(f));
            continue;
        }
        // ( 'name' , format ...
        if (!at(Token::Open, "("))
            return std::nullopt;
        ++i;
        std::string name;
        if (at(Token::Str)) {
            name = tokens[i].text;
            ++i;
        } else if (at(Token::Open, "(")) { // (title, name)
            ++i;
            if (!at(Token::Str))
                return std::nullopt;
            ++i;
            if (!at(Token::Comma))
                return std::nullopt;
            ++i;
            if (!at(Token::Str))
                return std::nullopt;
            name = tokens[i].text;
            ++i;
            if (!at(Token::Close, ")"))
                return std::nullopt;
            ++i;
        } else {
            return std::nullopt;
        }
        if (!at(Token::Comma))
            return std::nullopt;
        ++i;
        if (out.nodes.size() >= kMaxDTypeNodes)
            return std::nullopt;
        DTypeField f;
        f.name = std::move(name);
        f.node = static_cast<std::uint32_t>(out.nodes.size());
        if (at(Token::Str)) {
            DTypeNode n;
            if (!parseTypeCode(tokens[i].text, n))
                return std::nullopt;
            ++i;
            out.nodes.push_back(std::move(n));
            const auto node = fieldTail(f.node);
            if (!node)
                return std::nullopt;
            f.node = *node;
            out.nodes[structs.back()].fields.push_back(std::move(f));
        } else if (at(Token::Open, "[")) {
            ++i;
            out.nodes.emplace_back();
            structs.push_back(f.node);
            pendingField.push_back(std::move(f));
        } else {
            return std::nullopt;
        }
    }
    if (i != tokens.size() || !validate(out))
        return std::nullopt;
    return out;
}

// ---- elements ------------------------------------------------------------------------------

std::int64_t readInt(const std::byte* p, std::uint64_t size, bool bigEndian)
{
    switch (size) {
    case 1:
        return static_cast<std::int8_t>(std::to_integer<std::uint8_t>(p[0]));
    case 2:
        return core::torch::loadAs<std::int16_t>(p, bigEndian);
    case 4:
        return core::torch::loadAs<std::int32_t>(p, bigEndian);
    case 8:
        return core::torch::loadAs<std::int64_t>(p, bigEndian);
    default:
        return 0;
    }
}

std::uint64_t readUInt(const std::byte* p, std::uint64_t size, bool bigEndian)
{
    switch (size) {
    case 1:
        return std::to_integer<std::uint8_t>(p[0]);
    case 2:
        return core::torch::loadAs<std::uint16_t>(p, bigEndian);
    case 4:
        return core::torch::loadAs<std::uint32_t>(p, bigEndian);
    case 8:
        return core::torch::loadAs<std::uint64_t>(p, bigEndian);
    default:
        return 0;
    }
}

double readFloat(const std::byte* p, std::uint64_t size, bool bigEndian)
{
    switch (size) {
    case 2:
        return core::torch::halfTable()[core::torch::loadAs<std::uint16_t>(p, bigEndian)];
    case 4:
        return core::torch::loadAs<float>(p, bigEndian);
    case 8:
        return core::torch::loadAs<double>(p, bigEndian);
    case 16: {
        // x87 80-bit extended in the low 10 bytes of 16 (big-endian: the high 10 bytes, reversed)
        std::array<unsigned char, 10> b {};
        for (std::size_t k = 0; k < 10; ++k)
            b[k] = std::to_integer<unsigned char>(bigEndian ? p[15 - k] : p[k]);
        const std::uint64_t mant = [&] {
            std::uint64_t m = 0;
            for (std::size_t k = 8; k-- > 0;)
                m = (m << 8) | b[k];
            return m;
        }();
        const unsigned se = static_cast<unsigned>(b[8]) | (static_cast<unsigned>(b[9]) << 8);
        const bool negative = (se & 0x8000u) != 0;
        const int exp = static_cast<int>(se & 0x7FFFu);
        double v;
        if (exp == 0x7FFF)
            v = (mant << 1) == 0 ? std::numeric_limits<double>::infinity()
                                 : std::numeric_limits<double>::quiet_NaN();
        else if (exp == 0 && mant == 0)
            v = 0.0;
        else
            v = std::ldexp(static_cast<double>(mant), (exp == 0 ? 1 : exp) - 16383 - 63);
        return negative ? -v : v;
    }
    default:
        return std::numeric_limits<double>::quiet_NaN();
    }
}

long double readLongDouble(const std::byte* p, bool bigEndian)
{
#if (defined(__x86_64__) || defined(__i386__)) && LDBL_MANT_DIG == 64
    std::array<std::byte, sizeof(long double)> b {};
    for (std::size_t k = 0; k < 10; ++k)
        b[k] = bigEndian ? p[15 - k] : p[k];
    long double v = 0;
    std::memcpy(&v, b.data(), sizeof v);
    return v;
#else
    return readFloat(p, 16, bigEndian);
#endif
}

namespace {

// days since 1970-01-01 -> (year, month, day); Howard Hinnant's civil_from_days.
void civilFromDays(Int128 z, Int128& y, unsigned& m, unsigned& d)
{
    z += 719468;
    const Int128 era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<Int128>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y += 1;
}

Int128 floorDiv(Int128 a, Int128 b)
{
    Int128 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        --q;
    return q;
}

std::string yearText(Int128 year)
{
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(year));
    return buf;
}

std::string twoDigits(unsigned v)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02u", v);
    return buf;
}

} // namespace

std::string datetimeAsString(std::int64_t value, const DTypeNode& node)
{
    if (value == kNaT)
        return "NaT";
    const std::string& unit = node.unit;
    const Int128 v = static_cast<Int128>(value) * node.unitCount;
    if (unit.empty())
        return "NaT";
    if (unit == "Y")
        return yearText(1970 + v);
    if (unit == "M") {
        const Int128 y = floorDiv(v, 12);
        const auto m = static_cast<unsigned>(v - y * 12);
        return yearText(1970 + y) + "-" + twoDigits(m + 1);
    }
    // sub-day units: ticks per second and fractional digits
    static constexpr struct {
        std::string_view unit;
        int digits;
    } kFrac[] = { { "s", 0 }, { "ms", 3 }, { "us", 6 }, { "ns", 9 }, { "ps", 12 }, { "fs", 15 },
        { "as", 18 } };
    Int128 days = 0;
    Int128 rest = 0; // ticks into the day
    Int128 perSecond = 1;
    int fracDigits = 0;
    int level = 0; // 0 date, 1 h, 2 m, 3 s and finer
    if (unit == "W" || unit == "D") {
        days = unit == "W" ? v * 7 : v;
    } else if (unit == "h") {
        days = floorDiv(v, 24);
        rest = v - days * 24;
        level = 1;
    } else if (unit == "m") {
        days = floorDiv(v, 1440);
        rest = v - days * 1440;
        level = 2;
    } else {
        level = 3;
        for (const auto& f : kFrac)
            if (unit == f.unit) {
                fracDigits = f.digits;
                for (int k = 0; k < f.digits; ++k)
                    perSecond *= 10;
            }
        const Int128 perDay = perSecond * 86400;
        days = floorDiv(v, perDay);
        rest = v - days * perDay;
    }
    Int128 year = 0;
    unsigned month = 0, day = 0;
    civilFromDays(days, year, month, day);
    std::string s = yearText(year) + "-" + twoDigits(month) + "-" + twoDigits(day);
    if (level == 0)
        return s;
    if (level == 1)
        return s + "T" + twoDigits(static_cast<unsigned>(rest));
    if (level == 2)
        return s + "T" + twoDigits(static_cast<unsigned>(rest / 60)) + ":"
            + twoDigits(static_cast<unsigned>(rest % 60));
    const Int128 secs = rest / perSecond;
    Int128 frac = rest % perSecond;
    s += "T" + twoDigits(static_cast<unsigned>(secs / 3600)) + ":"
        + twoDigits(static_cast<unsigned>(secs / 60 % 60)) + ":"
        + twoDigits(static_cast<unsigned>(secs % 60));
    if (fracDigits > 0) {
        std::string digits(static_cast<std::size_t>(fracDigits), '0');
        for (int k = fracDigits; k-- > 0;) {
            digits[static_cast<std::size_t>(k)]
                = static_cast<char>('0' + static_cast<int>(frac % 10));
            frac /= 10;
        }
        s += "." + digits;
    }
    return s;
}

std::string ucs4ToUtf8(std::span<const std::byte> bytes, bool bigEndian)
{
    std::size_t count = bytes.size() / 4;
    auto unitAt = [&](std::size_t k) {
        return core::torch::loadAs<std::uint32_t>(bytes.data() + 4 * k, bigEndian);
    };
    while (count > 0 && unitAt(count - 1) == 0)
        --count;
    std::string out;
    out.reserve(count);
    for (std::size_t k = 0; k < count; ++k) {
        std::uint32_t c = unitAt(k);
        if (c > 0x10FFFF)
            c = 0xFFFD;
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

std::string_view stripNuls(std::string_view bytes)
{
    std::size_t n = bytes.size();
    while (n > 0 && bytes[n - 1] == '\0')
        --n;
    return bytes.substr(0, n);
}

} // namespace core::numpy
