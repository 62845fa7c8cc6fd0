#include "ui/value_tree_model.h"

#include "core/value/value_text.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QIcon>

#include <QLocale>
#include <array>

#include <algorithm>

namespace ui {

namespace {

std::size_t rangeSize(std::size_t count)
{
    if (count <= 1'000'000)
        return ValueTreeModel::kRangeThreshold;
    return (count + 999) / 1000;
}

QString humanBytes(double bytes)
{
    return QLocale::c().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeTraditionalFormat);
}

QIcon kindIcon(core::ValueKind kind)
{
    static const auto icons = [] {
        auto make = [](const char* name) {
            return QIcon(QStringLiteral(":/icons/%1.svg").arg(QLatin1String(name)));
        };
        std::array<QIcon, 32> table;
        using K = core::ValueKind;
        auto set = [&](K k, const char* name) { table[std::size_t(k)] = make(name); };
        set(K::None, "kind-none");
        set(K::Bool, "kind-bool");
        set(K::Int, "kind-number");
        set(K::BigInt, "kind-number");
        set(K::Float, "kind-number");
        set(K::Complex, "kind-number");
        set(K::Str, "kind-str");
        set(K::Bytes, "kind-bytes");
        set(K::ByteArray, "kind-bytes");
        set(K::Buffer, "kind-bytes");
        set(K::List, "kind-list");
        set(K::Tuple, "kind-tuple");
        set(K::Dict, "kind-dict");
        set(K::Set, "kind-set");
        set(K::FrozenSet, "kind-set");
        set(K::Global, "kind-global");
        set(K::Object, "kind-object");
        set(K::Persistent, "kind-object");
        set(K::Extension, "kind-object");
        set(K::Storage, "kind-storage");
        set(K::Tensor, "tensor");
        set(K::NdArray, "tensor");
        return table;
    }();
    return icons[std::size_t(kind) % icons.size()];
}

// The core's summary ends a tensor or storage without bytes with " (data missing)"; the window
// marks such rows "⚠ no data · …" instead, so the mark is shown once.
QString withoutMissingMark(QString text)
{
    static const QString mark = QStringLiteral(" (data missing)");
    if (text.endsWith(mark))
        text.chop(mark.size());
    return text;
}

} // namespace

ValueTreeModel::ValueTreeModel(QObject* parent)
    : QAbstractItemModel(parent)
    , m_nodes(1, rootNode())
{
}

ValueTreeModel::~ValueTreeModel() = default;

ValueTreeModel::Node ValueTreeModel::rootNode()
{
    Node node;
    node.kind = Kind::Root;
    return node;
}

void ValueTreeModel::setDocument(const LoadedFile& file)
{
    beginResetModel();
    m_file = file;
    // One flat vector: dropping a million-deep chain frees one block, no recursion.
    std::vector<Node>().swap(m_nodes);
    m_nodes.push_back(rootNode());
    const core::Document* doc = m_file.doc.get();
    m_rootName = doc && doc->format != core::FileFormat::Pickle ? QStringLiteral("ckpt")
                                                                : QStringLiteral("obj");
    if (doc && !core::isNull(doc->root) && doc->graph.valid(doc->root)) {
        const std::size_t count = core::displayChildCount(doc->graph, doc->root);
        Node node;
        node.parent = kRootNode;
        node.value = doc->root;
        node.total
            = count > kRangeThreshold ? (count + rangeSize(count) - 1) / rangeSize(count) : count;
        m_nodes.push_back(std::move(node));
        m_nodes[kRootNode].children.push_back(1);
        m_nodes[kRootNode].total = 1;
    }
    endResetModel();
}

ValueTreeModel::NodeId ValueTreeModel::nodeOf(const QModelIndex& index) const
{
    if (!index.isValid())
        return kRootNode;
    return NodeId(index.internalId());
}

QModelIndex ValueTreeModel::indexOf(NodeId node, int column) const
{
    if (node == kRootNode || node >= m_nodes.size())
        return {};
    return createIndex(int(m_nodes[node].row), column, quintptr(node));
}

