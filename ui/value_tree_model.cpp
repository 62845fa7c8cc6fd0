#include "ui/value_tree_model.h"

#include "core/value/value_text.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QIcon>

#include <array>
#include <QLocale>

#include <algorithm>

namespace ui {

struct ValueTreeModel::Node {
    enum class Kind : std::uint8_t { Root, Value, Range };
    enum class Link : std::uint8_t { None, Shared, Cycle };

    Node* parent = nullptr;
    int row = 0;
    Kind kind = Kind::Value;
    Link link = Link::None;
    core::ValueId value = core::kNullValue; // Value: the value; Range: its container
    core::ValueId parentValue = core::kNullValue; // Value: the container it appears in
    std::size_t childIndex = 0; // Value: display-child index under parentValue
    std::size_t rangeBegin = 0, rangeEnd = 0; // Range: display-child indices [begin, end)
    QString label;
    QString pathSegment;
    std::vector<std::unique_ptr<Node>> children;
    mutable std::size_t total = 0;
    mutable bool totalKnown = false;
    mutable QString summaryCache;
    mutable QString typeCache;
};

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
        auto make = [](const char* name) { return QIcon(QStringLiteral(":/icons/%1.svg").arg(QLatin1String(name))); };
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

} // namespace

ValueTreeModel::ValueTreeModel(QObject* parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Node>())
{
    m_root->kind = Node::Kind::Root;
}

ValueTreeModel::~ValueTreeModel() = default;

void ValueTreeModel::setDocument(const LoadedFile& file)
{
    beginResetModel();
    m_file = file;
    m_root = std::make_unique<Node>();
    m_root->kind = Node::Kind::Root;
    const core::Document* doc = m_file.doc.get();
    m_rootName = doc && doc->format != core::FileFormat::Pickle ? QStringLiteral("ckpt")
                                                                : QStringLiteral("obj");
    if (doc && !core::isNull(doc->root) && doc->graph.valid(doc->root)) {
        auto node = std::make_unique<Node>();
        node->parent = m_root.get();
        node->row = 0;
        node->kind = Node::Kind::Value;
        node->value = doc->root;
        node->label = m_rootName;
        m_root->children.push_back(std::move(node));
        m_root->total = 1;
        m_root->totalKnown = true;
    }
    endResetModel();
}

ValueTreeModel::Node* ValueTreeModel::nodeOf(const QModelIndex& index) const
{
    if (!index.isValid())
        return m_root.get();
    return static_cast<Node*>(index.internalPointer());
}

QModelIndex ValueTreeModel::indexOf(Node* node, int column) const
{
    if (!node || node == m_root.get())
        return {};
    return createIndex(node->row, column, node);
}

QModelIndex ValueTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    Node* p = nodeOf(parent);
    if (row < 0 || std::size_t(row) >= p->children.size())
        return {};
    return createIndex(row, column, p->children[std::size_t(row)].get());
}

QModelIndex ValueTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    Node* node = nodeOf(child);
    return indexOf(node->parent);
}

int ValueTreeModel::rowCount(const QModelIndex& parent) const
{
    if (parent.column() > 0)
        return 0;
    return int(nodeOf(parent)->children.size());
}

int ValueTreeModel::columnCount(const QModelIndex& parent) const
{
    if (parent.column() > 0)
        return 0;
    return ColumnCount;
}

bool ValueTreeModel::onAncestorChain(const Node* node, core::ValueId id) const
{
    for (const Node* p = node; p; p = p->parent) {
        if (p->kind == Node::Kind::Value && p->value == id)
            return true;
    }
    return false;
}

std::size_t ValueTreeModel::totalRows(Node* node) const
{
    if (node->totalKnown)
        return node->total;
    node->totalKnown = true;
    node->total = 0;
    if (!m_file.doc)
        return 0;
    const core::ValueGraph& graph = m_file.doc->graph;
    switch (node->kind) {
    case Node::Kind::Root:
        break;
    case Node::Kind::Range:
        node->total = node->rangeEnd - node->rangeBegin;
        break;
    case Node::Kind::Value: {
        if (node->link != Node::Link::None)
            break;
        const std::size_t count = core::displayChildCount(graph, node->value);
        node->total = count > kRangeThreshold ? (count + rangeSize(count) - 1) / rangeSize(count) : count;
        break;
    }
    }
    return node->total;
}

