#include "app/cli/cli_command.h"

#include "core/pickle/pickle_machine.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QHash>
#include <QStringList>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace cli {

namespace {

std::map<std::string, Command>& table()
{
    static std::map<std::string, Command> commands;
    return commands;
}

bool parseSize(const std::string& text, std::uint64_t& out)
{
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end && !text.empty();
}

std::string dashed(const std::string& name)
{
    return (name.size() == 1 ? "-" : "--") + name;
}

constexpr std::size_t kColumn = 32; // where option descriptions start
constexpr std::size_t kWidth = 100; // where lines wrap

// Appends `line` followed by `text` word-wrapped at kWidth; continuation lines are indented by
// `indent`.
void appendWrapped(std::string& out, std::string line, const std::string& text, std::size_t indent)
{
    const std::size_t start = line.size();
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t space = std::min(text.find(' ', pos), text.size());
        const std::size_t length = space - pos;
        if (line.size() > start && line.size() + 1 + length > kWidth) {
            out += line + "\n";
            line.assign(indent, ' ');
        } else if (line.size() > start) {
            line += ' ';
        }
        line.append(text, pos, length);
        pos = space + 1;
    }
    out += line + "\n";
}

// "  -o, --output OUT              write to OUT ...": the spelling, the description from column
// kColumn (a spelling too long for its column: the description starts on the next line).
void appendOptionLines(std::string& out, const std::vector<Option>& options, std::size_t indent)
{
    const std::size_t column = indent + kColumn;
    for (const Option& option : options) {
        std::string line = std::string(indent, ' ') + option.spelling();
        if (line.size() + 2 > column) {
            out += line + "\n";
            line.clear();
        }
        line.resize(column, ' ');
        appendWrapped(out, std::move(line), option.description, column);
    }
}

void appendGlobalOptions(std::string& out)
{
    for (const OptionSection& section : globalOptions()) {
        out += "\n" + section.title + ":\n";
        appendOptionLines(out, section.options, 2);
    }
    out += "\nexit codes: 0 success, 1 malformed or unsupported input, 2 usage error,\n"
           "            3 (scan) dangerous content found, 4 (diff) differences found\n";
}

} // namespace

std::string Option::spelling() const
{
    std::string out;
    for (const std::string& name : names)
        out += (out.empty() ? "" : ", ") + dashed(name);
    return valueName.empty() ? out : out + " " + valueName;
}

