#pragma once

// Export JSON from the window: the options dialog and the export itself, on a worker with
// core::writeJson (the writer `picklescope-cli json` uses). Builds whose core has no JSON writer
// yet run `picklescope-cli json` as a child process instead. Either way the UI never blocks.

#include "core/value/document.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QObject>
#include <QString>

class QComboBox;
class QProcess;
class QRadioButton;

namespace ui {

struct JsonExportOptions {
    bool plain = false;
    QString tensorData = QStringLiteral("summary"); // none | summary | full
};

class JsonExportDialog : public QDialog {
    Q_OBJECT
public:
    explicit JsonExportDialog(QWidget* parent = nullptr);
    JsonExportOptions options() const;
    void setOptions(const JsonExportOptions& options);

private:
    QRadioButton* m_typed;
    QRadioButton* m_plain;
    QComboBox* m_tensorData;
};

class JsonExporter : public QObject {
    Q_OBJECT
public:
    explicit JsonExporter(QObject* parent = nullptr);
    ~JsonExporter() override;

    // The CLI executable: $PICKLESCOPE_CLI, else picklescope-cli next to this executable.
    static QString cliPath();
    void start(std::shared_ptr<const core::Document> doc, const QString& input, const QString& output,
        const JsonExportOptions& options);
    // Whether the JSON writer is linked in (else the CLI is used).
    static bool inProcess();
    bool isRunning() const;

Q_SIGNALS:
    void finished(const QString& output, const QString& error); // error empty on success

private:
    QProcess* m_process = nullptr;
    QFutureWatcher<QString> m_watcher;
    QString m_output;
};

} // namespace ui
