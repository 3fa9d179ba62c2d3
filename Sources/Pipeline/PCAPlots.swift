import Foundation
import PCA

/// Hand-written SVG charts of a PCA: a scree plot and a scatter of the first two projections.
public enum PCAPlots {
    static let width = 640.0
    static let height = 420.0
    static let margin = (left: 64.0, right: 150.0, top: 36.0, bottom: 52.0)
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                          "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// Scree plot: explained variance per component (bars) and cumulative explained variance (line).
    public static func screeSVG(explainedVariance: [Double]) -> String {
        let k = explainedVariance.count
        var cumulative = [Double]()
        var running = 0.0
        for v in explainedVariance { running += v; cumulative.append(running) }
        let yMax = max(cumulative.last ?? 1, 1e-12)
        let plot = PlotArea(xMin: 0, xMax: Double(max(k, 1)), yMin: 0, yMax: yMax)
        var svg = header(title: "Explained variance by component")
        svg += plot.axes(xLabel: "component", yLabel: "fraction of variance")
        let barWidth = plot.width / Double(max(k, 1)) * 0.8
        for (i, v) in explainedVariance.enumerated() {
            let x = plot.x(Double(i) + 0.1)
            let y = plot.y(v)
            svg += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(plot.y(0) - y))\" fill=\"\(palette[0])\"/>\n"
        }
        let points = cumulative.enumerated().map { "\(fmt(plot.x(Double($0.offset) + 0.5))),\(fmt(plot.y($0.element)))" }
        svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(palette[1])\" stroke-width=\"2\"/>\n"
        svg += legend([("explained", palette[0]), ("cumulative", palette[1])])
        return svg + "</svg>\n"
    }

    /// Scatter of the first two projections (`points`: n×2 or n×k row-major with `stride` k ≥ 2),
    /// one colour per label with a legend; labels beyond the palette reuse its colours.
    public static func scatterSVG(projections: [Double], stride: Int, labels: [String]) -> String {
        let n = stride >= 2 ? min(projections.count / stride, labels.count) : 0
        let xs = (0..<n).map { projections[$0 * stride] }
        let ys = (0..<n).map { projections[$0 * stride + 1] }
        let plot = PlotArea(xMin: xs.min() ?? 0, xMax: xs.max() ?? 1, yMin: ys.min() ?? 0, yMax: ys.max() ?? 1)
        var distinct = [String]()
        var colourOf = [String: String]()
        for label in labels.prefix(n) where colourOf[label] == nil {
            colourOf[label] = palette[distinct.count % palette.count]
            distinct.append(label)
        }
        var svg = header(title: "First two principal components")
        svg += plot.axes(xLabel: "PC1", yLabel: "PC2")
        for i in 0..<n {
            svg += "<circle cx=\"\(fmt(plot.x(xs[i])))\" cy=\"\(fmt(plot.y(ys[i])))\" r=\"3\" fill=\"\(colourOf[labels[i]] ?? palette[0])\" fill-opacity=\"0.7\"/>\n"
        }
        svg += legend(distinct.map { ($0, colourOf[$0] ?? palette[0]) })
        return svg + "</svg>\n"
    }

    /// Writes `svg` to `url` through a temporary file and rename.
    public static func write(_ svg: String, to url: URL) throws {
        try PCAError.writeAtomically(Data(svg.utf8), to: url)
    }

    static func header(title: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + "<text x=\"\(fmt(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
    }

    static func legend(_ entries: [(String, String)]) -> String {
        var svg = ""
        let x = width - margin.right + 16
        for (i, entry) in entries.enumerated() {
            let y = margin.top + 10 + Double(i) * 18
            svg += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y - 9))\" width=\"10\" height=\"10\" fill=\"\(entry.1)\"/>\n"
            svg += "<text x=\"\(fmt(x + 16))\" y=\"\(fmt(y))\">\(escape(entry.0))</text>\n"
        }
        return svg
    }

    /// Escapes the characters XML reserves in text and attribute values.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters other than tab/newline are not allowed in XML 1.0.
                if let a = ch.asciiValue, a < 0x20, a != 0x09, a != 0x0A { out += "?" } else { out.append(ch) }
            }
        }
        return out
    }

    static func fmt(_ v: Double) -> String { v.isFinite ? String(format: "%.2f", v) : "0" }

    struct PlotArea {
        let xMin: Double, xMax: Double, yMin: Double, yMax: Double
        var left: Double { PCAPlots.margin.left }
        var top: Double { PCAPlots.margin.top }
        var width: Double { PCAPlots.width - PCAPlots.margin.left - PCAPlots.margin.right }
        var plotHeight: Double { PCAPlots.height - PCAPlots.margin.top - PCAPlots.margin.bottom }

        init(xMin: Double, xMax: Double, yMin: Double, yMax: Double) {
            // A degenerate range (one point, all equal) still needs a non-zero span to scale by.
            let xPad = xMax > xMin ? 0.0 : 0.5
            let yPad = yMax > yMin ? 0.0 : 0.5
            self.xMin = xMin - xPad; self.xMax = xMax + xPad
            self.yMin = yMin - yPad; self.yMax = yMax + yPad
        }

        func x(_ v: Double) -> Double { left + (v - xMin) / (xMax - xMin) * width }
        func y(_ v: Double) -> Double { top + plotHeight - (v - yMin) / (yMax - yMin) * plotHeight }

        func axes(xLabel: String, yLabel: String) -> String {
            let bottom = top + plotHeight
            var svg = "<line x1=\"\(fmt(left))\" y1=\"\(fmt(bottom))\" x2=\"\(fmt(left + width))\" y2=\"\(fmt(bottom))\" stroke=\"black\"/>\n"
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(top))\" x2=\"\(fmt(left))\" y2=\"\(fmt(bottom))\" stroke=\"black\"/>\n"
            for t in 0...4 {
                let fx = xMin + (xMax - xMin) * Double(t) / 4
                let fy = yMin + (yMax - yMin) * Double(t) / 4
                svg += "<text x=\"\(fmt(x(fx)))\" y=\"\(fmt(bottom + 16))\" text-anchor=\"middle\">\(tick(fx))</text>\n"
                svg += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y(fy) + 4))\" text-anchor=\"end\">\(tick(fy))</text>\n"
            }
            svg += "<text x=\"\(fmt(left + width / 2))\" y=\"\(fmt(bottom + 38))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
            svg += "<text x=\"16\" y=\"\(fmt(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(fmt(top + plotHeight / 2)))\">\(escape(yLabel))</text>\n"
            return svg
        }

        func tick(_ v: Double) -> String { String(format: "%.3g", v) }
    }
}
