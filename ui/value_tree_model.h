#pragma once

// The object tree: a row is one appearance of a value under a parent, not the value. Lazy: a
// container's rows are made when the view asks (canFetchMore/fetchMore, in batches); containers
// over 1,000 items get range rows ("[0 … 999]"). A value already on the ancestor chain is a leaf
// "↻ #id"; a value shown elsewhere first is a leaf "↗ #id" that links to its first appearance.
// Rows live in one flat arena (std::vector<Node>, QModelIndex::internalId() = the node's index),
// children are index lists filled lazily, and a row's texts are made in data() from the value
// graph: a row costs a few words, and nothing recurses on depth (a million-deep chain is made,
// walked and destroyed with loops).

#include "ui/document_index.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace ui {

class ValueTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, TypeColumn, ValueColumn, SizeColumn, ColumnCount };
    enum Role {
        ValueIdRole = Qt::UserRole + 1, // quint32 ValueId index (-1 for range rows)
        AccessPathRole, // QString: ckpt['model']['fc.weight']
        LinkTargetRole, // quint32 ValueId this row links to (shared/cycle leaves), else invalid
        IsRangeRole,
        MissingDataRole, // bool: a tensor/storage whose bytes are not in the file (cut or removed)
    };
    static constexpr std::size_t kRangeThreshold = 1000; // more children than this: range rows
    static constexpr std::size_t kFetchBatch = 1000;

    explicit ValueTreeModel(QObject* parent = nullptr);
    ~ValueTreeModel() override;

    // Resets the model to a document (null: empty).
    void setDocument(const LoadedFile& file);
    const LoadedFile& file() const { return m_file; }
    void setSafety(std::shared_ptr<const core::safety::SafetyReport> report)
    {
        m_file.safety = std::move(report);
    }
    QString rootName() const { return m_rootName; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    bool hasChildren(const QModelIndex& parent = {}) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

    core::ValueId valueAt(const QModelIndex& index) const;
    // A tensor (or storage) whose storage bytes the file does not hold (StorageRecord::bytesFound
    // false): a truncated or damaged checkpoint. Such rows read "⚠ no data".
    static bool isMissingData(const core::ValueGraph& graph, core::ValueId id);
    QString accessPath(const QModelIndex& index) const;
    // The row of a value's first appearance (fetching rows on the way), or invalid.
    QModelIndex indexForValue(core::ValueId id);
    // The row at a path of display-child indices from the root (fetching on the way).
    QModelIndex indexForPath(const std::vector<std::size_t>& path);
    // The row for an access path as accessPath() writes it ("ckpt['model']['fc.weight']").
    QModelIndex indexForAccessPath(const QString& path);

    // Rows between the (invisible) root and `index`: 0 for the root row.
    int depth(const QModelIndex& index) const;
    std::size_t nodeCount() const { return m_nodes.size(); }

private:
    using NodeId = std::uint32_t;
    static constexpr NodeId kRootNode = 0; // the invisible root
    enum class Kind : std::uint8_t { Root, Value, Range };
    enum class Link : std::uint8_t { None, Shared, Cycle };
    struct Node {
        NodeId parent = kRootNode;
        std::uint32_t row = 0;
        core::ValueId value = core::kNullValue; // Value: the value; Range: its container
        core::ValueId parentValue = core::kNullValue; // Value: the container it appears in
        std::uint64_t begin = 0; // Value: display-child index under parentValue; Range: first
        std::uint64_t end = 0; // Range: one past the last display-child index
        std::uint64_t total = 0; // rows under this node (made or not)
        Kind kind = Kind::Value;
        Link link = Link::None;
        std::vector<NodeId> children; // the rows made so far (a prefix)
    };
    static Node rootNode();
    NodeId nodeOf(const QModelIndex& index) const;
    QModelIndex indexOf(NodeId node, int column = 0) const;
    void ensureRows(NodeId node, std::size_t rows); // fetches up to `rows` children (with signals)
    Node makeChild(NodeId parent, std::size_t row) const;
    bool onAncestorChain(NodeId node, core::ValueId id) const;
    QString nameOf(const Node& node) const;
    QString pathSegmentOf(const Node& node) const;
    QString displayText(const Node& node, int column) const;

    LoadedFile m_file;
    std::vector<Node> m_nodes; // [0] is the invisible root
    QString m_rootName;
};

} // namespace ui