int ValueTreeModel::depth(const QModelIndex& index) const
{
    int d = -1;
    for (NodeId n = nodeOf(index); n != kRootNode; n = m_nodes[n].parent)
        ++d;
    return std::max(d, 0);
}

QModelIndex ValueTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    const Node& p = m_nodes[nodeOf(parent)];
    if (row < 0 || std::size_t(row) >= p.children.size())
        return {};
    return createIndex(row, column, quintptr(p.children[std::size_t(row)]));
}

QModelIndex ValueTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    return indexOf(m_nodes[nodeOf(child)].parent);
}

int ValueTreeModel::rowCount(const QModelIndex& parent) const
{
    if (parent.column() > 0)
        return 0;
    return int(m_nodes[nodeOf(parent)].children.size());
}

int ValueTreeModel::columnCount(const QModelIndex& parent) const
{
    if (parent.column() > 0)
        return 0;
    return ColumnCount;
}

bool ValueTreeModel::onAncestorChain(NodeId node, core::ValueId id) const
{
    // With the document index, the expanded rows are the first appearances (a spanning tree of
    // the graph): `id` is on the chain exactly when it is an ancestor there, an O(1) test.
    if (m_file.index) {
        const core::ValueId at
            = m_nodes[node].kind == Kind::Value ? m_nodes[node].value : core::kNullValue;
        return !core::isNull(at) && m_file.index->isAncestor(id, at);
    }
    for (NodeId p = node; p != kRootNode; p = m_nodes[p].parent) {
        if (m_nodes[p].kind == Kind::Value && m_nodes[p].value == id)
            return true;
    }
    return false;
}

ValueTreeModel::Node ValueTreeModel::makeChild(NodeId parentId, std::size_t row) const
{
    const core::ValueGraph& graph = m_file.doc->graph;
    const Node& parent = m_nodes[parentId];
    Node node;
    node.parent = parentId;
    node.row = std::uint32_t(row);
    std::size_t childIndex = row;
    const core::ValueId container = parent.value;
    if (parent.kind == Kind::Value) {
        const std::size_t count = core::displayChildCount(graph, parent.value);
        if (count > kRangeThreshold) {
            const std::size_t size = rangeSize(count);
            node.kind = Kind::Range;
            node.value = parent.value;
            node.begin = row * size;
            node.end = std::min(count, node.begin + size);
            node.total = node.end - node.begin;
            return node;
        }
    } else if (parent.kind == Kind::Range) {
        childIndex = parent.begin + row;
    }
    const core::DisplayChild child = core::displayChild(graph, container, childIndex);
    node.kind = Kind::Value;
    node.value = child.child;
    node.parentValue = container;
    node.begin = childIndex;
    if (core::isNull(child.child) || !graph.valid(child.child)) {
        node.value = core::kNullValue;
        return node;
    }
    const std::size_t count = core::displayChildCount(graph, child.child);
    // Marks as picklescope-cli tree makes them (core::repeatMark): an identity value, leaf or
    // not, is shown in full at its first appearance; on the path from the root it is a cycle.
    const bool onPath = count > 0 && onAncestorChain(parentId, child.child);
    const bool first = !onPath
        && (!m_file.index || m_file.index->isFirstAppearance(child.child, container, childIndex));
    switch (core::repeatMark(graph, child.child, first, onPath)) {
    case core::RepeatMark::Cycle:
        node.link = Link::Cycle;
        break;
    case core::RepeatMark::Shared:
        node.link = Link::Shared;
        break;
    case core::RepeatMark::None:
        break;
    }
    if (node.link == Link::None)
        node.total
            = count > kRangeThreshold ? (count + rangeSize(count) - 1) / rangeSize(count) : count;
    return node;
}

bool ValueTreeModel::hasChildren(const QModelIndex& parent) const
{
    if (parent.column() > 0)
        return false;
    return m_nodes[nodeOf(parent)].total > 0;
}

