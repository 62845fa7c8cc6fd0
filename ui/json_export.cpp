#include "ui/json_export.h"

#if __has_include("core/export/json_writer.h")
#include "core/export/json_writer.h"
#define UI_HAS_JSON_WRITER 1
#else
#define UI_HAS_JSON_WRITER 0
#endif

#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QProcess>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cstdio>

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
}

bool JsonExporter::inProcess()
{
    return UI_HAS_JSON_WRITER;
}

JsonExporter::~JsonExporter()
{
    m_watcher.cancel();
    m_watcher.waitForFinished();
    if (m_process) {
        m_process->disconnect(this);
        m_process->kill();
        m_process->waitForFinished(2000);
    }
}

QString JsonExporter::cliPath()
{
    const QString env = qEnvironmentVariable("PICKLESCOPE_CLI");
    if (!env.isEmpty() && QFileInfo(env).isExecutable())
        return env;
    const QDir dir(QCoreApplication::applicationDirPath());
    for (const QString& candidate : { dir.filePath(QStringLiteral("picklescope-cli")),
             dir.filePath(QStringLiteral("../app/picklescope-cli")), dir.filePath(QStringLiteral("../../app/picklescope-cli")) }) {
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).absoluteFilePath();
    }
    return {};
}

bool JsonExporter::isRunning() const
{
    return (m_process && m_process->state() != QProcess::NotRunning) || m_watcher.isRunning();
}

void JsonExporter::start(std::shared_ptr<const core::Document> doc, const QString& input, const QString& output,
    const JsonExportOptions& options)
{
#if UI_HAS_JSON_WRITER
    if (doc) {
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
        m_watcher.setFuture(QtConcurrent::run([doc, output, o]() -> QString {
            std::FILE* f = std::fopen(QFile::encodeName(output).constData(), "wb");
            if (!f)
                return QObject::tr("cannot write %1").arg(output);
            core::FileJsonSink sink(f);
            auto r = core::writeJson(doc, sink, o);
            const bool closed = std::fclose(f) == 0;
            if (!r.ok())
                return QString::fromStdString(r.error().toString());
            return closed ? QString() : QObject::tr("cannot write %1").arg(output);
        }));
        return;
    }
#else
    (void)doc;
#endif
    const QString cli = cliPath();
    if (cli.isEmpty()) {
        Q_EMIT finished(output, tr("picklescope-cli was not found next to picklescope"));
        return;
    }
    if (isRunning()) {
        Q_EMIT finished(output, tr("an export is already running"));
        return;
    }
    delete m_process;
    m_process = new QProcess(this);
    m_output = output;
    QStringList args { QStringLiteral("json"), input, QStringLiteral("-o"), output, QStringLiteral("--tensor-data"),
        options.tensorData };
    if (options.plain)
        args << QStringLiteral("--plain");
    connect(m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        QString error;
        if (status != QProcess::NormalExit || code != 0) {
            error = QString::fromUtf8(m_process->readAllStandardError()).trimmed();
            if (error.isEmpty())
                error = tr("picklescope-cli json failed (exit code %1)").arg(code);
        }
        Q_EMIT finished(m_output, error);
    });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            Q_EMIT finished(m_output, tr("could not start picklescope-cli"));
    });
    m_process->start(cli, args);
}

} // namespace ui
