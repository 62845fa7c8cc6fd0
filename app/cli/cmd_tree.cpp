// picklescope-cli tree FILE [--depth N] [--max-items N]: the object tree as indented text, as the
// GUI's value tree shows it: one line per appearance ("label: summary"), values reached more
// than once marked "#K" where they first appear and, wherever they appear again, "↗ #K" (shared:
// shown in full at the first appearance, whose path follows) or "↻ #K" (a cycle: the value
// contains itself, it is on the way from the root) — the window's vocabulary; long containers
// cut after --max-items children.

#include "app/cli/cli_command.h"
#include "app/cli/cli_filter.h"
#include "core/compare/value_find.h"
#include "core/value/value_text.h"

#include <charconv>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

constexpr int kMaxIndentLevels = 64;

bool parseCount(const std::string& text, std::uint64_t& out)
{
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc() && r.ptr == text.data() + text.size() && !text.empty();
}

struct Frame {
    core::ValueId id;
    std::size_t next = 0;
    std::size_t count = 0;
    std::size_t pathLength = 0; // the path up to (and including) this value
    int depth = 0;
};

class TreePrinter {
public:
    TreePrinter(const core::ValueGraph& g, std::uint64_t maxDepth, std::uint64_t maxItems)
        : m_g(g)
        , m_maxDepth(maxDepth)
        , m_maxItems(maxItems)
    {
    }

    // --filter: show only these values (indexed by value id); nullptr shows all.
    void setKeep(const std::vector<bool>* keep) { m_keep = keep; }

    void print(core::ValueId root, const std::string& name = "root")
    {
        m_counts = core::referenceCounts(m_g, root, core::ChildSet::Display);
        m_onPath.assign(m_g.size(), 0);
        m_seen.clear();
        m_path = name;
        if (!visit(root, name, 0))
            return;
        while (!m_stack.empty()) {
            Frame& f = m_stack.back();
            if (f.next >= f.count) {
                if (m_g.valid(f.id))
                    --m_onPath[core::indexOf(f.id)];
                m_stack.pop_back();
                continue;
            }
            if (f.next >= m_maxItems) {
                line(f.depth + 1, "\xE2\x80\xA6 " + std::to_string(f.count - f.next) + " more");
                f.next = f.count;
                continue;
            }
            const core::DisplayChild child = core::displayChild(m_g, f.id, f.next++);
            if (m_keep != nullptr
                && (!m_g.valid(child.child) || !(*m_keep)[core::indexOf(child.child)]))
                continue;
            m_path.resize(f.pathLength);
            m_path += child.pathSegment;
            const int depth = f.depth + 1;
            visit(child.child, child.label + ": ", depth);
        }
        std::fflush(stdout);
    }

private:
    void line(int depth, const std::string& text)
    {
        const int levels = depth < kMaxIndentLevels ? depth : kMaxIndentLevels;
        m_out.assign(static_cast<std::size_t>(levels) * 2, ' ');
        if (depth > kMaxIndentLevels)
            m_out += "(depth " + std::to_string(depth) + ") ";
        m_out += text;
        m_out.push_back('\n');
        std::fwrite(m_out.data(), 1, m_out.size(), stdout);
    }

    // Prints one appearance; pushes a frame when its children are to be shown.
    bool visit(core::ValueId id, const std::string& prefix, int depth)
    {
        std::string text = depth == 0 ? std::string() : prefix;
        text += core::summary(m_g, id);
        if (core::isIdentityValue(m_g, id) && m_counts.shared(id)) {
            const auto it = m_seen.find(core::indexOf(id));
            // On the current path from the root: a cycle (↻); elsewhere: shared (↗).
            const core::RepeatMark mark = core::repeatMark(
                m_g, id, it == m_seen.end(), m_onPath[core::indexOf(id)] != 0);
            if (mark != core::RepeatMark::None) {
                text += "  " + std::string(core::repeatMarkSign(mark)) + " #"
                    + std::to_string(it->second.first) + " (" + it->second.second + ")";
                line(depth, text);
                return false;
            }
            const std::uint32_t number = ++m_next;
            m_seen.emplace(core::indexOf(id), std::make_pair(number, m_path));
            text += "  #" + std::to_string(number);
        }
        const std::size_t count = core::displayChildCount(m_g, id);
        if (count > 0 && static_cast<std::uint64_t>(depth) >= m_maxDepth)
            text += "  \xE2\x80\xA6";
        line(depth, text);
        if (count > 0 && static_cast<std::uint64_t>(depth) < m_maxDepth) {
            m_stack.push_back(Frame { id, 0, count, m_path.size(), depth });
            if (m_g.valid(id))
                ++m_onPath[core::indexOf(id)];
        }
        return true;
    }

