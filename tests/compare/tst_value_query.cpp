// The query language (core::compare::ValueQuery): on the generator's checkpoints every query
// selects exactly the access paths that Python's own predicates select (queries.json, written
// by gen_compare_fixtures.py); bad queries are errors that say where.

#include "core/compare/value_query.h"
#include "core/loader.h"
#include "core/value/access_path.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

namespace {

QJsonArray queries()
{
    QFile file(QStringLiteral(PICKLESCOPE_TEST_DATA "/compare/queries.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object().value("queries").toArray();
}

QStringList selected(const QString& file, const QString& text)
{
    auto loaded
        = core::loadFile(std::string(PICKLESCOPE_TEST_DATA "/compare/") + file.toStdString());
    if (!loaded.ok())
        return { "load failed" };
    auto query = core::compare::ValueQuery::parse(text.toStdString());
    if (!query.ok())
        return { QString::fromStdString(query.error().message) };
    const auto& doc = *loaded.value();
    QStringList out;
    core::walkAccessPaths(doc.graph, doc.root, "$", [&](core::ValueId id, const std::string& path) {
        if (query->matches(doc.graph, id, path))
            out << QString::fromStdString(path);
        return true;
    });
    return out;
}

} // namespace

class TestValueQuery : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void selectsThePathsPythonSelects_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("query");
        QTest::addColumn<QStringList>("paths");
        const QJsonArray all = queries();
        QVERIFY(all.size() >= 20);
        const QHash<QString, QString> sentences {
            { "dtype:float16", "dtype:float16 finds the half-precision tensors" },
            { "dtype:FLOAT*", "a dtype glob is case-insensitive" },
            { "shape:[*,36]", "* in a shape stands for one dimension" },
            { "shape:[4,...]", "... in a shape stands for any number of dimensions" },
            { "shape:[...,3,3]", "... can lead a shape pattern" },
            { "shape:[]", "shape:[] finds 0-d tensors" },
            { "numel:>100", "numel:>N compares the element count" },
            { "numel:<=4", "numel:<=N includes N" },
            { "numel:1e0", "a bare numel is an equality, in e notation too" },
            { "name:*bias*", "name globs the access path" },
            { "name:*weight* -dtype:float32",
                "a leading minus negates a term and spaces join terms" },
            { "type:tensor numel:<10 | name:*lr*", "| joins alternatives of and-ed terms" },
            { "class:*dict", "class globs the type label (dict and OrderedDict)" },
            { "type:float", "type matches the value's kind" },
            { "resnet", "plain text matches paths and one-line summaries" },
            { "-type:tensor -class:*dict", "two negations select everything else" },
        };
        for (const auto& v : all) {
            const QJsonObject q = v.toObject();
            QStringList paths;
            for (const auto& p : q.value("paths").toArray())
                paths << p.toString();
            const QString query = q.value("query").toString();
            const QString sentence
                = sentences.value(query, query) + " (" + q.value("file").toString() + ")";
            QTest::newRow(qPrintable(sentence)) << q.value("file").toString() << query << paths;
        }
    }
    void selectsThePathsPythonSelects()
    {
        QFETCH(QString, file);
        QFETCH(QString, query);
        QFETCH(QStringList, paths);
        QCOMPARE(selected(file, query), paths);
    }

    void findsGlobalsByTheirSafetyVerdict()
    {
        // gen_malicious.py: {'weights': [0.5, 1.5], 'x': os.system('echo pwned')} at protocol 0
        const QString file = QStringLiteral("../safety/malicious/os_system_p0.pkl");
        QCOMPARE(selected(file, "safety:dangerous"), QStringList { "$['x']" });
        QCOMPARE(selected(file, "safety:safe"), QStringList {});
        QCOMPARE(selected(file, "-safety:dangerous type:object"), QStringList {});
    }

    void anEmptyQueryMatchesEverything()
    {
        auto q = core::compare::ValueQuery::parse("   ");
        QVERIFY(q.ok());
        QVERIFY(q->empty());
    }

    void saysWhereAQueryIsWrong_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("message");
        QTest::newRow("an unknown key is named with its column") << "dtyp:float16"
                                                                 << "unknown key 'dtyp' at 1";
        QTest::newRow("the column counts from the start of the query")
            << "fc numel:>3 sahpe:[1]"
            << "unknown key 'sahpe' at 13";
        QTest::newRow("a key needs a value") << "dtype:"
                                             << "'dtype:' needs a value at 7";
        QTest::newRow("numel needs a number") << "numel:>big"
                                              << "numel needs a number like >1e6, not '>big' at 7";
        QTest::newRow("a shape needs brackets")
            << "shape:4096"
            << "shape needs brackets like [*,4096], not '4096' at 7";
        QTest::newRow("a shape dimension must be a number, * or ...")
            << "shape:[*,x]"
            << "shape dimension 'x' is not a number, * or ... at 10";
        QTest::newRow("safety takes one of three verdicts")
            << "safety:evil"
            << "safety is safe, unknown or dangerous, not 'evil' at 8";
        QTest::newRow("| needs a term after it") << "fc |"
                                                 << "'|' needs a term after it at 4";
        QTest::newRow("| needs a term before it") << "| fc"
                                                  << "'|' needs a term before it at 1";
    }
    void saysWhereAQueryIsWrong()
    {
        QFETCH(QString, query);
        QFETCH(QString, message);
        auto q = core::compare::ValueQuery::parse(query.toStdString());
        QVERIFY(!q.ok());
        QCOMPARE(QString::fromStdString(q.error().message), message);
    }

    void globsWithStarsAndQuestionMarks_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("matches");
        QTest::newRow("a star matches any run") << "*attn*"
                                                << "$['blocks.0.attn.q']" << true;
        QTest::newRow("a question mark matches one character") << "float?6"
                                                               << "float16" << true;
        QTest::newRow("the whole text must match") << "attn"
                                                   << "self_attn" << false;
        QTest::newRow("case does not matter") << "*ATTN*"
                                              << "attn" << true;
        QTest::newRow("stars backtrack") << "*a*b*c"
                                         << "aXbYaZbc" << true;
    }
    void globsWithStarsAndQuestionMarks()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, text);
        QFETCH(bool, matches);
        QCOMPARE(core::compare::globMatch(pattern.toStdString(), text.toStdString()), matches);
    }
};

QTEST_APPLESS_MAIN(TestValueQuery)
#include "tst_value_query.moc"