bool ValueTreeModel::canFetchMore(const QModelIndex& parent) const
{
    if (parent.column() > 0 || !parent.isValid())
        return false;
    const Node& node = m_nodes[nodeOf(parent)];
    return node.children.size() < node.total;
}

void ValueTreeModel::fetchMore(const QModelIndex& parent)
{
    if (!parent.isValid() || parent.column() > 0)
        return;
    const NodeId node = nodeOf(parent);
    ensureRows(node, m_nodes[node].children.size() + kFetchBatch);
}

void ValueTreeModel::ensureRows(NodeId node, std::size_t rows)
{
    rows = std::min<std::size_t>(rows, m_nodes[node].total);
    const std::size_t have = m_nodes[node].children.size();
    if (rows <= have)
        return;
    beginInsertRows(indexOf(node), int(have), int(rows - 1));
    if (const std::size_t need = m_nodes.size() + (rows - have); need > m_nodes.capacity())
        m_nodes.reserve(
            std::max(need, 2 * m_nodes.capacity())); // geometric: one row at a time is O(1)
    m_nodes[node].children.reserve(rows);
    for (std::size_t r = have; r < rows; ++r) {
        Node child = makeChild(node, r);
        m_nodes[node].children.push_back(NodeId(m_nodes.size()));
        m_nodes.push_back(std::move(child));
    }
    endInsertRows();
}

core::ValueId ValueTreeModel::valueAt(const QModelIndex& index) const
{
    if (!index.isValid())
        return core::kNullValue;
    const Node& node = m_nodes[nodeOf(index)];
    return node.kind == Kind::Value ? node.value : core::kNullValue;
}

QString ValueTreeModel::nameOf(const Node& node) const
{
    if (node.kind == Kind::Range)
        return QStringLiteral("[%1 … %2]").arg(node.begin).arg(node.end - 1);
    if (node.parent == kRootNode)
        return m_rootName;
    if (!m_file.doc)
        return {};
    return QString::fromStdString(
        core::displayChild(m_file.doc->graph, node.parentValue, node.begin).label);
}

QString ValueTreeModel::pathSegmentOf(const Node& node) const
{
    if (node.kind != Kind::Value)
        return {};
    if (node.parent == kRootNode)
        return m_rootName;
    if (!m_file.doc)
        return {};
    return QString::fromStdString(
        core::displayChild(m_file.doc->graph, node.parentValue, node.begin).pathSegment);
}

QString ValueTreeModel::accessPath(const QModelIndex& index) const
{
    if (!index.isValid())
        return {};
    std::vector<QString> parts;
    for (NodeId n = nodeOf(index); n != kRootNode; n = m_nodes[n].parent) {
        if (m_nodes[n].kind == Kind::Value)
            parts.push_back(pathSegmentOf(m_nodes[n]));
    }
    QString path;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        path += *it;
    return path;
}

QString ValueTreeModel::displayText(const Node& node, int column) const
{
    if (!m_file.doc)
        return {};
    const core::ValueGraph& graph = m_file.doc->graph;
    if (node.kind == Kind::Range) {
        switch (column) {
        case NameColumn:
            return nameOf(node);
        case ValueColumn:
            return QStringLiteral("%1 items").arg(node.end - node.begin);
        default:
            return {};
        }
    }
    if (core::isNull(node.value)) {
        return column == NameColumn ? nameOf(node)
            : column == ValueColumn ? QStringLiteral("—")
                                    : QString();
    }
    const core::ValueId id = node.value;
    switch (column) {
    case NameColumn:
        return nameOf(node);
    case TypeColumn:
        return QString::fromStdString(core::typeLabel(graph, id));
    case ValueColumn: {
        QString text = QString::fromStdString(core::summary(graph, id, 120));
        if (node.link == Link::Cycle)
            text = QStringLiteral("↻ #%1  (cycle: %2)").arg(core::indexOf(id)).arg(text);
        else if (node.link == Link::Shared)
            text = QStringLiteral("↗ #%1  %2").arg(core::indexOf(id)).arg(text);
        if (isMissingData(graph, id))
            text = tr("⚠ no data · %1").arg(withoutMissingMark(text));
        return text;
    }
    case SizeColumn: {
        switch (graph.kind(id)) {
        case core::ValueKind::List:
        case core::ValueKind::Tuple:
        case core::ValueKind::Set:
        case core::ValueKind::FrozenSet:
        case core::ValueKind::Dict:
            return QLocale::c().toString(qulonglong(graph.itemCount(id)));
        case core::ValueKind::Str:
        case core::ValueKind::Bytes:
        case core::ValueKind::ByteArray:
            return humanBytes(double(graph.text(id).size()));
        case core::ValueKind::Tensor: {
            const core::TensorRecord& t = graph.tensor(id);
            double numel = 1;
            for (auto d : t.shape)
                numel *= double(d);
            return humanBytes(numel * core::dtypeSize(t.dtype));
        }
        case core::ValueKind::NdArray: {
            const core::NdArrayRecord& a = graph.ndarray(id);
            double numel = 1;
            for (auto d : a.shape)
                numel *= double(d);
            return humanBytes(numel * a.itemSize);
        }
        case core::ValueKind::Storage: {
            const core::StorageRecord& s = graph.storage(id);
            return humanBytes(double(s.numel) * core::dtypeSize(s.dtype));
        }
        default:
            return {};
        }
    }
    default:
        return {};
    }
}

