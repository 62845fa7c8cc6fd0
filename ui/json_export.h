#pragma once

// Export JSON from the window: the options dialog and the export itself, on a worker with
// core::writeJson (the writer `picklescope-cli json` uses), so the UI never blocks. The export
// reports progress, can be cancelled, and writes through a QSaveFile: a cancelled or failed
// export leaves no partial file (an existing file of that name is kept as it was).

#include "core/value/document.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QObject>
#include <QString>

class QComboBox;
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

    void start(std::shared_ptr<const core::Document> doc, const QString& output, const JsonExportOptions& options);
    bool isRunning() const;
    // Stops the running export (finished() then reports "cancelled").
    void cancel();

    static constexpr int kProgressMax = 1000;

Q_SIGNALS:
    void finished(const QString& output, const QString& error); // error empty on success
    void progressChanged(int value); // 0..kProgressMax

private:
    QFutureWatcher<QString> m_watcher;
    QString m_output;
};

} // namespace ui
