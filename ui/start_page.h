#pragma once

// What the window shows with no file: open, the bundled sample checkpoint, recent files.

#include <QWidget>

class QListWidget;
class QPushButton;

namespace ui {

class StartPage : public QWidget {
    Q_OBJECT
public:
    explicit StartPage(QWidget* parent = nullptr);

    void setRecentFiles(const QStringList& files);
    void setSampleAvailable(bool available);
    QListWidget* recentList() const { return m_recent; }

Q_SIGNALS:
    void openRequested();
    void sampleRequested();
    void recentRequested(const QString& path);

private:
    QPushButton* m_sample;
    QListWidget* m_recent;
};

} // namespace ui
