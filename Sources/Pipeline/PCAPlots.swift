import Foundation
import PCA

/// Hand-written SVG 1.1 charts of a PCA (a scree plot and a scatter of the first two projections)
/// laid out from estimated text widths so that nothing leaves the canvas at 1 or 200 labels.
public enum PCAPlots {
    static let fontSize = 12.0
    /// Upper bound of a sans-serif glyph's advance at `fontSize` (DejaVu Sans averages 0.55 em).
    static let charWidth = 0.62 * fontSize
    /// 20 colours that stay apart (Tableau 20's dark and light pairs reordered: darks first).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                          "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
                          "#c5b0d5", "#c49c94", "#f7b6d2", "#393b79", "#dbdb8d", "#9edae5"]
    /// Marker shapes, one round of the palette each: 80 distinct styles.
    enum Marker: CaseIterable { case circle, square, triangle, diamond }

    /// Writes `svg` to `url` through a temporary file and rename.
    public static func write(_ svg: String, to url: URL) throws {
        try PCAError.writeAtomically(Data(svg.utf8), to: url)
    }

    /// `value` as a percentage with one decimal: `14.9 %`.
    static func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }

    static func header(width: Double, height: Double, title: String, subtitle: String?) -> String {
        var svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" "
            + "viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"\(fmt(fontSize))\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        svg += "<text class=\"title\" x=\"\(fmt(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(fit(title, width - 20, size: 15)))</text>\n"
        if let subtitle {
            svg += "<text class=\"subtitle\" x=\"\(fmt(width / 2))\" y=\"40\" text-anchor=\"middle\" fill=\"#444\">\(escape(fit(subtitle, width - 20)))</text>\n"
        }
        return svg
    }

    /// `text` cut with an ellipsis so that it fits `width` pixels at `size`.
    static func fit(_ text: String, _ width: Double, size: Double = fontSize) -> String {
        let most = max(1, Int(width / (0.62 * size)))
        return text.count <= most ? text : String(text.prefix(most - 1)) + "…"
    }

    /// One marker centred on (x, y) of radius about `r`.
    static func marker(_ shape: Marker, x: Double, y: Double, r: Double, fill: String, extra: String = "") -> String {
        switch shape {
        case .circle:
            return "<circle cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"\(fmt(r))\" fill=\"\(fill)\"\(extra)/>"
        case .square:
            return "<rect x=\"\(fmt(x - r))\" y=\"\(fmt(y - r))\" width=\"\(fmt(2 * r))\" height=\"\(fmt(2 * r))\" fill=\"\(fill)\"\(extra)/>"
        case .triangle:
            return "<polygon points=\"\(fmt(x)),\(fmt(y - 1.2 * r)) \(fmt(x + 1.1 * r)),\(fmt(y + 0.8 * r)) \(fmt(x - 1.1 * r)),\(fmt(y + 0.8 * r))\" fill=\"\(fill)\"\(extra)/>"
        case .diamond:
            return "<polygon points=\"\(fmt(x)),\(fmt(y - 1.3 * r)) \(fmt(x + 1.3 * r)),\(fmt(y)) \(fmt(x)),\(fmt(y + 1.3 * r)) \(fmt(x - 1.3 * r)),\(fmt(y))\" fill=\"\(fill)\"\(extra)/>"
        }
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

    /// A rectangle of the canvas mapped to data ranges given by round ticks.
    struct Frame {
        let left: Double, top: Double, width: Double, height: Double
        let x: NiceTicks, y: NiceTicks

        func px(_ v: Double) -> Double { left + (v - x.lower) / (x.upper - x.lower) * width }
        func py(_ v: Double) -> Double { top + height - (v - y.lower) / (y.upper - y.lower) * height }
        var bottom: Double { top + height }

        /// Axis lines, grid, tick labels (`class="tick x|y"`, values as printed) and axis titles.
        func axes(xTicks: [Double], xLabel: (Double) -> String, yLabel: (Double) -> String,
                  xTitle: String, yTitle: String) -> String {
            var svg = "<rect class=\"plot-area\" x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" fill=\"none\" stroke=\"#999\"/>\n"
            for v in y.values {
                svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(py(v)))\" x2=\"\(fmt(left + width))\" y2=\"\(fmt(py(v)))\" stroke=\"#e4e4e4\"/>\n"
                svg += "<text class=\"tick y\" x=\"\(fmt(left - 6))\" y=\"\(fmt(py(v) + 4))\" text-anchor=\"end\">\(yLabel(v))</text>\n"
            }
            for v in xTicks {
                svg += "<line x1=\"\(fmt(px(v)))\" y1=\"\(fmt(bottom))\" x2=\"\(fmt(px(v)))\" y2=\"\(fmt(bottom + 4))\" stroke=\"#555\"/>\n"
                svg += "<text class=\"tick x\" x=\"\(fmt(px(v)))\" y=\"\(fmt(bottom + 17))\" text-anchor=\"middle\">\(xLabel(v))</text>\n"
            }
            svg += "<text class=\"axis-title x\" x=\"\(fmt(left + width / 2))\" y=\"\(fmt(bottom + 38))\" text-anchor=\"middle\">\(escape(xTitle))</text>\n"
            let cy = top + height / 2
            svg += "<text class=\"axis-title y\" x=\"18\" y=\"\(fmt(cy))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(fmt(cy)))\">\(escape(yTitle))</text>\n"
            return svg
        }
    }
}
