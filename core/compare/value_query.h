#pragma once

// The query language of the find box and of `picklescope-cli ... --filter`: terms joined by
// spaces (and) and `|` (or, lower precedence), each term optionally negated with a leading `-`.
//
//   dtype:float16        tensor / array element type (glob: dtype:float*)
//   shape:[*,4096]       dimensions: a number, `*` any one dimension, `...` any number of them
//   numel:>1e6           element count compared with >, >=, <, <=, = (or a bare number: =)
//   name:*attn*          glob (*, ?) on the access path $['model']['attn.weight']
//   class:torch.nn.Parameter   the value's class / type label (glob)
//   type:ndarray         the value's kind (tensor, ndarray, dict, list, str, object, ...) or type
//   label safety:unknown       the verdict of the global a value references (safe, unknown,
//   dangerous) attn                 plain text: a substring of the access path or of the one-line
//   summary
//
// Matching is case-insensitive. Errors say where: "unknown key 'dtyp' at 1" (1-based column).
// Parsing and matching are iterative (a query is a flat or-of-ands).

#include "core/result.h"
#include "core/value/value_graph.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace core::compare {

class ValueQuery {
public:
    enum class Key : std::uint8_t { Text, DType, Shape, Numel, Name, Class, Type, Safety };
    enum class Op : std::uint8_t { Eq, Lt, Le, Gt, Ge };

    struct Term {
        Key key = Key::Text;
        bool negated = false;
        std::string text; // lower-cased pattern (glob for names, substring for Text)
        Op op = Op::Eq; // numel
        double number = 0; // numel
        std::vector<std::int64_t> dims; // shape: -1 = '*', -2 = '...'
    };

    ValueQuery() = default;
    // An empty query (only spaces) matches everything.
    static Result<ValueQuery> parse(std::string_view text);

    bool empty() const { return m_any.empty(); }
    // Whether the value reached at `path` (an access path as `info` prints it) matches.
    bool matches(const ValueGraph& graph, ValueId id, std::string_view path) const;

    const std::vector<std::vector<Term>>& alternatives() const { return m_any; }

private:
    std::vector<std::vector<Term>> m_any; // or of ands
};

// Glob with * and ? over the whole text, ASCII case-insensitive; iterative.
bool globMatch(std::string_view pattern, std::string_view text);

} // namespace core::compare
