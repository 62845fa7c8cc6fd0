#include "ui/match_tree_model.h"

#include "core/value/value_text.h"

#include <QColor>
#include <QFont>

#include <unordered_map>

namespace ui {

MatchTreeModel::MatchTreeModel(QObject* parent)
    : QAbstractItemModel(parent)
{
}

void MatchTreeModel::setMatches(
    std::shared_ptr<const core::Document> doc, std::shared_ptr<const core::compare::TreeFind> found)
{
    beginResetModel();
    m_doc = std::move(doc);
    m_found = std::move(found);
    m_nodes.clear();
    m_nodeOfMatch.clear();
    if (m_doc && m_found && !m_found->matches.empty()) {
        m_nodes.push_back(Node { -1, 0, 0, m_doc->root, -1, 0, 1, {} });
        std::unordered_map<std::uint64_t, int> childAt; // (parent node, display row) -> node
        const auto& matches = m_found->matches;
        m_nodeOfMatch.resize(matches.size(), 0);
        for (std::size_t i = 0; i < matches.size(); ++i) {
            int node = 0;
            for (const core::compare::TreeStep& s : matches[i].steps) {
                const std::uint64_t key = (std::uint64_t(std::uint32_t(node)) << 32) | s.row;
                auto [it, added] = childAt.try_emplace(key, int(m_nodes.size()));
                if (added) {
                    Node n;
                    n.parent = node;
                    n.row = int(m_nodes[std::size_t(node)].children.size());
                    n.displayRow = s.row;
                    n.id = s.id;
                    n.pathOf = int(i);
                    n.pathEnd = s.pathEnd;
                    m_nodes[std::size_t(node)].children.push_back(int(m_nodes.size()));
                    m_nodes.push_back(std::move(n));
                }
                node = it->second;
            }
            m_nodes[std::size_t(node)].match = int(i);
            m_nodeOfMatch[i] = node;
        }
    }
    endResetModel();
}

QModelIndex MatchTreeModel::indexForMatch(int i) const
{
    if (i < 0 || std::size_t(i) >= m_nodeOfMatch.size())
        return {};
    const Node& n = m_nodes[std::size_t(m_nodeOfMatch[std::size_t(i)])];
    return createIndex(n.row, 0, quintptr(m_nodeOfMatch[std::size_t(i)]));
}

const MatchTreeModel::Node* MatchTreeModel::nodeOf(const QModelIndex& index) const
{
    if (!index.isValid() || index.internalId() >= m_nodes.size())
        return nullptr;
    return &m_nodes[std::size_t(index.internalId())];
}

QModelIndex MatchTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, quintptr(0)); // the root is the only top-level row
    const Node* p = nodeOf(parent);
    return createIndex(row, column, quintptr(p->children[std::size_t(row)]));
}

QModelIndex MatchTreeModel::parent(const QModelIndex& child) const
{
    const Node* n = nodeOf(child);
    if (!n || n->parent < 0)
        return {};
    return createIndex(m_nodes[std::size_t(n->parent)].row, 0, quintptr(n->parent));
}

int MatchTreeModel::rowCount(const QModelIndex& parent) const
{
    if (parent.column() > 0)
        return 0;
    if (!parent.isValid())
        return m_nodes.empty() ? 0 : 1;
    const Node* n = nodeOf(parent);
    return n ? int(n->children.size()) : 0;
}

int MatchTreeModel::columnCount(const QModelIndex& parent) const
{
    return parent.column() > 0 ? 0 : ColumnCount;
}

QVariant MatchTreeModel::data(const QModelIndex& index, int role) const
{
    const Node* n = nodeOf(index);
    if (!n || !m_doc)
        return {};
    const core::ValueGraph& g = m_doc->graph;
    const std::string& path = m_found->matches[std::size_t(n->pathOf)].path;
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == NameColumn) {
            if (n->parent < 0)
                return QStringLiteral("$");
            const Node& p = m_nodes[std::size_t(n->parent)];
            return QString::fromStdString(core::displayChild(g, p.id, n->displayRow).label);
        }
        return g.valid(n->id) ? QString::fromStdString(core::summary(g, n->id, 120)) : QString();
    case Qt::ToolTipRole:
    case AccessPathRole:
        return QString::fromStdString(path.substr(0, n->pathEnd));
    case IsMatchRole:
        return n->match >= 0;
    case MatchIndexRole:
        return n->match;
    case Qt::FontRole:
        if (n->match >= 0) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ForegroundRole:
        return n->match >= 0 ? QVariant() : QVariant(QColor(0x6b, 0x72, 0x80));
    default:
        return {};
    }
}

QVariant MatchTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == NameColumn ? tr("Name") : tr("Value");
}

} // namespace ui
