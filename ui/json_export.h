#pragma once

// Export JSON from the window: the options dialog and the export itself, which runs
// `picklescope-cli json` (the same writer the CLI uses) as a child process, so the UI never blocks.

#include <QDialog>
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
    void start(const QString& input, const QString& output, const JsonExportOptions& options);
    bool isRunning() const;

Q_SIGNALS:
    void finished(const QString& output, const QString& error); // error empty on success

private:
    QProcess* m_process = nullptr;
    QString m_output;
};

} // namespace ui