bool ValueTreeModel::isMissingData(const core::ValueGraph& graph, core::ValueId id)
{
    if (core::isNull(id) || !graph.valid(id))
        return false;
    if (graph.kind(id) == core::ValueKind::Tensor) {
        const core::ValueId s = graph.tensor(id).storage;
        return !core::isNull(s) && graph.valid(s) && graph.kind(s) == core::ValueKind::Storage
            && !graph.storage(s).bytesFound;
    }
    return graph.kind(id) == core::ValueKind::Storage && !graph.storage(id).bytesFound;
}

QVariant ValueTreeModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node& n = m_nodes[nodeOf(index)];
    const Node* node = &n;
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return displayText(n, column);
    case Qt::DecorationRole:
        if (column == NameColumn && node->kind == Kind::Value && m_file.doc
            && !core::isNull(node->value))
            return kindIcon(m_file.doc->graph.kind(node->value));
        return {};
    case Qt::ToolTipRole:
        if (column == ValueColumn && m_file.doc && node->kind == Kind::Value
            && !core::isNull(node->value)) {
            const bool missing = isMissingData(m_file.doc->graph, node->value);
            QString tip
                = QString::fromStdString(core::summary(m_file.doc->graph, node->value, 2000));
            if (missing)
                tip = withoutMissingMark(tip);
            if (node->link == Link::Shared)
                tip += QStringLiteral("\n\nShared: shown in full at its first appearance "
                                      "(double-click to go there).");
            else if (node->link == Link::Cycle)
                tip += QStringLiteral(
                    "\n\nCycle: this value contains itself (double-click to go to it).");
            if (missing)
                tip += tr("\n\nNo data: the bytes of its storage are not in the file (cut short or "
                          "damaged).");
            return tip;
        }
        if (column == NameColumn)
            return accessPath(index);
        return {};
    case Qt::ForegroundRole:
        if (node->kind == Kind::Range)
            return QBrush(QColor(0x6b, 0x72, 0x80));
        if (node->link != Link::None && column == ValueColumn)
            return QBrush(QColor(0x25, 0x63, 0xeb));
        if (column == TypeColumn)
            return QBrush(QColor(0x6d, 0x28, 0xd9));
        if (column == SizeColumn)
            return QBrush(QColor(0x4b, 0x55, 0x63));
        if (column == ValueColumn && m_file.doc && node->kind == Kind::Value
            && isMissingData(m_file.doc->graph, node->value))
            return QBrush(QColor(0xb4, 0x53, 0x09));
        if (column == ValueColumn && m_file.safety && m_file.doc && !core::isNull(node->value)
            && m_file.safety->verdict == core::safety::Verdict::Dangerous
            && core::safety::isDangerousValue(*m_file.doc, *m_file.safety, node->value))
            return QBrush(QColor(0xdc, 0x26, 0x26));
        return {};
    case Qt::FontRole:
        if (node->kind == Kind::Range || node->link != Link::None) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (column == SizeColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case ValueIdRole:
        if (node->kind == Kind::Value && !core::isNull(node->value))
            return QVariant::fromValue(core::indexOf(node->value));
        return {};
    case AccessPathRole:
        return accessPath(index);
    case MissingDataRole:
        return node->kind == Kind::Value && m_file.doc
            && isMissingData(m_file.doc->graph, node->value);
    case LinkTargetRole:
        if (node->link != Link::None)
            return QVariant::fromValue(core::indexOf(node->value));
        return {};
    case IsRangeRole:
        return node->kind == Kind::Range;
    default:
        return {};
    }
}

