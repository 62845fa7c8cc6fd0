// The Code tab on a TorchScript archive (tests/data/formats/scripted_module.pt, torch.jit.save
// by gen_format_fixtures.py): the combo lists exactly the archive's code/*.py members, the text
// is each member's source as zipfile reads it (expectations.json), a highlighter is attached to
// the text's document and colours keywords; a document without code shows the empty label.

#include "core/loader.h"
#include "ui/code_pane.h"

#include <QComboBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSyntaxHighlighter>
#include <QTextBlock>
#include <QTextLayout>
#include <QtTest>

namespace {

const QString kDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/formats/");

QJsonObject members()
{
    QFile f(kDir + "expectations.json");
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no expectations.json");
    return QJsonDocument::fromJson(f.readAll())
        .object()["scripted_module.pt"]
        .toObject()["members"]
        .toObject();
}

} // namespace

class TestCodePane : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void listsTheCodeMembersAndShowsTheirSource()
    {
        auto loaded = core::loadFile((kDir + "scripted_module.pt").toStdString());
        QVERIFY(loaded.ok());
        ui::CodePane pane;
        pane.resize(600, 400);
        pane.setDocument(loaded.value());
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));

        QStringList want;
        const QJsonObject all = members();
        for (auto it = all.begin(); it != all.end(); ++it)
            if (it.key().startsWith("code/") && it.key().endsWith(".py"))
                want << it.key();
        QCOMPARE(want.size(), 2);
        auto* combo = pane.findChild<QComboBox*>(QStringLiteral("codeMembers"));
        QVERIFY(combo != nullptr);
        QVERIFY(combo->isVisible());
        QStringList listed;
        for (int i = 0; i < combo->count(); ++i)
            listed << combo->itemText(i);
        listed.sort();
        want.sort();
        QCOMPARE(listed, want);
        QCOMPARE(pane.memberCount(), want.size());

        auto* text = pane.findChild<QPlainTextEdit*>(QStringLiteral("codeText"));
        QVERIFY(text != nullptr);
        for (const QString& name : want) {
            combo->setCurrentText(name); // as the user picks it
            QCOMPARE(pane.currentMember(), name);
            QCOMPARE(text->toPlainText(), all[name].toObject()["text"].toString());
            QCOMPARE(pane.text(), text->toPlainText());
        }

        // a highlighter is attached and has formatted the keyword of the first line ("class")
        QVERIFY(text->document()->findChild<QSyntaxHighlighter*>() != nullptr);
        pane.showMember(QStringLiteral("code/__torch__.py"));
        const QTextBlock first = text->document()->firstBlock();
        QVERIFY(first.text().startsWith(QStringLiteral("class ")));
        const auto formats = first.layout()->formats();
        QVERIFY(std::any_of(formats.begin(), formats.end(), [](const QTextLayout::FormatRange& r) {
            return r.start == 0 && r.length == 5 && r.format.fontWeight() == QFont::Bold;
        }));
        QVERIFY(!pane.showMember(QStringLiteral("code/none.py")));
    }

    void showsTheEmptyLabelWithoutCode()
    {
        auto loaded = core::loadFile((kDir + "arrays_plain.joblib").toStdString());
        QVERIFY(loaded.ok());
        ui::CodePane pane;
        pane.setDocument(loaded.value());
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QCOMPARE(pane.memberCount(), 0);
        QVERIFY(!pane.findChild<QComboBox*>(QStringLiteral("codeMembers"))->isVisible());
        const auto labels = pane.findChildren<QLabel*>();
        QVERIFY(
            std::any_of(labels.begin(), labels.end(), [](QLabel* l) { return l->isVisible(); }));
    }
};

QTEST_MAIN(TestCodePane)
#include "tst_code_pane.moc"