    const core::ValueGraph& m_g;
    std::uint64_t m_maxDepth;
    std::uint64_t m_maxItems;
    core::ReferenceCounts m_counts;
    const std::vector<bool>* m_keep = nullptr; // --filter: values to show (nullptr: all)
    std::vector<std::uint32_t>
        m_onPath; // values whose frame is on the stack (the path from the root)
    std::unordered_map<std::uint32_t, std::pair<std::uint32_t, std::string>> m_seen;
    std::uint32_t m_next = 0;
    std::vector<Frame> m_stack;
    std::string m_path;
    std::string m_out;
};

int runTree(const cli::Args& args)
{
    std::uint64_t depth = ~std::uint64_t(0), maxItems = 100;
    if (args.has("--depth") && !parseCount(args.get("--depth"), depth)) {
        std::fprintf(stderr, "picklescope-cli tree: --depth needs a whole number\n");
        return cli::ExitUsage;
    }
    if (args.has("--max-items")
        && (!parseCount(args.get("--max-items"), maxItems) || maxItems == 0)) {
        std::fprintf(stderr, "picklescope-cli tree: --max-items needs a positive whole number\n");
        return cli::ExitUsage;
    }
    if (args.positionals.size() != 1) {
        std::fprintf(stderr, "usage: picklescope-cli tree FILE [--depth N] [--max-items N]\n");
        return cli::ExitUsage;
    }
    core::compare::ValueQuery filter;
    if (!cli::filterFrom(args, filter))
        return cli::ExitUsage;
    int exitCode = cli::ExitOk;
    const auto doc = cli::openDocument(args, exitCode);
    if (!doc)
        return exitCode;
    if (doc->graph.valid(doc->root)) {
        TreePrinter printer(doc->graph, depth, maxItems);
        std::vector<bool> keep;
        if (!filter.empty()) {
            // The values to show: those the query selects and their ancestors.
            keep = core::compare::keptValues(doc->graph, doc->root,
                core::compare::findInTree(doc->graph, doc->root, filter, SIZE_MAX));
            printer.setKeep(&keep);
        }
        if (filter.empty() || keep[core::indexOf(doc->root)])
            printer.print(doc->root);
    }
    if (doc->format == core::FileFormat::TorchScript) {
        // The archive's other pickle programs, then its sources and files.
        for (std::size_t i = 0; i < doc->pickles.size(); ++i) {
            if (i == doc->mainPickle || !doc->graph.valid(doc->pickles[i].root))
                continue;
            std::printf("%s: ", doc->pickles[i].name.c_str());
            TreePrinter printer(doc->graph, depth, maxItems);
            printer.print(doc->pickles[i].root, doc->pickles[i].name);
        }
        std::printf("archive:\n");
        for (const core::ArchiveEntry& entry : doc->entries) {
            const auto slash = entry.name.find('/');
            const std::string name
                = slash == std::string::npos ? entry.name : entry.name.substr(slash + 1);
            if (name.rfind("code/", 0) == 0 || name.rfind("extra/", 0) == 0 || name == "version")
                std::printf("  %s: %llu bytes\n", name.c_str(),
                    static_cast<unsigned long long>(entry.size));
        }
    }
    if (doc->error) {
        cli::printDocumentError(*doc);
        return cli::ExitMalformed;
    }
    return cli::ExitOk;
}

} // namespace

PS_CLI_COMMAND({ "tree", "tree FILE [--depth N] [--max-items N]",
    "the object tree as indented text (label: summary), as the GUI shows it",
    { "--depth", "--max-items" }, runTree })
