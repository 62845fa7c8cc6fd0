#pragma once

// The tensor preview pane for Tensor and NdArray values: dtype, shape, stride, storage and bytes;
// statistics and a histogram computed off the UI thread with progress; a 2-D slice as a value
// table (row/column axis pickers, one slider per other axis) and as a heatmap; export to .npy.
//
// A tensor of a remote file (HTTP) reads nothing on the UI thread: the pane shows a window of at
// most kWindowRows x kWindowColumns of the slice, read on a worker (only its pages are fetched;
// "Reading … (N KiB fetched)" meanwhile; a newer selection or window drops an older read), and
// computes whole-tensor statistics only when asked ("Compute statistics — fetches X"), on a
// worker, with the bytes fetched so far and Cancel.

#include "ui/document_index.h"
#include "ui/remote_slice.h"
#include "ui/selection.h"
#include "ui/tensor_slice_model.h"

#include "core/torch/tensor_view.h"

#include <QFutureWatcher>
#include <QTimer>
#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QGridLayout;

namespace ui {

class HeatmapWidget;
class HistogramWidget;

struct TensorStatsOutcome {
    std::optional<core::torch::TensorStats> stats; // complex: the magnitudes |z|
    std::optional<core::torch::TensorView::ComplexStats> complex; // complex dtypes only
    std::vector<std::uint64_t> histogram; // 64 bins over [min, max]
    QString error;
};

class TensorPreview : public QWidget {
    Q_OBJECT
public:
    static constexpr int kHistogramBins = 64;

    explicit TensorPreview(QWidget* parent = nullptr);
    ~TensorPreview() override;

    void setDocument(const LoadedFile& file);
    void setSelection(const Selection& selection);
    // Shows a Tensor/NdArray value; returns false (and shows why) when it cannot be read.
    bool showValue(core::ValueId id);
    core::ValueId value() const { return m_value; }
    const LoadedFile& file() const { return m_file; }
    bool hasTensor() const { return m_view.has_value(); }
    // The shown tensor's storage bytes are not in the file (a cut or damaged checkpoint).
    bool isDataMissing() const { return m_dataMissing; }
    QString infoText() const;

    TensorSliceModel* sliceModel() const { return m_slice; }
    HeatmapWidget* heatmap() const { return m_heatmap; }
    void setAxes(int rowAxis, int colAxis);
    // Complex tensors: which part the heatmap draws (the table always shows 1+2j).
    void setComplexPart(TensorSliceModel::Part part);
    QComboBox* complexPartBox() const { return m_part; }
    QString statsText() const;
    // The statistics of the shown tensor, once computed.
    const std::optional<TensorStatsOutcome>& lastStats() const { return m_lastStats; }
    void setFixedIndex(int axis, std::int64_t index);
    // Writes the shown tensor as .npy (on a worker; tensorExported() tells the outcome).
    void exportNpy(const QString& path);
    // Stops a running export: nothing is written (tensorExported(path, "cancelled")).
    void cancelExport();
    bool isExporting() const;

    // --- remote tensors ---
    static constexpr int kWindowRows = 128, kWindowColumns = 128;
    // The shown tensor's bytes come from a remote file (read on workers, window by window).
    bool isRemote() const { return m_remote != nullptr; }
    bool isReading() const; // a window read in flight
    // The line above the table: "Reading rows 0–127, … (12.0 KiB fetched)", "Rows 0–127 …".
    QString remoteText() const;
    // Moves the window to start at this row / column of the slice (and reads it).
    void setWindowStart(std::int64_t row, std::int64_t column);
    // Abandons the window read and the statistics in flight (their results are dropped).
    void cancelReading();
    // Remote: computes the whole tensor's statistics (what the "Compute statistics" button does).
    void computeStats();
    QPushButton* statsButton() const { return m_statsButton; }

Q_SIGNALS:
    void statsFinished(bool ok);
    void tensorExported(const QString& path, const QString& error);
    void exportProgressChanged(int permille); // 0..1000 while exporting
    void selectionRequested(const ui::Selection& selection);
    // A remote window arrived (ok) or failed; the table and heatmap show it.
    void sliceRead(bool ok);

private:
    void showMessage(const QString& text);
    void rebuildControls();
    void refreshSlice();
    void drawHeatmap();
    void requestWindow();
    void onWindowRead();
    void updateRemoteNote();
    void showStatsOffer();
    void dropReads();
    void startStats();
    void onStatsFinished();
    void applyStatsRange();

    LoadedFile m_file;
    core::ValueId m_value = core::kNullValue;
    std::optional<core::torch::TensorView> m_view;
    quint64 m_generation = 0;
    bool m_dataMissing = false;

    QStackedWidget* m_stack;
    QLabel* m_placeholder;
    QLabel* m_title;
    QLabel* m_info;
    QLabel* m_stats;
    QProgressBar* m_statsProgress;
    QPushButton* m_export;
    QWidget* m_partBox;
    QComboBox* m_part;
    std::optional<TensorStatsOutcome> m_lastStats;
    QWidget* m_axesBox;
    QComboBox* m_rowAxis;
    QComboBox* m_colAxis;
    QWidget* m_slidersBox;
    QGridLayout* m_slidersLayout;
    std::vector<QSlider*> m_sliders;
    QTabWidget* m_tabs;
    QTableView* m_table;
    TensorSliceModel* m_slice;
    HeatmapWidget* m_heatmap;
    HistogramWidget* m_histogram;
    QFutureWatcher<TensorStatsOutcome> m_statsWatcher;
    QFutureWatcher<QString> m_exportWatcher;
    QString m_exportPath;

    const core::ByteSource* m_remote = nullptr; // the source the shown tensor is fetched from
    std::shared_ptr<const SliceWindowData> m_window; // the window shown (remote)
    SliceWindow m_pendingWindow; // the window being read
    quint64 m_windowGeneration = 0;
    std::uint64_t m_windowFetchBase = 0, m_statsFetchBase = 0;
    bool m_statsCancelled = false;
    QFutureWatcher<SliceWindowData> m_windowWatcher;
    QTimer m_fetchTimer; // refreshes "N KiB fetched" while a remote read runs
    QWidget* m_remoteBox;
    QLabel* m_remoteNote;
    QSpinBox* m_rowFrom;
    QSpinBox* m_colFrom;
    QPushButton* m_remoteCancel;
    QPushButton* m_statsButton;
};

} // namespace ui