QVariant ValueTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Name");
    case TypeColumn:
        return tr("Type");
    case ValueColumn:
        return tr("Value");
    case SizeColumn:
        return tr("Size");
    default:
        return {};
    }
}

Qt::ItemFlags ValueTreeModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (!hasChildren(index))
        f |= Qt::ItemNeverHasChildren;
    return f;
}

QModelIndex ValueTreeModel::indexForPath(const std::vector<std::size_t>& path)
{
    if (m_nodes[kRootNode].children.empty() || !m_file.doc)
        return {};
    NodeId node = m_nodes[kRootNode].children.front();
    for (std::size_t childIndex : path) {
        if (m_nodes[node].link != Link::None)
            return {};
        const std::size_t count = core::displayChildCount(m_file.doc->graph, m_nodes[node].value);
        if (childIndex >= count)
            return {};
        if (count > kRangeThreshold) {
            const std::size_t size = rangeSize(count);
            ensureRows(node, childIndex / size + 1);
            node = m_nodes[node].children[childIndex / size];
            childIndex -= m_nodes[node].begin;
        }
        ensureRows(node, childIndex + 1);
        if (childIndex >= m_nodes[node].children.size())
            return {};
        node = m_nodes[node].children[childIndex];
    }
    return indexOf(node);
}

QModelIndex ValueTreeModel::indexForValue(core::ValueId id)
{
    if (!m_file.doc || core::isNull(id))
        return {};
    if (id == m_file.doc->root)
        return indexForPath({});
    if (!m_file.index || !m_file.index->reachable(id))
        return {};
    return indexForPath(m_file.index->pathTo(id));
}

QModelIndex ValueTreeModel::indexForAccessPath(const QString& path)
{
    if (!m_file.doc || core::isNull(m_file.doc->root))
        return {};
    // The leading name is the root, whatever it is called: this tree's own name (ckpt, obj) or
    // picklescope-cli's (root[0] in `tree`, $['model'] in `info`).
    QString rest = path.trimmed();
    qsizetype n = 0;
    while (n < rest.size()
        && (rest[n].isLetterOrNumber() || rest[n] == QLatin1Char('_')
            || rest[n] == QLatin1Char('$')))
        ++n;
    rest = rest.mid(n);
    const core::ValueGraph& graph = m_file.doc->graph;
    core::ValueId cur = m_file.doc->root;
    std::vector<std::size_t> indices;
    while (!rest.isEmpty()) {
        const std::size_t count = core::displayChildCount(graph, cur);
        bool found = false;
        for (std::size_t i = 0; i < count && !found; ++i) {
            core::DisplayChild c = core::displayChild(graph, cur, i);
            QString seg = QString::fromStdString(c.pathSegment);
            // Accept both quote styles: ckpt["a"] and ckpt['a'].
            QString alt = seg;
            alt.replace(QLatin1Char('\''), QLatin1Char('"'));
            if (!seg.isEmpty() && (rest.startsWith(seg) || rest.startsWith(alt))) {
                rest = rest.mid(seg.size());
                indices.push_back(i);
                cur = c.child;
                found = true;
            }
        }
        if (!found || core::isNull(cur))
            return {};
    }
    return indexForPath(indices);
}

} // namespace ui
