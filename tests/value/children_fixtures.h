#pragma once

// The fixtures of tests/value/gen_value_children.py (CPython's pickle and torch.save: shared
// values and cycles) with the walk over CPython's objects written beside them, for
// tst_value_children and tests/ui/tst_tree_marks; and the loading helper of the value suites.

#include "core/loader.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QtTest>

#include <memory>

namespace testing {

inline const QString kValueFixtureDir = QStringLiteral(PICKLESCOPE_TEST_DATA "/value/");

// The loaded document, or null when the file does not load.
inline std::shared_ptr<core::Document> loadDocument(const QString& path)
{
    auto loaded = core::loadFile(path.toStdString());
    return loaded.ok() ? loaded.value() : nullptr;
}

// The generator's record of a fixture (tests/data/value/<name>): {"appearances", "marks"}.
inline QJsonObject childrenExpectation(const QString& name)
{
    QFile file(kValueFixtureDir + name);
    return file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object()
                                          : QJsonObject();
}

struct ChildrenFixture {
    const char* row;
    const char* file;
    const char* expected; // the generator's walk over the objects it pickled
};
inline constexpr ChildrenFixture kChildrenFixtures[] = {
    { "a protocol 2 pickle of shared lists, tuples, bytearrays and four cycles", "children_p2.pkl",
        "children.expected.json" },
    { "the same objects at protocol 5", "children_p5.pkl", "children.expected.json" },
    { "a torch checkpoint with one tensor under two keys and a list holding itself",
        "shared_tensor.pt", "shared_tensor.expected.json" },
};

// Columns "file" and "expected" (both under tests/data/value), one row per fixture.
inline void addChildrenFixtureRows()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expected");
    for (const ChildrenFixture& f : kChildrenFixtures)
        QTest::newRow(f.row) << QString::fromLatin1(f.file) << QString::fromLatin1(f.expected);
}

} // namespace testing
