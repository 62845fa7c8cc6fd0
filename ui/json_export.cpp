#include "ui/json_export.h"

#include "core/export/json_writer.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QPromise>
#include <QPushButton>
#include <QRadioButton>
#include <QSaveFile>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace ui {

JsonExportDialog::JsonExportDialog(QWidget* parent)
    : QDialog(parent)
    , m_typed(new QRadioButton(tr("Typed (lossless, schema version 1)"), this))
    , m_plain(new QRadioButton(tr("Plain (for people and jq)"), this))
    , m_tensorData(new QComboBox(this))
{
    setWindowTitle(tr("Export JSON"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    auto* forms = new QVBoxLayout;
    forms->addWidget(m_typed);
    forms->addWidget(m_plain);
    m_typed->setChecked(true);
    form->addRow(tr("Form:"), forms);
    m_tensorData->addItem(tr("None"), QStringLiteral("none"));
    m_tensorData->addItem(tr("Summary (min, max, mean, first values)"), QStringLiteral("summary"));
    m_tensorData->addItem(tr("Full (every value)"), QStringLiteral("full"));
    m_tensorData->setCurrentIndex(1);
    form->addRow(tr("Tensor data:"), m_tensorData);
    layout->addLayout(form);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Export…"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

JsonExportOptions JsonExportDialog::options() const
{
    JsonExportOptions o;
    o.plain = m_plain->isChecked();
    o.tensorData = m_tensorData->currentData().toString();
    return o;
}

void JsonExportDialog::setOptions(const JsonExportOptions& options)
{
    (options.plain ? m_plain : m_typed)->setChecked(true);
    const int i = m_tensorData->findData(options.tensorData);
    if (i >= 0)
        m_tensorData->setCurrentIndex(i);
}

JsonExporter::JsonExporter(QObject* parent)
    : QObject(parent)
{
    connect(&m_watcher, &QFutureWatcher<QString>::finished, this, [this] {
        Q_EMIT finished(m_output, m_watcher.future().resultCount() ? m_watcher.result() : tr("cancelled"));
    });
    connect(&m_watcher, &QFutureWatcher<QString>::progressValueChanged, this,
        &JsonExporter::progressChanged);
}

void JsonExporter::cancel()
{
    m_watcher.cancel();
}

namespace {

// The writer's progress and cancel, from the QPromise of the export.
class ExportObserver final : public core::LoadObserver {
public:
    explicit ExportObserver(QPromise<QString>& promise)
        : m_promise(promise)
    {
    }
    bool isCancelled() const override { return m_promise.isCanceled(); }
    void progress(std::uint64_t done, std::uint64_t total) override
    {
        if (total > 0)
            m_promise.setProgressValue(int(double(JsonExporter::kProgressMax)
                * double(std::min(done, total)) / double(total)));
    }

private:
    QPromise<QString>& m_promise;
};

class SaveFileSink final : public core::JsonSink {
public:
    explicit SaveFileSink(QSaveFile& file)
        : m_file(file)
    {
    }
    bool write(std::string_view text) override
    {
        return m_file.write(text.data(), qint64(text.size())) == qint64(text.size());
    }

private:
    QSaveFile& m_file;
};

} // namespace

JsonExporter::~JsonExporter()
{
    m_watcher.cancel();
    m_watcher.waitForFinished();
}

bool JsonExporter::isRunning() const
{
    return m_watcher.isRunning();
}

void JsonExporter::start(std::shared_ptr<const core::Document> doc, const QString& output, const JsonExportOptions& options)
{
    if (!doc) {
        Q_EMIT finished(output, tr("no file is open"));
        return;
    }
    if (isRunning()) {
        Q_EMIT finished(output, tr("an export is already running"));
        return;
    }
    m_output = output;
    core::JsonExportOptions o;
    o.plain = options.plain;
    o.tensorData = options.tensorData == QLatin1String("none") ? core::TensorDataMode::None
        : options.tensorData == QLatin1String("full")          ? core::TensorDataMode::Full
                                                               : core::TensorDataMode::Summary;
    o.indent = 1;
    m_watcher.setFuture(QtConcurrent::run([doc, output, o](QPromise<QString>& promise) {
        promise.setProgressRange(0, kProgressMax);
        QSaveFile file(output);
        if (!file.open(QIODevice::WriteOnly)) {
            promise.addResult(QObject::tr("cannot write %1: %2").arg(output, file.errorString()));
            return;
        }
        ExportObserver observer(promise);
        SaveFileSink sink(file);
        auto r = core::writeJson(doc, sink, o, &observer);
        if (promise.isCanceled()) {
            file.cancelWriting(); // nothing is written to `output`
            return;
        }
        if (!r.ok()) {
            file.cancelWriting();
            promise.addResult(QString::fromStdString(r.error().toString()));
            return;
        }
        promise.addResult(file.commit()
                ? QString()
                : QObject::tr("cannot write %1: %2").arg(output, file.errorString()));
    }));
}

} // namespace ui
