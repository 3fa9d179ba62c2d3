extension PCAPlots {
    /// Legend entries at most (the rest of the labels, by count, share one "other" entry).
    static let legendLimit = 40
    /// Characters of a label shown in the legend (the full name is its tooltip).
    static let legendChars = 24

    /// One legend entry: a label (or "other") with its style and point count.
    struct Style {
        var name: String
        var count: Int
        var colour: String
        var marker: Marker
        var tooltip: String
    }

    /// The styles of `labels` by count (largest first, then by name): the first `legendLimit − 1` each
    /// get a colour and marker (20 colours, then the next marker), the rest one grey "other".
    static func styles(of labels: [String]) -> (entries: [Style], byLabel: [String: Int]) {
        var counts: [String: Int] = [:]
        for label in labels { counts[label, default: 0] += 1 }
        let ordered = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let shown = ordered.count <= legendLimit ? ordered.count : legendLimit - 1
        var entries: [Style] = []
        var byLabel: [String: Int] = [:]
        for (i, (label, count)) in ordered.prefix(shown).enumerated() {
            let name = label.isEmpty ? "(no label)" : label
            entries.append(Style(name: name, count: count, colour: palette[i % palette.count],
                                 marker: Marker.allCases[(i / palette.count) % Marker.allCases.count], tooltip: name))
            byLabel[label] = i
        }
        if shown < ordered.count {
            let rest = ordered.dropFirst(shown)
            let points = rest.reduce(0) { $0 + $1.value }
            entries.append(Style(name: "other (\(rest.count) labels)", count: points, colour: "#b8b8b8", marker: .circle,
                                 tooltip: rest.map(\.key).joined(separator: ", ")))
            for (label, _) in rest { byLabel[label] = entries.count - 1 }
        }
        return (entries, byLabel)
    }

    /// Scatter of the first two projections (`projections`: n×`stride` row-major, stride ≥ 2), one
    /// style per label with a legend in columns beside the plot; axis titles carry each component's
    /// share of the variance when `explainedVariance` is given.
    public static func scatterSVG(projections: [Double], stride: Int, labels: [String],
                                  explainedVariance: [Double] = [], title: String = "First two principal components",
                                  subtitle: String? = nil) -> String {
        let n = stride >= 2 ? min(projections.count / stride, labels.count) : 0
        let xs = (0..<n).map { projections[$0 * stride] }
        let ys = (0..<n).map { projections[$0 * stride + 1] }
        let (entries, styleOf) = styles(of: Array(labels.prefix(n)))
        let radius = 3.0
        // A margin of 3 % keeps the extreme points' markers off the frame.
        func padded(_ v: [Double]) -> (Double, Double) {
            let lo = v.min() ?? 0, hi = v.max() ?? 1
            let pad = (hi - lo) * 0.03
            return (lo - pad, hi + pad)
        }
        let (x0, x1) = padded(xs), (y0, y1) = padded(ys)
        let xTicks = NiceTicks(low: x0, high: x1, target: 6), yTicks = NiceTicks(low: y0, high: y1, target: 6)

        let yLabelWidth = Double(yTicks.values.map { yTicks.label($0).count }.max() ?? 1) * charWidth
        let plotLeft = 40 + yLabelWidth, plotTop = 64.0, plotSize = 480.0
        let rowHeight = 17.0
        let rows = max(1, Int(plotSize / rowHeight))
        let columns = max(1, (entries.count + rows - 1) / rows)
        let longest = entries.map { min($0.name.count, legendChars) + " (\($0.count))".count }.max() ?? 0
        let columnWidth = 22 + Double(longest) * charWidth + 14
        let legendLeft = plotLeft + plotSize + 24
        let width = max((legendLeft + Double(columns) * columnWidth + 12).rounded(.up), 560)
        let height = plotTop + plotSize + 60
        let frame = Frame(left: plotLeft, top: plotTop, width: plotSize, height: plotSize, x: xTicks, y: yTicks)

        func axisTitle(_ j: Int) -> String {
            j < explainedVariance.count ? "PC\(j + 1) (\(percent(explainedVariance[j])))" : "PC\(j + 1)"
        }
        var svg = header(width: width, height: height, title: title, subtitle: subtitle)
        svg += frame.axes(xTicks: xTicks.values, xLabel: { xTicks.label($0) }, yLabel: { yTicks.label($0) },
                          xTitle: axisTitle(0), yTitle: axisTitle(1))
        // "other" first so the named labels are drawn over it.
        let order = (0..<n).sorted { (styleOf[labels[$0]] ?? 0) > (styleOf[labels[$1]] ?? 0) }
        for i in order {
            let s = entries[styleOf[labels[i]] ?? 0]
            svg += marker(s.marker, x: frame.px(xs[i]), y: frame.py(ys[i]), r: radius, fill: s.colour,
                          extra: " class=\"point\" fill-opacity=\"0.75\"") + "\n"
        }
        for (i, s) in entries.enumerated() {
            let x = legendLeft + Double(i / rows) * columnWidth
            let y = plotTop + 8 + Double(i % rows) * rowHeight
            let shown = (s.name.count > legendChars ? String(s.name.prefix(legendChars - 1)) + "…" : s.name) + " (\(s.count))"
            svg += "<g class=\"legend-entry\"><title>\(escape(s.tooltip))</title>"
                + marker(s.marker, x: x + 6, y: y, r: 4.5, fill: s.colour)
                + "<text x=\"\(fmt(x + 16))\" y=\"\(fmt(y + 4))\" data-width=\"\(fmt(Double(shown.count) * charWidth))\">\(escape(shown))</text></g>\n"
        }
        return svg + "</svg>\n"
    }
}
