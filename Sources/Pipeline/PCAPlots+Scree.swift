extension PCAPlots {
    /// Scree plot: explained variance of each component (bars, components numbered from 1) and the
    /// cumulative explained variance (line), on a percentage axis with round ticks.
    public static func screeSVG(explainedVariance: [Double], title: String = "Explained variance by component",
                                subtitle: String? = nil) -> String {
        let k = explainedVariance.count
        var cumulative = [Double]()
        var running = 0.0
        for v in explainedVariance { running += v; cumulative.append(running) }
        let top = max(cumulative.max() ?? 0, explainedVariance.max() ?? 0) * 100
        let y = NiceTicks(low: 0, high: max(top, 1e-9), target: 5)
        let xRange = NiceTicks(low: 1, high: Double(max(k, 1)), target: 8, integer: true)
        let x = NiceTicks(lower: 0.5, upper: Double(max(k, 1)) + 0.5, step: xRange.step)
        let yLabelWidth = Double(y.values.map { y.label($0).count }.max() ?? 1) * charWidth
        let left = 40 + yLabelWidth
        let width = 720.0, height = 440.0
        let frame = Frame(left: left, top: 76, width: width - left - 24, height: height - 76 - 56, x: x, y: y)
        // Components are numbered from 1; ticks at round numbers, and at 1.
        var xTicks = stride(from: xRange.step, through: Double(max(k, 1)), by: xRange.step).map { $0 }
        if xTicks.first != 1 { xTicks.insert(1, at: 0) }
        if xTicks.count > 1, xTicks[1] - xTicks[0] < xRange.step / 2 { xTicks.remove(at: 1) }
        var svg = header(width: width, height: height, title: title, subtitle: subtitle)
        svg += frame.axes(xTicks: xTicks, xLabel: { String(Int($0)) }, yLabel: { y.label($0) + " %" },
                          xTitle: "principal component", yTitle: "variance explained (%)")
        let band = frame.width / Double(max(k, 1))
        for (i, v) in explainedVariance.enumerated() {
            let top = frame.py(v * 100)
            svg += "<rect class=\"bar\" x=\"\(fmt(frame.px(Double(i + 1)) - band * 0.4))\" y=\"\(fmt(top))\" width=\"\(fmt(band * 0.8))\" "
                + "height=\"\(fmt(frame.bottom - top))\" fill=\"\(palette[0])\"><title>PC\(i + 1): \(percent(v)) "
                + "(cumulative \(percent(cumulative[i])))</title></rect>\n"
        }
        let points = cumulative.enumerated().map { "\(fmt(frame.px(Double($0.offset + 1)))),\(fmt(frame.py($0.element * 100)))" }
        svg += "<polyline class=\"cumulative\" points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(palette[1])\" stroke-width=\"2\"/>\n"
        // Legend above the plot, right-aligned, so it never covers bars.
        let entries = [("explained by the component", palette[0]), ("cumulative: \(percent(cumulative.last ?? 0)) at PC\(k)", palette[1])]
        var lx = frame.left + frame.width
        for (text, colour) in entries.reversed() {
            let w = Double(text.count) * charWidth + 18
            lx -= w + 12
            svg += "<g class=\"legend-entry\"><rect x=\"\(fmt(lx))\" y=\"\(fmt(frame.top - 18))\" width=\"10\" height=\"10\" fill=\"\(colour)\"/>"
                + "<text x=\"\(fmt(lx + 14))\" y=\"\(fmt(frame.top - 9))\">\(escape(text))</text></g>\n"
        }
        return svg + "</svg>\n"
    }
}