std::unique_ptr<ValueTreeModel::Node> ValueTreeModel::makeChild(Node* parent, std::size_t row) const
{
    const core::ValueGraph& graph = m_file.doc->graph;
    auto node = std::make_unique<Node>();
    node->parent = parent;
    node->row = int(row);
    std::size_t childIndex = row;
    core::ValueId container = parent->value;
    if (parent->kind == Node::Kind::Value) {
        const std::size_t count = core::displayChildCount(graph, parent->value);
        if (count > kRangeThreshold) {
            const std::size_t size = rangeSize(count);
            node->kind = Node::Kind::Range;
            node->value = parent->value;
            node->rangeBegin = row * size;
            node->rangeEnd = std::min(count, node->rangeBegin + size);
            node->label = QStringLiteral("[%1 … %2]").arg(node->rangeBegin).arg(node->rangeEnd - 1);
            return node;
        }
    } else if (parent->kind == Node::Kind::Range) {
        childIndex = parent->rangeBegin + row;
    }
    const core::DisplayChild child = core::displayChild(graph, container, childIndex);
    node->kind = Node::Kind::Value;
    node->value = child.child;
    node->parentValue = container;
    node->childIndex = childIndex;
    node->label = QString::fromStdString(child.label);
    node->pathSegment = QString::fromStdString(child.pathSegment);
    if (core::isNull(child.child) || !graph.valid(child.child)) {
        node->value = core::kNullValue;
        node->totalKnown = true;
        return node;
    }
    if (core::displayChildCount(graph, child.child) > 0) {
        if (onAncestorChain(parent, child.child))
            node->link = Node::Link::Cycle;
        else if (m_file.index && !m_file.index->isFirstAppearance(child.child, container, childIndex))
            node->link = Node::Link::Shared;
    }
    return node;
}

bool ValueTreeModel::hasChildren(const QModelIndex& parent) const
{
    if (parent.column() > 0)
        return false;
    Node* node = nodeOf(parent);
    if (node->kind == Node::Kind::Root)
        return !node->children.empty();
    return totalRows(node) > 0;
}

bool ValueTreeModel::canFetchMore(const QModelIndex& parent) const
{
    if (parent.column() > 0 || !parent.isValid())
        return false;
    Node* node = nodeOf(parent);
    return node->children.size() < totalRows(node);
}

void ValueTreeModel::fetchMore(const QModelIndex& parent)
{
    if (!parent.isValid() || parent.column() > 0)
        return;
    Node* node = nodeOf(parent);
    ensureRows(node, std::min(totalRows(node), node->children.size() + kFetchBatch));
}

void ValueTreeModel::ensureRows(Node* node, std::size_t rows)
{
    rows = std::min(rows, totalRows(node));
    const std::size_t have = node->children.size();
    if (rows <= have)
        return;
    beginInsertRows(indexOf(node), int(have), int(rows - 1));
    node->children.reserve(rows);
    for (std::size_t r = have; r < rows; ++r)
        node->children.push_back(makeChild(node, r));
    endInsertRows();
}

core::ValueId ValueTreeModel::valueAt(const QModelIndex& index) const
{
    if (!index.isValid())
        return core::kNullValue;
    Node* node = nodeOf(index);
    return node->kind == Node::Kind::Value ? node->value : core::kNullValue;
}

QString ValueTreeModel::accessPath(const QModelIndex& index) const
{
    if (!index.isValid())
        return {};
    QStringList parts;
    for (Node* n = nodeOf(index); n && n->kind != Node::Kind::Root; n = n->parent) {
        if (n->parent && n->parent->kind == Node::Kind::Root)
            parts.prepend(n->label);
        else if (n->kind == Node::Kind::Value)
            parts.prepend(n->pathSegment);
    }
    return parts.join(QString());
}

