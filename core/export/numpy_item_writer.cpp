#include "core/export/numpy_item_writer.h"

#include "core/export/export_children.h"
#include "core/export/nested_lists.h"

#include <span>

namespace core {

std::optional<std::pair<numpy::NumpyDType, const std::byte*>> numpyScalar(
    const ValueGraph& g, ValueId id)
{
    const ObjectRecord& o = g.object(id);
    if (!g.valid(o.callable) || g.kind(o.callable) != ValueKind::Global)
        return std::nullopt;
    const GlobalRecord& c = g.global(o.callable);
    if (c.name != "scalar"
        || (c.module != "numpy.core.multiarray" && c.module != "numpy._core.multiarray"))
        return std::nullopt;
    if (!isTuple(g, o.args) || g.items(o.args).size() != 2)
        return std::nullopt;
    const ValueId data = g.items(o.args)[1];
    if (!g.valid(data)
        || (g.kind(data) != ValueKind::Bytes && g.kind(data) != ValueKind::ByteArray))
        return std::nullopt;
    auto d = numpy::dtypeFromValue(g, g.items(o.args)[0]);
    if (!d || d->node().kind == 'O' || g.bytes(data).size() != d->node().itemSize)
        return std::nullopt;
    return std::make_pair(std::move(*d), g.bytes(data).data());
}

std::string numpyDTypeText(const numpy::NumpyDType& d)
{
    const char kind = d.node().kind;
    if (!d.structured()
        && (kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f' || kind == 'c'))
        return d.name(); // numpy's name: float128, complex256 too
    return d.str();
}

// One scalar (no fields, no subarray) item of node n at p, as tolist() gives it.
void NumpyItemWriter::scalarItem(const numpy::DTypeNode& n, const std::byte* p)
{
    JsonStream& out = m_ctx.out;
    const bool big = n.byteOrder == '>';
    const auto bytes = [&] {
        return std::string_view(
            reinterpret_cast<const char*>(p), static_cast<std::size_t>(n.itemSize));
    };
    switch (n.kind) {
    case 'b':
        out.boolean(p[0] != std::byte { 0 });
        return;
    case 'i':
        m_ctx.wide(numpy::readInt(p, n.itemSize, big));
        return;
    case 'u':
        m_ctx.wide(static_cast<numpy::Int128>(numpy::readUInt(p, n.itemSize, big)));
        return;
    case 'f':
        out.value(numpy::readFloat(p, n.itemSize, big));
        return;
    case 'c':
        m_ctx.pair(numpy::readFloat(p, n.itemSize / 2, big),
            numpy::readFloat(p + n.itemSize / 2, n.itemSize / 2, big));
        return;
    case 'M':
        out.value(numpy::datetimeAsString(numpy::readInt(p, 8, big), n));
        return;
    case 'm': {
        const std::int64_t v = numpy::readInt(p, 8, big);
        if (v == numpy::kNaT)
            out.value("NaT");
        else
            m_ctx.wide(v);
        return;
    }
    case 'U':
        out.value(numpy::ucs4ToUtf8(
            std::span<const std::byte>(p, static_cast<std::size_t>(n.itemSize)), big));
        return;
    case 'S':
        m_ctx.bytesValue(numpy::stripNuls(bytes()));
        return;
    case 'V':
        m_ctx.bytesValue(bytes());
        return;
    default:
        out.null(); // object fields hold pointers: nothing to show
        return;
    }
}

void NumpyItemWriter::item(const numpy::NumpyDType& d, std::uint32_t node, const std::byte* p)
{
    JsonStream& out = m_ctx.out;
    m_stack.clear();
    m_stack.push_back({ Op::Item, {}, node, p, {} });
    while (!m_stack.empty()) {
        const Piece piece = m_stack.back();
        m_stack.pop_back();
        if (piece.op == Op::Key) {
            out.key(piece.key);
            continue;
        }
        if (piece.op == Op::Token) {
            out.token(piece.token);
            continue;
        }
        const numpy::DTypeNode& n = d.node(piece.node);
        if (!n.fields.empty()) {
            // {field: item, ...}, pushed in reverse
            out.beginObject();
            m_stack.push_back({ Op::Token, JsonToken::EndObject, numpy::kNoNode, nullptr, {} });
            for (std::size_t k = n.fields.size(); k-- > 0;) {
                const numpy::DTypeField& f = n.fields[k];
                m_stack.push_back({ Op::Item, {}, f.node, piece.p + f.offset, {} });
                m_stack.push_back({ Op::Key, {}, numpy::kNoNode, nullptr, f.name });
            }
            continue;
        }
        if (n.subBase != numpy::kNoNode) {
            // nested lists over subShape, written forward then pushed reversed
            const std::uint64_t size = d.node(n.subBase).itemSize;
            m_forward.clear();
            auto token = [&](JsonToken t) {
                m_forward.push_back({ Op::Token, t, 0, nullptr, {} });
            };
            forEachNested(
                n.subShape, [&] { token(JsonToken::BeginArray); },
                [&] { token(JsonToken::EndArray); },
                [&](std::uint64_t e) {
                    m_forward.push_back({ Op::Item, {}, n.subBase, piece.p + e * size, {} });
                    return true;
                });
            m_stack.insert(m_stack.end(), m_forward.rbegin(), m_forward.rend());
            continue;
        }
        scalarItem(n, piece.p);
    }
}

} // namespace core
