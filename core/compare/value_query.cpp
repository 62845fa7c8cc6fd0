#include "core/compare/value_query.h"

#include "core/safety/global_rules.h"
#include "core/value/value_text.h"

#include <charconv>
#include <cmath>

namespace core::compare {

namespace {

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = lower(c);
    return out;
}

bool containsNoCase(std::string_view haystack, std::string_view needleLower)
{
    if (needleLower.empty())
        return true;
    if (needleLower.size() > haystack.size())
        return false;
    for (std::size_t i = 0; i + needleLower.size() <= haystack.size(); ++i) {
        std::size_t k = 0;
        while (k < needleLower.size() && lower(haystack[i + k]) == needleLower[k])
            ++k;
        if (k == needleLower.size())
            return true;
    }
    return false;
}

Error queryError(std::size_t column, std::string message)
{
    return makeError(ErrorCode::BadArgument, column, message + " at " + std::to_string(column));
}

bool parseNumber(std::string_view s, double& out)
{
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

Result<ValueQuery::Term> parseTerm(std::string_view word, std::size_t column)
{
    ValueQuery::Term term;
    if (word.size() > 1 && word[0] == '-') {
        term.negated = true;
        word.remove_prefix(1);
        ++column;
    }
    const auto colon = word.find(':');
    if (colon == std::string_view::npos
        || word.substr(0, colon).find_first_of("[*?'\"$") != std::string_view::npos) {
        term.key = ValueQuery::Key::Text;
        term.text = lowered(word);
        return term;
    }
    const std::string key = lowered(word.substr(0, colon));
    const std::string_view value = word.substr(colon + 1);
    const std::size_t valueColumn = column + colon + 1;
    static const std::pair<const char*, ValueQuery::Key> kKeys[]
        = { { "dtype", ValueQuery::Key::DType }, { "shape", ValueQuery::Key::Shape },
              { "numel", ValueQuery::Key::Numel }, { "name", ValueQuery::Key::Name },
              { "path", ValueQuery::Key::Name }, { "class", ValueQuery::Key::Class },
              { "type", ValueQuery::Key::Type }, { "safety", ValueQuery::Key::Safety } };
    bool known = false;
    for (const auto& [name, k] : kKeys) {
        if (key == name) {
            term.key = k;
            known = true;
        }
    }
    if (!known)
        return queryError(column, "unknown key '" + std::string(word.substr(0, colon)) + "'");
    if (value.empty())
        return queryError(valueColumn, "'" + key + ":' needs a value");
    switch (term.key) {
    case ValueQuery::Key::Numel: {
        std::string_view v = value;
        if (v.substr(0, 2) == ">=" || v.substr(0, 2) == "<=") {
            term.op = v[0] == '>' ? ValueQuery::Op::Ge : ValueQuery::Op::Le;
            v.remove_prefix(2);
        } else if (v[0] == '>' || v[0] == '<' || v[0] == '=') {
            term.op = v[0] == '>' ? ValueQuery::Op::Gt
                : v[0] == '<'     ? ValueQuery::Op::Lt
                                  : ValueQuery::Op::Eq;
            v.remove_prefix(1);
        }
        if (!parseNumber(v, term.number))
            return queryError(
                valueColumn, "numel needs a number like >1e6, not '" + std::string(value) + "'");
        break;
    }
    case ValueQuery::Key::Shape: {
        std::string_view v = value;
        if (v.size() < 2 || v.front() != '[' || v.back() != ']')
            return queryError(valueColumn,
                "shape needs brackets like [*,4096], not '" + std::string(value) + "'");
        v = v.substr(1, v.size() - 2);
        std::size_t at = 0;
        while (at <= v.size() && !v.empty()) {
            std::size_t end = v.find(',', at);
            if (end == std::string_view::npos)
                end = v.size();
            std::string_view dim = v.substr(at, end - at);
            while (!dim.empty() && dim.front() == ' ')
                dim.remove_prefix(1);
            while (!dim.empty() && dim.back() == ' ')
                dim.remove_suffix(1);
            std::int64_t n = 0;
            if (dim == "*") {
                term.dims.push_back(-1);
            } else if (dim == "..." || dim == "\xE2\x80\xA6") {
                term.dims.push_back(-2);
            } else {
                const auto r = std::from_chars(dim.data(), dim.data() + dim.size(), n);
                if (r.ec != std::errc() || r.ptr != dim.data() + dim.size() || dim.empty() || n < 0)
                    return queryError(valueColumn + 1 + at,
                        "shape dimension '" + std::string(dim) + "' is not a number, * or ...");
                term.dims.push_back(n);
            }
            at = end + 1;
        }
        break;
    }
    case ValueQuery::Key::Safety: {
        term.text = lowered(value);
        if (term.text != "safe" && term.text != "unknown" && term.text != "dangerous")
            return queryError(valueColumn,
                "safety is safe, unknown or dangerous, not '" + std::string(value) + "'");
        break;
    }
    default:
        term.text = lowered(value);
        break;
    }
    return term;
}

// Glob matching of a sequence against a pattern of single items (`matchesOne`) and runs
// (`isRun`: '*' over text, '...' over dimensions). Iterative backtracking to the last run.
template <typename Pattern, typename Text, typename MatchesOne, typename IsRun>
bool globSequence(const Pattern& pattern, const Text& text, MatchesOne matchesOne, IsRun isRun)
{
    constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::size_t p = 0, s = 0, starP = kNone, starS = 0;
    while (s < text.size()) {
        if (p < pattern.size() && matchesOne(pattern[p], text[s])) {
            ++p;
            ++s;
        } else if (p < pattern.size() && isRun(pattern[p])) {
            starP = p++;
            starS = s;
        } else if (starP != kNone) {
            p = starP + 1;
            s = ++starS;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && isRun(pattern[p]))
        ++p;
    return p == pattern.size();
}

bool shapeMatches(const std::vector<std::int64_t>& pattern, const std::vector<std::int64_t>& shape)
{
    // Over dimensions: -2 ('...') any run, -1 ('*') one, n exactly n.
    return globSequence(
        pattern, shape, [](std::int64_t p, std::int64_t d) { return p == -1 || p == d; },
        [](std::int64_t p) { return p == -2; });
}

bool dimsOf(const ValueGraph& g, ValueId id, std::vector<std::int64_t>& shape, std::string& dtype)
{
    if (g.kind(id) == ValueKind::Tensor) {
        shape = g.tensor(id).shape;
        dtype = std::string(dtypeName(g.tensor(id).dtype));
        return true;
    }
    if (g.kind(id) == ValueKind::NdArray) {
        const NdArrayRecord& a = g.ndarray(id);
        shape = a.shape;
        dtype = a.dtype == DType::Other || a.dtype == DType::Unknown
            ? std::string(a.dtypeText)
            : std::string(dtypeName(a.dtype));
        return true;
    }
    return false;
}

bool safetyOf(const ValueGraph& g, ValueId id, std::string& verdict)
{
    ValueId global = id;
    if (g.kind(id) == ValueKind::Object)
        global = g.object(id).callable;
    if (!g.valid(global) || g.kind(global) != ValueKind::Global)
        return false;
    const GlobalRecord& r = g.global(global);
    verdict = std::string(safety::verdictName(safety::classifyGlobal(r.module, r.name).verdict));
    return true;
}

bool termMatches(const ValueQuery::Term& t, const ValueGraph& g, ValueId id, std::string_view path)
{
    std::vector<std::int64_t> shape;
    std::string dtype;
    switch (t.key) {
    case ValueQuery::Key::Text:
        return containsNoCase(path, t.text) || containsNoCase(summary(g, id), t.text);
    case ValueQuery::Key::Name:
        return globMatch(t.text, path);
    case ValueQuery::Key::DType:
        return dimsOf(g, id, shape, dtype) && globMatch(t.text, dtype);
    case ValueQuery::Key::Shape:
        return dimsOf(g, id, shape, dtype) && shapeMatches(t.dims, shape);
    case ValueQuery::Key::Numel: {
        if (!dimsOf(g, id, shape, dtype))
            return false;
        double n = 1;
        for (auto d : shape)
            n *= static_cast<double>(d);
        switch (t.op) {
        case ValueQuery::Op::Eq:
            return n == t.number;
        case ValueQuery::Op::Lt:
            return n < t.number;
        case ValueQuery::Op::Le:
            return n <= t.number;
        case ValueQuery::Op::Gt:
            return n > t.number;
        case ValueQuery::Op::Ge:
            return n >= t.number;
        }
        return false;
    }
    case ValueQuery::Key::Class: {
        const std::string cls = g.kind(id) == ValueKind::Object ? className(g, id) : std::string();
        return globMatch(t.text, cls.empty() ? typeLabel(g, id) : cls)
            || globMatch(t.text, typeLabel(g, id));
    }
    case ValueQuery::Key::Type:
        return globMatch(t.text, valueKindName(g.kind(id))) || globMatch(t.text, typeLabel(g, id));
    case ValueQuery::Key::Safety: {
        std::string verdict;
        return safetyOf(g, id, verdict) && verdict == t.text;
    }
    }
    return false;
}

} // namespace

bool globMatch(std::string_view pattern, std::string_view text)
{
    return globSequence(
        pattern, text, [](char p, char c) { return p == '?' || lower(p) == lower(c); },
        [](char p) { return p == '*'; });
}

Result<ValueQuery> ValueQuery::parse(std::string_view text)
{
    ValueQuery q;
    std::vector<Term> current;
    bool pendingOr = false;
    std::size_t orColumn = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == ' ' || c == '\t') {
            ++i;
            continue;
        }
        if (c == '|') {
            if (current.empty())
                return queryError(i + 1, "'|' needs a term before it");
            q.m_any.push_back(std::move(current));
            current.clear();
            pendingOr = true;
            orColumn = i + 1;
            ++i;
            continue;
        }
        // a word runs to the next space or '|' outside brackets and quotes
        const std::size_t start = i;
        int depth = 0;
        char quote = 0;
        while (i < text.size()) {
            const char d = text[i];
            if (quote != 0) {
                if (d == quote)
                    quote = 0;
            } else if (d == '\'' || d == '"') {
                quote = d;
            } else if (d == '[') {
                ++depth;
            } else if (d == ']') {
                depth = depth > 0 ? depth - 1 : 0;
            } else if (depth == 0 && (d == ' ' || d == '\t' || d == '|')) {
                break;
            }
            ++i;
        }
        PS_ASSIGN(Term term, parseTerm(text.substr(start, i - start), start + 1));
        current.push_back(std::move(term));
        pendingOr = false;
    }
    if (pendingOr)
        return queryError(orColumn, "'|' needs a term after it");
    if (!current.empty())
        q.m_any.push_back(std::move(current));
    return q;
}

bool ValueQuery::matches(const ValueGraph& g, ValueId id, std::string_view path) const
{
    if (m_any.empty())
        return true;
    if (!g.valid(id))
        return false;
    for (const auto& all : m_any) {
        bool ok = true;
        for (const Term& t : all) {
            if (termMatches(t, g, id, path) == t.negated) {
                ok = false;
                break;
            }
        }
        if (ok)
            return true;
    }
    return false;
}

} // namespace core::compare