QString ValueTreeModel::displayText(Node* node, int column) const
{
    if (!m_file.doc)
        return {};
    const core::ValueGraph& graph = m_file.doc->graph;
    if (node->kind == Node::Kind::Range) {
        switch (column) {
        case NameColumn:
            return node->label;
        case ValueColumn:
            return QStringLiteral("%1 items").arg(node->rangeEnd - node->rangeBegin);
        default:
            return {};
        }
    }
    if (core::isNull(node->value)) {
        return column == NameColumn ? node->label : column == ValueColumn ? QStringLiteral("—") : QString();
    }
    const core::ValueId id = node->value;
    switch (column) {
    case NameColumn:
        return node->label;
    case TypeColumn:
        if (node->typeCache.isNull())
            node->typeCache = QString::fromStdString(core::typeLabel(graph, id));
        return node->typeCache;
    case ValueColumn:
        if (node->summaryCache.isNull()) {
            QString text = QString::fromStdString(core::summary(graph, id, 120));
            if (node->link == Node::Link::Cycle)
                text = QStringLiteral("↻ #%1  (cycle: %2)").arg(core::indexOf(id)).arg(text);
            else if (node->link == Node::Link::Shared)
                text = QStringLiteral("↗ #%1  %2").arg(core::indexOf(id)).arg(text);
            if (isMissingData(graph, id))
                text = tr("⚠ no data · %1").arg(text);
            node->summaryCache = text;
        }
        return node->summaryCache;
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
    Node* node = nodeOf(index);
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return displayText(node, column);
    case Qt::DecorationRole:
        if (column == NameColumn && node->kind == Node::Kind::Value && m_file.doc && !core::isNull(node->value))
            return kindIcon(m_file.doc->graph.kind(node->value));
        return {};
    case Qt::ToolTipRole:
        if (column == ValueColumn && m_file.doc && node->kind == Node::Kind::Value && !core::isNull(node->value)) {
            QString tip = QString::fromStdString(core::summary(m_file.doc->graph, node->value, 2000));
            if (node->link == Node::Link::Shared)
                tip += QStringLiteral("\n\nShared: shown in full at its first appearance (double-click to go there).");
            else if (node->link == Node::Link::Cycle)
                tip += QStringLiteral("\n\nCycle: this value contains itself (double-click to go to it).");
            if (isMissingData(m_file.doc->graph, node->value))
                tip += tr("\n\nNo data: the bytes of its storage are not in the file (cut short or "
                          "damaged).");
            return tip;
        }
        if (column == NameColumn)
            return accessPath(index);
        return {};
    case Qt::ForegroundRole:
        if (node->kind == Node::Kind::Range)
            return QBrush(QColor(0x6b, 0x72, 0x80));
        if (node->link != Node::Link::None && column == ValueColumn)
            return QBrush(QColor(0x25, 0x63, 0xeb));
        if (column == TypeColumn)
            return QBrush(QColor(0x6d, 0x28, 0xd9));
        if (column == SizeColumn)
            return QBrush(QColor(0x4b, 0x55, 0x63));
        if (column == ValueColumn && m_file.doc && node->kind == Node::Kind::Value
            && isMissingData(m_file.doc->graph, node->value))
            return QBrush(QColor(0xb4, 0x53, 0x09));
        if (column == ValueColumn && m_file.safety && m_file.doc && !core::isNull(node->value)
            && m_file.safety->verdict == core::safety::Verdict::Dangerous
            && core::safety::isDangerousValue(*m_file.doc, *m_file.safety, node->value))
            return QBrush(QColor(0xdc, 0x26, 0x26));
        return {};
    case Qt::FontRole:
        if (node->kind == Node::Kind::Range || node->link != Node::Link::None) {
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
        if (node->kind == Node::Kind::Value && !core::isNull(node->value))
            return QVariant::fromValue(core::indexOf(node->value));
        return {};
    case AccessPathRole:
        return accessPath(index);
    case MissingDataRole:
        return node->kind == Node::Kind::Value && m_file.doc
            && isMissingData(m_file.doc->graph, node->value);
    case LinkTargetRole:
        if (node->link != Node::Link::None)
            return QVariant::fromValue(core::indexOf(node->value));
        return {};
    case IsRangeRole:
        return node->kind == Node::Kind::Range;
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
    if (m_root->children.empty())
        return {};
    Node* node = m_root->children.front().get();
    for (std::size_t childIndex : path) {
        if (node->link != Node::Link::None)
            return {};
        const std::size_t count = core::displayChildCount(m_file.doc->graph, node->value);
        if (childIndex >= count)
            return {};
        if (count > kRangeThreshold) {
            const std::size_t size = rangeSize(count);
            ensureRows(node, childIndex / size + 1);
            node = node->children[childIndex / size].get();
            childIndex -= node->rangeBegin;
        }
        ensureRows(node, childIndex + 1);
        if (childIndex >= node->children.size())
            return {};
        node = node->children[childIndex].get();
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
    while (n < rest.size() && (rest[n].isLetterOrNumber() || rest[n] == QLatin1Char('_') || rest[n] == QLatin1Char('$')))
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
