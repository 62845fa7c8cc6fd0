// The machine's values against CPython's: every fixture of tests/data/pickle whose repr CPython
// captured at generation time (and that holds no plain objects, which Python prints with an
// address) must render to the same repr. Optionally the same over gopickle's inline vectors.

#include "core/loader.h"
#include "tests/common/python_repr.h"
#include "tests/common/shared_data.h"

#include <QtTest>

using namespace core;

namespace {

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

struct Row {
    QString name;
    LoadOptions options;
    bool loads = false;
};

QList<Row> manifest(const QString& dir)
{
    QList<Row> rows;
    const QList<QByteArray> lines = readAll(dir + "/MANIFEST.tsv").split('\n');
    for (int i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> cols = lines[i].split('\t');
        if (cols.size() < 5)
            continue;
        Row row;
        row.name = QString::fromUtf8(cols[0]);
        const QByteArray enc = cols[2];
        row.options.encoding = enc == "latin1" ? Py2Encoding::Latin1 : enc == "bytes" ? Py2Encoding::Bytes : Py2Encoding::Ascii;
        row.options.fixImports = cols[3] != "0";
        row.loads = cols[4] == "yes";
        rows.append(row);
    }
    return rows;
}

} // namespace

class TestMachineConformance : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesCPythonRepr()
    {
        const QString dir = QStringLiteral(PICKLESCOPE_TEST_DATA "/pickle");
        int compared = 0, skipped = 0;
        QStringList mismatches;
        for (const Row& row : manifest(dir)) {
            const QString pkl = dir + "/" + row.name + ".pkl";
            const QString reprPath = dir + "/" + row.name + ".repr";
            auto doc = loadFile(pkl.toStdString(), row.options);
            QVERIFY2(doc.ok(), qPrintable(row.name));
            if (!row.loads || !QFile::exists(reprPath)) {
                // CPython refused it (or needs classes it cannot import): we must still load
                // unless CPython's failure was in the bytes themselves.
                continue;
            }
            QVERIFY2(!(*doc)->error, qPrintable(row.name + ": " + QString::fromStdString((*doc)->error ? (*doc)->error->toString() : "")));
            std::string ours;
            if (!testing::pythonRepr((*doc)->graph, (*doc)->root, ours)) {
                ++skipped;
                continue;
            }
            const QByteArray expected = readAll(reprPath).trimmed();
            if (QByteArray::fromStdString(ours) != expected)
                mismatches << row.name + "\n  ours:    " + QString::fromStdString(ours).left(300) + "\n  cpython: " + QString::fromUtf8(expected).left(300);
            ++compared;
        }
        qInfo("compared %d fixtures with CPython's repr, %d hold objects and were skipped", compared, skipped);
        QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.join('\n')));
        QVERIFY(compared >= 100);
    }

    void loadsGopickleVectors()
    {
        const QString dir = testdata::sharedDir() + "/gopickle-testdata/pickle/inline-vectors";
        PS_REQUIRE_SHARED_DATA(QFile::exists(dir + "/MANIFEST.tsv"), dir + "/MANIFEST.tsv");
        const QList<QByteArray> lines = readAll(dir + "/MANIFEST.tsv").split('\n');
        int compared = 0, loaded = 0;
        QStringList mismatches;
        for (int i = 1; i < lines.size(); ++i) {
            const QList<QByteArray> cols = lines[i].split('\t');
            if (cols.size() < 5)
                continue;
            LoadOptions options;
            options.encoding = Py2Encoding::Latin1;
            auto doc = loadFile((dir + "/" + QString::fromUtf8(cols[0])).toStdString(), options);
            QVERIFY(doc.ok());
            const QByteArray expected = cols[4];
            if (expected.startsWith("ERROR")) {
                QVERIFY2((*doc)->error.has_value(), cols[0].constData());
                continue;
            }
            QVERIFY2(!(*doc)->error, qPrintable(QString::fromUtf8(cols[0]) + ": " + QString::fromStdString((*doc)->error ? (*doc)->error->toString() : "")));
            ++loaded;
            std::string ours;
            if (!testing::pythonRepr((*doc)->graph, (*doc)->root, ours))
                continue;
            ++compared;
            if (QByteArray::fromStdString(ours) != expected)
                mismatches << QString::fromUtf8(cols[0]) + ": ours " + QString::fromStdString(ours) + " cpython " + QString::fromUtf8(expected);
        }
        qInfo("%d vectors loaded, %d compared with CPython's repr", loaded, compared);
        QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.join('\n')));
    }
};

QTEST_APPLESS_MAIN(TestMachineConformance)
#include "tst_machine_conformance.moc"
