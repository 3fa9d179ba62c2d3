import Foundation
import PCA

/// `OUT/pca-report.html`: one standalone page (inline SVG and CSS, no scripts, nothing fetched from
/// the network) with the two plots, the explained-variance table, the counts, the errors by stage and
/// the run's settings, for people who open a report rather than files.
enum RunReportPage {
    static func html(summary: RunSummary, model: PCAModel, scree: String, scatter: String?) -> String {
        func cell(_ s: String) -> String { PCAPlots.escape(s) }
        func row(_ name: String, _ value: String) -> String { "<tr><th>\(cell(name))</th><td>\(cell(value))</td></tr>\n" }
        func inline(_ svg: String) -> String {
            // The XML declaration is not allowed inside HTML.
            svg.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("<?xml") }.joined(separator: "\n")
        }
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>imgfeat: \(cell(summary.input))</title>
        <style>body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px;color:#222}
        table{border-collapse:collapse;margin:8px 0 20px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}
        td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:0 0 20px}svg{max-width:100%;height:auto}</style>
        </head><body>
        <h1>imgfeat \(cell(summary.command)): \(cell(summary.input))</h1>

        """
        page += "<h2>Counts</h2>\n<table>\n"
        page += row("images listed", String(summary.listed)) + row("featurized", String(summary.featurized))
        page += row("unusable", String(summary.errors))
        if let processed = summary.imagesProcessed {
            page += row("processed in this attempt", String(processed) + " (\(summary.imagesResumed ?? 0) resumed)")
        }
        page += row("rate", String(format: "%.1f img/s", summary.imagesPerSecond))
        page += row("time", String(format: "%.1f s", summary.secondsPerStage.total))
        page += "</table>\n<h2>Errors by stage</h2>\n"
        if summary.errorsByStage.isEmpty {
            page += "<p>none</p>\n"
        } else {
            page += "<table><tr><th>stage</th><th>inputs</th></tr>\n"
            for (stage, count) in summary.errorsByStage.sorted(by: { $0.key < $1.key }) {
                page += "<tr><td>\(cell(stage))</td><td class=\"n\">\(count)</td></tr>\n"
            }
            page += "</table>\n<p>One row per input in errors.parquet (path, label, stage, message).</p>\n"
        }
        page += "<h2>Plots</h2>\n<figure>\(inline(scree))</figure>\n"
        if let scatter { page += "<figure>\(inline(scatter))</figure>\n" }
        page += "<h2>Explained variance</h2>\n<table><tr><th>component</th><th>explained</th><th>cumulative</th></tr>\n"
        var running = 0.0
        for (i, v) in model.explainedVariance.enumerated() {
            running += v
            page += "<tr><td>PC\(i + 1)</td><td class=\"n\">\(PCAPlots.percent(v))</td><td class=\"n\">\(PCAPlots.percent(running))</td></tr>\n"
        }
        page += "</table>\n<h2>Settings</h2>\n<table>\n"
        if let line = summary.commandLine { page += row("command line", line.joined(separator: " ")) }
        page += row("imgfeat version", summary.version ?? "?") + row("output", summary.output)
        page += row("device", summary.device + (summary.deviceChoice.map { " (\($0))" } ?? ""))
        page += row("weights", summary.weights) + row("alpha", String(summary.alpha)) + row("input size", String(summary.inputSize))
        page += row("shard", summary.shard) + row("k", String(model.k)) + row("n", String(model.count))
        page += row("centred projection", model.center ? "yes (scikit-learn)" : "no (Spark ML)")
        page += row("sign rule", model.signRule.rawValue)
        page += row("PCA fitted on", "\(model.fittedOn ?? "?") (\(model.method.rawValue))"
                    + (summary.pcaFitNote.map { "; \($0)" } ?? ""))
        page += row("started", summary.startedAt ?? "?") + row("ended", summary.endedAt ?? "?")
        return page + "</table>\n</body></html>\n"
    }
}