std::string Args::get(const std::string& name, const std::string& fallback) const
{
    const auto it = options.find(name);
    return it == options.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const
{
    const auto it = options.find(name);
    return it == options.end() ? std::vector<std::string>() : it->second;
}

bool registerCommand(Command command)
{
    std::string name = command.name;
    return table().emplace(std::move(name), std::move(command)).second;
}

const std::map<std::string, Command>& commands()
{
    return table();
}

const std::vector<OptionSection>& globalOptions()
{
    static const std::vector<OptionSection> sections {
        { "load options (every command)",
            {
                { { "encoding" }, "NAME",
                    "how Python 2 str payloads are decoded: ASCII (default), latin1, bytes, or any "
                    "codec name Python knows (utf-8, cp1252, shift_jis, iso-8859-1...)" },
                { { "no-fix-imports" }, "", "keep Python 2 module names as written" },
                { { "max-stack" }, "N", "load limit: the deepest the unpickler's stack may grow" },
                { { "max-memo" }, "N", "load limit: memo entries" },
                { { "max-values" }, "N", "load limit: values in the graph" },
                { { "max-bytes" }, "N",
                    "load limit: bytes materialised (inflated members, copies)" },
            } },
        { "remote files (FILE may be an http:// or https:// URL, read with Range requests)",
            {
                { { "header" }, "'NAME: VALUE'",
                    "an extra request header, sent to the URL's host only (repeatable; credentials "
                    "otherwise from ~/.netrc)" },
                { { "cache-limit" }, "MIB", "fetched tensor bytes kept in memory (default 256)" },
                { { "ca-file" }, "PEM", "https: also trust these certificates" },
                { { "download" }, "",
                    "a server without range support: download the file into the cache folder and "
                    "open the copy" },
            } },
        { "help", { { { "h", "help" }, "", "this command's usage and options" } } },
    };
    return sections;
}

const Option& filterOption()
{
    static const Option option { { "filter" }, "QUERY",
        "only what the query selects (dtype:float16 shape:[*,4096] numel:>1e6 name:*attn* ...)" };
    return option;
}

ParseOutcome parseArguments(const Command& command, const std::vector<std::string>& arguments,
    Args& out, std::string& error)
{
    std::vector<const Option*> all;
    for (const Option& option : command.options)
        all.push_back(&option);
    for (const OptionSection& section : globalOptions())
        for (const Option& option : section.options)
            all.push_back(&option);

    QCommandLineParser parser;
    // -name is --name, so that -o and -r are never read as a run of one-letter options.
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    for (const Option* option : all) {
        QStringList names;
        for (const std::string& name : option->names)
            names << QString::fromStdString(name);
        [[maybe_unused]] const bool added = parser.addOption(
            QCommandLineOption(names, QString::fromStdString(option->description),
                QString::fromStdString(option->valueName)));
        Q_ASSERT(added); // no name twice
    }
    // Arguments go back to the command as the bytes they were (a file name that is not valid
    // in the locale's encoding must still open).
    QStringList list { QStringLiteral("picklescope-cli") };
    QHash<QString, std::string> original;
    for (const std::string& argument : arguments) {
        const QString text = QString::fromLocal8Bit(argument.data(), qsizetype(argument.size()));
        list << text;
        original.insert(text, argument);
    }
    auto bytesOf = [&](const QString& text) {
        const auto it = original.constFind(text);
        return it != original.cend() ? *it : text.toLocal8Bit().toStdString();
    };
    if (!parser.parse(list)) {
        const QStringList unknown = parser.unknownOptionNames();
        if (!unknown.isEmpty()) {
            // As it was written (--name=value: the name only).
            std::string spelled = dashed(unknown.front().toStdString());
            for (const std::string& argument : arguments) {
                const std::string name = argument.substr(0, argument.find('='));
                if (name.size() > 1 && name[0] == '-'
                    && name.substr(name.find_first_not_of('-')) == unknown.front().toStdString()) {
                    spelled = name;
                    break;
                }
            }
            error = "unknown option '" + spelled + "' (see picklescope-cli help " + command.name
                + ")";
        } else {
            // "Missing value after '--depth'.", "Unexpected value after '--stats'."
            std::string text = parser.errorText().toStdString();
            if (!text.empty() && text.back() == '.')
                text.pop_back();
            if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z')
                text[0] = char(text[0] - 'A' + 'a');
            error = text;
        }
        return ParseOutcome::UsageError;
    }
    if (parser.isSet(QStringLiteral("help")))
        return ParseOutcome::Help;
    out.command = command.name;
    for (const QString& positional : parser.positionalArguments())
        out.positionals.push_back(bytesOf(positional));
    for (const Option* option : all) {
        const QString name = QString::fromStdString(option->names.front());
        if (!parser.isSet(name))
            continue;
        std::vector<std::string> values;
        if (option->valueName.empty())
            values.emplace_back();
        for (const QString& value : parser.values(name))
            values.push_back(bytesOf(value));
        for (const std::string& alias : option->names)
            out.options[dashed(alias)] = values;
    }
    return ParseOutcome::Run;
}

std::string programHelp()
{
    std::string out = "usage: picklescope-cli COMMAND FILE [options]\n"
                      "       picklescope-cli help COMMAND   (or COMMAND --help): one command\n"
                      "       picklescope-cli --version\n\ncommands:\n";
    for (const auto& [name, command] : commands()) {
        appendWrapped(out, "  ", command.synopsis, 6);
        appendWrapped(out, "      ", command.summary, 6);
        appendOptionLines(out, command.options, 4);
    }
    appendGlobalOptions(out);
    return out;
}

std::string commandHelp(const Command& command)
{
    std::string out;
    appendWrapped(out, "usage: picklescope-cli ", command.synopsis, 6);
    appendWrapped(out, "  ", command.summary, 2);
    if (!command.options.empty()) {
        out += "\noptions of " + command.name + ":\n";
        appendOptionLines(out, command.options, 2);
    }
    appendGlobalOptions(out);
    return out;
}

bool loadOptionsFrom(const Args& args, core::LoadOptions& out)
{
    if (args.has("--encoding")) {
        const std::string e = args.get("--encoding");
        if (e == "ASCII" || e == "ascii")
            out.encoding = core::Py2Encoding::Ascii;
        else if (e == "latin1" || e == "latin-1" || e == "LATIN1")
            out.encoding = core::Py2Encoding::Latin1;
        else if (e == "bytes")
            out.encoding = core::Py2Encoding::Bytes;
        else if (e == "utf-8" || e == "utf8" || e == "UTF-8")
            out.encoding = core::Py2Encoding::Utf8;
        else if (!core::setEncodingByName(out, e)) {
            std::fprintf(stderr,
                "picklescope-cli: --encoding: unknown encoding '%s' (ASCII, latin1, bytes, or a "
                "codec name such as utf-8, cp1252, shift_jis)\n",
                e.c_str());
            return false;
        }
    }
    out.fixImports = !args.has("--no-fix-imports");
    struct Limit {
        const char* name;
        std::uint64_t* target;
    };
    std::uint64_t stack = out.limits.maxStackDepth, memo = out.limits.maxMemoEntries,
                  values = out.limits.maxValues, bytes = out.limits.maxMaterializedBytes;
    for (const Limit& limit : { Limit { "--max-stack", &stack }, Limit { "--max-memo", &memo },
             Limit { "--max-values", &values }, Limit { "--max-bytes", &bytes } }) {
        if (args.has(limit.name) && !parseSize(args.get(limit.name), *limit.target)) {
            std::fprintf(stderr, "picklescope-cli: %s needs a whole number\n", limit.name);
            return false;
        }
    }
    out.limits.maxStackDepth = stack;
    out.limits.maxMemoEntries = memo;
    out.limits.maxValues = values;
    out.limits.maxMaterializedBytes = bytes;
    return true;
}

std::shared_ptr<core::Document> openDocument(const Args& args, int& exitCode)
{
    core::LoadOptions options;
    if (!loadOptionsFrom(args, options)) {
        exitCode = ExitUsage;
        return nullptr;
    }
    auto loaded = core::loadFile(args.positionals.front(), options);
    if (!loaded.ok()) {
        std::fprintf(stderr, "picklescope-cli: %s: %s\n", args.positionals.front().c_str(),
            loaded.error().toString().c_str());
        exitCode = ExitMalformed;
        return nullptr;
    }
    exitCode = ExitOk;
    printRecoveryWarnings(*loaded.value());
    return std::move(loaded).value();
}

void printRecoveryWarnings(const core::Document& doc)
{
    if (!doc.recovered)
        return;
    std::size_t storages = 0, missing = 0;
    for (std::size_t i = 0; i < doc.graph.size(); ++i) {
        const core::ValueId id { static_cast<std::uint32_t>(i) };
        if (doc.graph.kind(id) != core::ValueKind::Storage)
            continue;
        ++storages;
        missing += doc.graph.storage(id).bytesFound ? 0 : 1;
    }
    std::fprintf(stderr,
        "picklescope-cli: %s: warning: the file is damaged (cut short?): partial content, %s; %zu "
        "of %zu storage(s) have no data\n",
        doc.fileName.c_str(), doc.error ? "the main pickle is cut" : "the main pickle is whole",
        missing, storages);
    for (const core::Diagnostic& d : doc.diagnostics)
        if (d.severity != core::Severity::Info)
            std::fprintf(stderr, "picklescope-cli: %s: warning: at byte %llu: %s\n",
                doc.fileName.c_str(), static_cast<unsigned long long>(d.offset), d.message.c_str());
}

void printDocumentError(const core::Document& doc)
{
    if (doc.error)
        std::fprintf(stderr, "picklescope-cli: %s: %s\n", doc.fileName.c_str(),
            doc.error->toString().c_str());
}

} // namespace cli
