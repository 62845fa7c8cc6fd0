#include "ui/code_pane.h"

#include "core/torch/torchscript_reader.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSyntaxHighlighter>
#include <QVBoxLayout>

namespace ui {

namespace {

// Python (and TorchScript's Python subset): keywords, builtins, numbers, strings, comments,
// decorators. Line-based: triple-quoted strings spanning lines are carried in the block state.
class PythonHighlighter : public QSyntaxHighlighter {
public:
    explicit PythonHighlighter(QTextDocument* parent)
        : QSyntaxHighlighter(parent)
    {
        QTextCharFormat keyword;
        keyword.setForeground(QColor(0x7c, 0x3a, 0xed));
        keyword.setFontWeight(QFont::Bold);
        const QString words = QStringLiteral("and|as|assert|async|await|break|class|continue|def|"
                                             "del|elif|else|except|finally|for|from|global|if|"
                                             "import|in|is|lambda|nonlocal|not|or|pass|raise|"
                                             "return|try|while|with|yield|None|True|False");
        m_rules.push_back({ QRegularExpression(QStringLiteral("\\b(%1)\\b").arg(words)), keyword });
        QTextCharFormat builtin;
        builtin.setForeground(QColor(0x0e, 0x74, 0x90));
        m_rules.push_back(
            { QRegularExpression(QStringLiteral(
                  "\\b(torch|ops|self|int|float|bool|str|List|Dict|Optional|Tuple|Tensor|"
                  "len|range|print|isinstance|annotate|unchecked_cast|CONSTANTS)\\b")),
                builtin });
        QTextCharFormat number;
        number.setForeground(QColor(0xb4, 0x53, 0x09));
        m_rules.push_back(
            { QRegularExpression(QStringLiteral("\\b[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?\\b")),
                number });
        QTextCharFormat decorator;
        decorator.setForeground(QColor(0x6b, 0x72, 0x80));
        m_rules.push_back({ QRegularExpression(QStringLiteral("^\\s*@[\\w.]+")), decorator });
        m_string.setForeground(QColor(0x15, 0x80, 0x3d));
        m_rules.push_back({ QRegularExpression(QStringLiteral(
                                "\"[^\"\\\\]*(\\\\.[^\"\\\\]*)*\"|'[^'\\\\]*(\\\\.[^'\\\\]*)*'")),
            m_string });
        m_comment.setForeground(QColor(0x6b, 0x72, 0x80));
        m_comment.setFontItalic(true);
        m_rules.push_back({ QRegularExpression(QStringLiteral("#[^\\n]*")), m_comment });
    }

protected:
    void highlightBlock(const QString& text) override
    {
        for (const Rule& rule : m_rules) {
            auto it = rule.pattern.globalMatch(text);
            while (it.hasNext()) {
                const auto m = it.next();
                setFormat(int(m.capturedStart()), int(m.capturedLength()), rule.format);
            }
        }
        // Triple-quoted strings (docstrings) across lines.
        static const QRegularExpression triple(QStringLiteral("\"\"\"|'''"));
        int start = 0;
        if (previousBlockState() != 1) {
            const auto m = triple.match(text);
            start = m.hasMatch() ? int(m.capturedStart()) : -1;
        }
        setCurrentBlockState(0);
        while (start >= 0) {
            const auto end
                = triple.match(text, start + (previousBlockState() == 1 && start == 0 ? 0 : 3));
            int length = 0;
            if (!end.hasMatch()) {
                setCurrentBlockState(1);
                length = int(text.size()) - start;
            } else {
                length = int(end.capturedEnd()) - start;
            }
            setFormat(start, length, m_string);
            const auto next = triple.match(text, start + length);
            start = next.hasMatch() && length > 0 ? int(next.capturedStart()) : -1;
        }
    }

private:
    struct Rule {
        QRegularExpression pattern;
        QTextCharFormat format;
    };
    std::vector<Rule> m_rules;
    QTextCharFormat m_string;
    QTextCharFormat m_comment;
};

} // namespace

CodePane::CodePane(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_members = new QComboBox(this);
    m_members->setObjectName(QStringLiteral("codeMembers"));
    m_empty = new QLabel(tr("This file holds no TorchScript code."), this);
    m_empty->setAlignment(Qt::AlignCenter);
    m_text = new QPlainTextEdit(this);
    m_text->setObjectName(QStringLiteral("codeText"));
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    new PythonHighlighter(m_text->document());
    layout->addWidget(m_members);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_empty, 1);
    connect(m_members, &QComboBox::currentTextChanged, this, [this](const QString& name) {
        if (!name.isEmpty())
            showMember(name);
    });
    setDocument(nullptr);
}

void CodePane::setDocument(std::shared_ptr<const core::Document> doc)
{
    m_doc = std::move(doc);
    const QSignalBlocker block(m_members);
    m_members->clear();
    m_text->clear();
    if (m_doc)
        for (const core::ArchiveEntry& entry : m_doc->entries) {
            const std::string_view name = core::torch::memberShortName(entry.name);
            if (name.rfind("code/", 0) == 0 && name.size() > 3
                && name.substr(name.size() - 3) == ".py")
                m_members->addItem(QString::fromUtf8(name.data(), qsizetype(name.size())));
        }
    const bool any = m_members->count() > 0;
    m_members->setVisible(any);
    m_text->setVisible(any);
    m_empty->setVisible(!any);
    if (any)
        showMember(m_members->itemText(0));
}

bool CodePane::showMember(const QString& name)
{
    if (!m_doc)
        return false;
    auto bytes
        = core::torch::readArchiveMember(*m_doc, name.toStdString(), std::uint64_t(64) << 20);
    if (!bytes.ok()) {
        m_text->setPlainText(QString::fromStdString(bytes.error().toString()));
        return false;
    }
    const QSignalBlocker block(m_members);
    m_members->setCurrentText(name);
    m_text->setPlainText(
        QString::fromUtf8(reinterpret_cast<const char*>(bytes->data()), qsizetype(bytes->size())));
    return true;
}

QString CodePane::currentMember() const
{
    return m_members->currentText();
}

QString CodePane::text() const
{
    return m_text->toPlainText();
}

int CodePane::memberCount() const
{
    return m_members->count();
}

} // namespace ui
