// core::compare::compareDocuments on the generator's pairs (gen_compare_fixtures.py): results do
// not depend on the number of threads, tied weights are compared once, --under/--strip-prefix
// pair a Lightning state dict with a bare one, and reprs follow the values mode.

#include "core/compare/document_compare.h"
#include "core/loader.h"

#include <QTest>

namespace {

std::shared_ptr<const core::Document> load(const char* name)
{
    auto loaded = core::loadFile(std::string(PICKLESCOPE_TEST_DATA "/compare/") + name);
    return loaded.ok() ? std::shared_ptr<const core::Document>(std::move(loaded).value()) : nullptr;
}

const core::compare::Entry* find(const core::compare::Comparison& c, const std::string& path)
{
    for (const auto& e : c.entries)
        if (e.path == path)
            return &e;
    return nullptr;
}

} // namespace

class TestDocumentCompare : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void givesTheSameAnswerOnOneThreadAndOnMany()
    {
        const auto a = load("perturbed_a.pt"), b = load("perturbed_b.pt");
        QVERIFY(a && b);
        core::compare::CompareOptions one, many;
        one.threads = 1;
        many.threads = 4;
        auto x = core::compare::compareDocuments(a, b, one);
        auto y = core::compare::compareDocuments(a, b, many);
        QVERIFY(x.ok() && y.ok());
        QCOMPARE(x->entries.size(), y->entries.size());
        for (std::size_t i = 0; i < x->entries.size(); ++i) {
            QCOMPARE(x->entries[i].status, y->entries[i].status);
            QCOMPARE(x->entries[i].maxAbs, y->entries[i].maxAbs);
            QCOMPARE(x->entries[i].mismatched, y->entries[i].mismatched);
            QCOMPARE(x->entries[i].firstMismatch, y->entries[i].firstMismatch);
        }
        QCOMPARE(x->count(core::compare::Status::Changed), 2u);
        QVERIFY(x->hasDifferences());
    }

    void comparesTiedWeightsOnce()
    {
        const auto a = load("shared_a.pt"), b = load("shared_b.pt");
        auto c = core::compare::compareDocuments(a, b);
        QVERIFY(c.ok());
        const auto* embed = find(*c, "$['embed.weight']");
        const auto* head = find(*c, "$['head.weight']");
        QVERIFY(embed && head);
        QCOMPARE(head->sharedWith, std::string("$['embed.weight']"));
        QCOMPARE(head->bytes, 0u);
        QCOMPARE(embed->bytes, 2u * 24 * 4);
        QCOMPARE(c->tensorsCompared, 2u); // embed/head once, first_rows once
        QCOMPARE(head->status, core::compare::Status::Changed);
    }

    void pairsALightningStateDictWithABareOne()
    {
        const auto a = load("lightning_a.pt"), b = load("lightning_b.pt");
        core::compare::CompareOptions options;
        auto plain = core::compare::compareDocuments(a, b, options);
        QVERIFY(plain.ok());
        QVERIFY(plain->count(core::compare::Status::OnlyA) > 0);
        options.under = "$['state_dict']";
        options.stripPrefix = "model.";
        auto paired = core::compare::compareDocuments(a, b, options);
        QVERIFY(paired.ok());
        QVERIFY(!paired->hasDifferences());
        QVERIFY(find(*paired, "$['fc.weight']") != nullptr);
        options.under = "$['nowhere']";
        QVERIFY(!core::compare::compareDocuments(a, b, options).ok());
    }

    void findsAFileTheSameAsItself_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("numpy object and structured arrays") << "torch/numpy_arrays_p4.pkl";
        QTest::newRow("a structured (void) array in a plain pickle")
            << "safety/benign/numpy_p4.pkl";
        QTest::newRow("meta tensors, which have no elements") << "torch/meta_zip.pt";
        QTest::newRow("a training checkpoint with optimizer state") << "compare/model_ckpt.pt";
    }
    void findsAFileTheSameAsItself()
    {
        QFETCH(QString, file);
        auto loaded = core::loadFile(std::string(PICKLESCOPE_TEST_DATA "/") + file.toStdString());
        auto again = core::loadFile(std::string(PICKLESCOPE_TEST_DATA "/") + file.toStdString());
        QVERIFY(loaded.ok() && again.ok());
        auto c
            = core::compare::compareDocuments(std::move(loaded).value(), std::move(again).value());
        QVERIFY(c.ok());
        for (const auto& e : c->entries)
            QVERIFY2(e.status == core::compare::Status::Same, (e.path + " " + e.note).c_str());
        QVERIFY(!c->hasDifferences());
    }

    void showsValuesAsTheModeAsks_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<QString>("repr");
        QTest::newRow("none leaves reprs out") << int(core::compare::ValuesMode::None) << "";
        QTest::newRow("summary gives the short Python repr")
            << int(core::compare::ValuesMode::Summary) << "0.01";
        QTest::newRow("full gives the whole repr")
            << int(core::compare::ValuesMode::Full) << "0.01";
    }
    void showsValuesAsTheModeAsks()
    {
        QFETCH(int, mode);
        QFETCH(QString, repr);
        core::compare::CompareOptions options;
        options.values = static_cast<core::compare::ValuesMode>(mode);
        auto c
            = core::compare::compareDocuments(load("hparams_a.pt"), load("hparams_b.pt"), options);
        QVERIFY(c.ok());
        const auto* lr = find(*c, "$['hparams']['lr']");
        QVERIFY(lr);
        QCOMPARE(lr->status, core::compare::Status::Changed);
        QCOMPARE(QString::fromStdString(lr->b.repr), repr);
        QCOMPARE(lr->a.type, std::string("float"));
    }
};

QTEST_APPLESS_MAIN(TestDocumentCompare)
#include "tst_document_compare.moc"
