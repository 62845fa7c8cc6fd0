#pragma once

// The "only matches" tree of the find bar: the matches of a query (core::compare::findInTree)
// with their ancestors, built once from the match paths. Columns: Name (the segment's label, as
// the value tree shows it) and Value (the one-line summary). Matches are bold, ancestors grey.

#include "core/compare/value_find.h"
#include "core/value/document.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace ui {

class MatchTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, ValueColumn, ColumnCount };
    enum Role {
        AccessPathRole = Qt::UserRole + 1, // QString: $['model']['fc.weight']
        IsMatchRole, // bool
        MatchIndexRole, // int: index into the find's matches, -1 for an ancestor
    };

    explicit MatchTreeModel(QObject* parent = nullptr);

    // Replaces the tree (a reset); a null document or no matches gives an empty model.
    void setMatches(std::shared_ptr<const core::Document> doc,
        std::shared_ptr<const core::compare::TreeFind> found);
    void clear() { setMatches(nullptr, nullptr); }

    // The row of match `i` (in the find's order), invalid when out of range.
    QModelIndex indexForMatch(int i) const;
    int nodeCount() const { return static_cast<int>(m_nodes.size()); }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Node {
        int parent = -1;
        int row = 0; // among the parent's children
        std::uint32_t displayRow = 0; // display-child index under the parent value
        core::ValueId id = core::kNullValue;
        int match = -1; // this node is match `match`, else -1
        int pathOf = 0; // a match whose path passes through here
        std::uint32_t pathEnd = 1; // this node's path is that match's path up to here
        std::vector<int> children;
    };
    const Node* nodeOf(const QModelIndex& index) const;

    std::shared_ptr<const core::Document> m_doc;
    std::shared_ptr<const core::compare::TreeFind> m_found;
    std::vector<Node> m_nodes; // [0] is the root when there are matches
    std::vector<int> m_nodeOfMatch;
};

} // namespace ui
