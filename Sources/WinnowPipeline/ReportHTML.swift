import WinnowCore

/// Renders a run's report as one self-contained HTML page: inline CSS, inline SVG charts drawn
/// here (no script needed to see them), and a few lines of inline script that only record
/// script errors. No network access: a Content-Security-Policy forbids every fetch.
///
/// Everything that depends on time or on how the run was split (wall times, throughput, the
/// worker count) sits between the `<!--timings-->` and `<!--/timings-->` comments, so the
/// reports of the same run with 1 or 2 workers, or as `--task` processes, are byte-identical
/// outside that section.
public enum ReportHTML {
    /// The first line of every report (how `--output` recognises a file it may replace).
    public static let signature = "<!DOCTYPE html>\n<!-- winnow report -->\n"

    /// Renders the page.
    /// - Parameters:
    ///   - data: the run.
    ///   - refreshSeconds: when set (the live view), the page reloads itself this often while
    ///     the run is not complete.
    public static func render(_ data: ReportData, refreshSeconds: Int? = nil) -> String {
        var r = Renderer(data: data)
        return r.page(refreshSeconds: refreshSeconds)
    }
}

/// Builds the page text.
struct Renderer {
    let d: ReportData
    var out = ""
    var charts: [String] = []

    init(data: ReportData) { d = data }

    mutating func page(refreshSeconds: Int?) -> String {
        out = ReportHTML.signature
        out += "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        // Script errors are recorded from the very first script on (before anything else runs).
        out += """
            <script>(function(){var e=[];function rec(m){e.push(String(m));document.documentElement.setAttribute('data-errors',e.join(' | '));}
            window.addEventListener('error',function(ev){rec(ev.message||(ev.target&&ev.target.outerHTML)||'error');},true);
            window.addEventListener('unhandledrejection',function(ev){rec(ev.reason);});
            document.addEventListener('securitypolicyviolation',function(ev){rec('CSP: '+ev.violatedDirective+' '+ev.blockedURI);});
            var ce=console.error;console.error=function(){rec(Array.prototype.join.call(arguments,' '));return ce.apply(console,arguments);};})();</script>

            """
        out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        if let s = refreshSeconds, !d.complete { out += "<meta http-equiv=\"refresh\" content=\"\(s)\">\n" }
        out += "<title>\(esc(d.name)) · winnow report</title>\n<style>\(Self.css)</style></head>\n<body>\n"
        header()
        nav()
        funnel()
        reasons()
        distributions()
        clusters()
        examples()
        errors()
        timings()
        recipe()
        out += "<footer>Written by <code>winnow report</code>. Charts are inline SVG; hover a bar for its exact numbers.</footer>\n"
        out += "<script>(function(){var n=document.querySelectorAll('svg.chart').length;document.body.setAttribute('data-charts',String(n));document.body.setAttribute('data-ms',String(Math.round(performance.now())));document.body.setAttribute('data-ready','1');})();</script>\n"
        out += "</body></html>\n"
        return out
    }

    // MARK: - Sections

    mutating func header() {
        let s = d.stats
        out += "<header><h1>\(esc(d.name))</h1><p class=\"sub\">"
        if d.complete {
            out += "<span class=\"badge ok\">complete</span>"
        } else {
            out += "<span class=\"badge live\">in progress</span> \(d.tasksDone) task(s) done, \(d.tasksRunning) running"
        }
        out += " · \(d.shards) shard(s) · \(d.stages.count) stage(s)</p>\n<div class=\"cards\">"
        card("documents in", s.read.documents, id: "documents_in")
        card("documents out", s.written, id: "documents_out")
        card("bytes in", Int(s.read.bytes), id: "bytes_in", bytes: true)
        card("bytes out", Int(s.writtenBytes), id: "bytes_out", bytes: true)
        let dropped = s.stages.values.reduce(0) { $0 + $1.dropped.values.reduce(0, +) }
        card("documents removed", dropped, id: "dropped")
        card("bad records", s.read.errors, id: "errors")
        if s.read.documents > 0 {
            out += "<div class=\"card\"><div class=\"k\">kept</div><div class=\"v\">\(pct(s.written, s.read.documents))</div></div>"
        }
        out += "</div></header>\n"
    }

    mutating func card(_ label: String, _ value: Int, id: String, bytes: Bool = false) {
        out += "<div class=\"card\" data-stat=\"\(id)\" data-value=\"\(value)\"><div class=\"k\">\(label)</div>"
        out += "<div class=\"v\" title=\"\(group(value))\">\(bytes ? fmtBytes(value) : group(value))</div></div>"
    }

    mutating func nav() {
        out += "<nav>"
        for (id, t) in [("funnel", "Funnel"), ("reasons", "Drop reasons"), ("distributions", "Distributions"), ("dedup", "Dedup"),
                        ("examples", "Examples"), ("errors", "Errors"), ("timings", "Timings"), ("recipe", "Recipe")] {
            out += "<a href=\"#\(id)\">\(t)</a>"
        }
        out += "</nav>\n"
    }

    func stageStats(_ s: ReportData.StageInfo) -> StageStats { d.stats.stages[String(s.index)] ?? StageStats() }

    mutating func funnel() {
        out += "<section id=\"funnel\"><h2>Funnel</h2><p class=\"note\">Documents reaching each stage and what it kept; bytes are the documents' text (UTF-8) for document stages.</p>\n"
        let maxIn = max(1, d.stages.map { stageStats($0).documentsIn }.max() ?? 1, d.stats.read.documents)
        let rowH = 26
        let w = 860
        let h = rowH * (d.stages.count + 2) + 10
        svgOpen("funnel", width: w, height: h)
        var y = 4
        funnelBar("read", d.stats.read.documents, d.stats.read.documents, y: &y, maxIn: maxIn, attrs: "data-stage=\"read\" data-in=\"\(d.stats.read.documents)\" data-kept=\"\(d.stats.read.documents)\"")
        for s in d.stages {
            let st = stageStats(s)
            funnelBar(s.key, st.documentsIn, st.kept, y: &y, maxIn: maxIn, attrs: "data-stage=\"\(esc(s.key))\" data-in=\"\(st.documentsIn)\" data-kept=\"\(st.kept)\"")
        }
        funnelBar("written", d.stats.written, d.stats.written, y: &y, maxIn: maxIn, attrs: "data-stage=\"written\" data-in=\"\(d.stats.written)\" data-kept=\"\(d.stats.written)\"")
        out += "</svg>\n"
        // The table: the same numbers, exact.
        out += "<table class=\"num\" id=\"funnel-table\"><thead><tr><th>#</th><th>stage</th><th>kind</th><th>in</th><th>kept</th><th>removed</th><th>kept %</th><th>bytes in</th><th>bytes kept</th></tr></thead><tbody>\n"
        for s in d.stages {
            let st = stageStats(s)
            let removed = st.dropped.values.reduce(0, +)
            out += "<tr data-stage=\"\(esc(s.key))\"><td>\(s.index + 1)</td><td>\(esc(s.key))</td><td>\(s.kind)</td>"
            out += "<td data-k=\"in\">\(group(st.documentsIn))</td><td data-k=\"kept\">\(group(st.kept))</td><td data-k=\"removed\">\(group(removed))</td>"
            out += "<td>\(pct(st.kept, st.documentsIn))</td>"
            out += st.bytesIn > 0 ? "<td data-k=\"bytes_in\">\(group(Int(st.bytesIn)))</td><td data-k=\"bytes_kept\">\(group(Int(st.bytesKept)))</td>" : "<td>–</td><td>–</td>"
            out += "</tr>\n"
        }
        out += "</tbody></table><p class=\"note\">Tokens are not counted by the pipeline stages; sizes are in bytes.</p></section>\n"
    }

    mutating func funnelBar(_ label: String, _ n: Int, _ kept: Int, y: inout Int, maxIn: Int, attrs: String) {
        let rowH = 26
        let w = 860
        let labelW = 220
        let full = Double(w - labelW - 150)
        let wi = full * Double(n) / Double(maxIn)
        let wk = full * Double(kept) / Double(maxIn)
        out += "<g class=\"bar\" \(attrs)><title>\(esc(label)): \(group(n)) in, \(group(kept)) kept, \(group(n - kept)) removed</title>"
        out += "<text x=\"\(labelW - 6)\" y=\"\(y + 17)\" text-anchor=\"end\">\(esc(label))</text>"
        out += "<rect class=\"in\" x=\"\(labelW)\" y=\"\(y + 3)\" width=\"\(f1(wi))\" height=\"\(rowH - 6)\"/>"
        out += "<rect class=\"kept\" x=\"\(labelW)\" y=\"\(y + 3)\" width=\"\(f1(wk))\" height=\"\(rowH - 6)\"/>"
        out += "<text x=\"\(labelW + Int(wi) + 6)\" y=\"\(y + 17)\">\(group(kept)) / \(group(n))</text></g>\n"
        y += rowH
    }

    mutating func reasons() {
        out += "<section id=\"reasons\"><h2>Drop reasons</h2>\n"
        var any = false
        for s in d.stages {
            let st = stageStats(s)
            let rows = st.dropped.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            if rows.isEmpty { continue }
            any = true
            out += "<div class=\"chartbox\"><h3>\(esc(s.key)) <span class=\"muted\">\(group(rows.reduce(0) { $0 + $1.value })) removed of \(group(st.documentsIn))</span></h3>\n"
            hbar("reasons-\(s.index)", rows.map { (label: $0.key, value: $0.value) }, total: st.documentsIn, cls: "removed")
            out += "</div>\n"
        }
        if !any { out += "<p class=\"muted\">No stage removed anything.</p>\n" }
        out += "</section>\n"
    }

    mutating func distributions() {
        out += "<section id=\"distributions\"><h2>Distributions</h2><p class=\"note\">What each stage measured on the documents that reached it, kept (green) vs removed (red). <code>bytes</code> is the text length as the stage saw it; numeric buckets are fixed (four per doubling for lengths and perplexity, 0.05 wide for scores).</p>\n"
        var any = false
        for s in d.stages {
            let st = stageStats(s)
            if st.histograms.isEmpty { continue }
            any = true
            out += "<h3>\(esc(s.key))</h3><div class=\"grid\">\n"
            for (name, h) in st.histograms.sorted(by: { Self.order($0.key) < Self.order($1.key) }) {
                out += "<div class=\"chartbox\"><h4>\(esc(name)) <span class=\"muted\">\(group(h.total)) documents</span></h4>\n"
                histogram("hist-\(s.index)-\(name)", h)
                out += "</div>\n"
            }
            out += "</div>\n"
        }
        if !any { out += "<p class=\"muted\">No stage recorded a distribution.</p>\n" }
        out += "</section>\n"
    }

    static func order(_ name: String) -> String {
        (name == "bytes" ? "0" : name == "characters" || name == "words" ? "1" : "2") + name
    }

    mutating func clusters() {
        out += "<section id=\"dedup\"><h2>Dedup</h2>\n"
        var any = false
        for s in d.stages {
            let st = stageStats(s)
            let sketch = d.stats.clusters[String(s.index)]
            let h = st.histograms["cluster_size"]
            if sketch == nil && h == nil { continue }
            any = true
            out += "<h3>\(esc(s.key))</h3>\n"
            if let h {
                out += "<div class=\"chartbox\"><h4>cluster size <span class=\"muted\">kept bars count clusters (one kept document each), removed bars count duplicates</span></h4>\n"
                histogram("clusters-\(s.index)", h)
                out += "</div>\n"
            }
            if let sketch, !sketch.clusters.isEmpty {
                out += "<h4>Largest clusters</h4>\n"
                for c in sketch.clusters {
                    out += "<div class=\"cluster\" data-cluster=\"\(esc(c.id))\" data-size=\"\(c.size)\"><div class=\"ch\">cluster of <b>\(group(c.size))</b> documents, kept: <code>\(esc(c.id))</code></div><div class=\"members\">"
                    for m in c.members { exampleCard(m, extra: m.note) }
                    out += "</div></div>\n"
                }
            }
        }
        if !any { out += "<p class=\"muted\">No near-duplicate clusters (the cluster view is filled by <code>minhash_dedup</code>).</p>\n" }
        out += "</section>\n"
    }

    mutating func examples() {
        out += "<section id=\"examples\"><h2>Examples</h2><p class=\"note\">Up to \(ExampleSketch.limit) documents per reason, chosen by the smallest stable hash of their id (kept ones: of their place in the output), so the choice does not depend on the worker count.</p>\n"
        for s in d.stages {
            let st = stageStats(s)
            for reason in st.dropped.keys.sorted() {
                guard let list = d.stats.examples.groups["\(s.index):\(reason)"], !list.isEmpty else { continue }
                out += "<h3>\(esc(s.key)) · <code>\(esc(reason))</code> <span class=\"muted\">\(group(st.dropped[reason] ?? 0)) removed</span></h3><div class=\"examples\" data-group=\"\(esc(reason))\">"
                for e in list { exampleCard(e, extra: e.note) }
                out += "</div>\n"
            }
        }
        if let kept = d.stats.examples.groups["kept"], !kept.isEmpty {
            out += "<h3>kept <span class=\"muted\">\(group(d.stats.written)) written</span></h3><div class=\"examples\" data-group=\"kept\">"
            for e in kept { exampleCard(e, extra: "") }
            out += "</div>\n"
        }
        out += "</section>\n"
    }

    mutating func exampleCard(_ e: ReportExample, extra: String) {
        out += "<div class=\"ex\"><div class=\"meta\"><code>\(esc(e.id))</code> · \(esc(e.source)) · \(fmtBytes(e.bytes))"
        if !extra.isEmpty { out += " · <i>\(esc(extra))</i>" }
        out += "</div><pre>\(esc(e.snippet))\(e.snippet.utf8.count < e.bytes ? "…" : "")</pre></div>"
    }

    mutating func errors() {
        out += "<section id=\"errors\"><h2>Errors</h2>\n"
        let e = d.errors
        if e.count == 0 && d.stats.read.errors == 0 {
            out += "<p class=\"muted\">No bad records.</p></section>\n"
            return
        }
        out += "<p><b>\(group(max(e.count, d.stats.read.errors)))</b> bad record(s) skipped (<code>on_error: skip</code>); each is in <code>errors.jsonl</code> with its file and line.</p>\n"
        if !e.byMessage.isEmpty {
            hbar("errors", e.byMessage.map { (label: $0.message, value: $0.count) }, total: e.count, cls: "removed")
            out += "<table><thead><tr><th>where</th><th>what</th></tr></thead><tbody>"
            for f in e.first { out += "<tr><td><code>\(esc(f.location))</code></td><td>\(esc(f.message))</td></tr>" }
            out += "</tbody></table>\n"
        }
        out += "</section>\n"
    }

    mutating func timings() {
        out += "<!--timings-->\n<section id=\"timings\"><h2>Timings</h2>\n"
        let total = d.phaseSeconds.values.reduce(0) { $0 + $1.seconds }
        out += "<p>Task time summed over tasks: <b>\(f2(total)) s</b>"
        if let w = d.workers { out += " · workers (last invocation): <b>\(w)</b>" }
        if total > 0 {
            out += " · throughput: <b>\(group(Int(Double(d.stats.read.documents) / total))) documents/s</b>, <b>\(fmtBytes(Int(Double(d.stats.read.bytes) / total)))/s</b> per task-second"
        }
        out += "</p>\n"
        let stageRows = d.stages.map { (label: $0.key, value: stageStats($0).seconds) }
        out += "<div class=\"grid\"><div class=\"chartbox\"><h4>seconds per stage (summed over tasks)</h4>"
        hbarSeconds("timings-stages", stageRows)
        out += "</div><div class=\"chartbox\"><h4>seconds per phase (summed over tasks)</h4>"
        hbarSeconds("timings-phases", d.phaseSeconds.sorted { $0.key < $1.key }.map { (label: "phase \($0.key + 1) (\($0.value.tasks) tasks)", value: $0.value.seconds) })
        out += "</div></div></section>\n<!--/timings-->\n"
    }

    mutating func recipe() {
        out += "<section id=\"recipe\"><h2>Recipe</h2>"
        out += d.recipeText.isEmpty ? "<p class=\"muted\">(not recorded)</p>" : "<pre class=\"recipe\">\(esc(d.recipeText))</pre>"
        out += "</section>\n"
    }

    // MARK: - Charts

    mutating func svgOpen(_ id: String, width: Int, height: Int) {
        charts.append(id)
        out += "<svg class=\"chart\" data-chart=\"\(esc(id))\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" style=\"max-width:\(width)px\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    }

    /// Horizontal bars with integer values.
    mutating func hbar(_ id: String, _ rows: [(label: String, value: Int)], total: Int, cls: String) {
        let shown = Array(rows.prefix(40))
        let w = 860
        let labelW = 300
        let rowH = 22
        svgOpen(id, width: w, height: rowH * shown.count + 8)
        let m = max(1, shown.map(\.value).max() ?? 1)
        for (i, r) in shown.enumerated() {
            let y = 4 + i * rowH
            let bw = Double(w - labelW - 170) * Double(r.value) / Double(m)
            out += "<g class=\"bar\" data-label=\"\(esc(r.label))\" data-value=\"\(r.value)\"><title>\(esc(r.label)): \(group(r.value))\(total > 0 ? " (\(pct(r.value, total)))" : "")</title>"
            out += "<text x=\"\(labelW - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(esc(clip(r.label, 44)))</text>"
            out += "<rect class=\"\(cls)\" x=\"\(labelW)\" y=\"\(y + 2)\" width=\"\(f1(max(1, bw)))\" height=\"\(rowH - 5)\"/>"
            out += "<text x=\"\(labelW + Int(bw) + 6)\" y=\"\(y + 15)\">\(group(r.value))\(total > 0 ? " · \(pct(r.value, total))" : "")</text></g>\n"
        }
        out += "</svg>\n"
    }

    mutating func hbarSeconds(_ id: String, _ rows: [(label: String, value: Double)]) {
        let w = 640
        let labelW = 230
        let rowH = 22
        svgOpen(id, width: w, height: rowH * rows.count + 8)
        let m = max(1e-9, rows.map(\.value).max() ?? 1)
        for (i, r) in rows.enumerated() {
            let y = 4 + i * rowH
            let bw = Double(w - labelW - 90) * r.value / m
            out += "<g class=\"bar\" data-label=\"\(esc(r.label))\"><title>\(esc(r.label)): \(f2(r.value)) s</title>"
            out += "<text x=\"\(labelW - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(esc(clip(r.label, 32)))</text>"
            out += "<rect class=\"time\" x=\"\(labelW)\" y=\"\(y + 2)\" width=\"\(f1(max(1, bw)))\" height=\"\(rowH - 5)\"/>"
            out += "<text x=\"\(labelW + Int(bw) + 6)\" y=\"\(y + 15)\">\(f2(r.value)) s</text></g>\n"
        }
        out += "</svg>\n"
    }

    /// A histogram: stacked columns, kept below removed.
    mutating func histogram(_ id: String, _ h: ValueHistogram) {
        var cols: [(key: String, label: String, kept: Int, removed: Int)] = []
        if h.scale == .category {
            let keys = Set(h.kept.keys).union(h.removed.keys)
            let sorted = keys.map { k in (k, h.kept[k] ?? 0, h.removed[k] ?? 0) }.sorted { ($0.1 + $0.2, $1.0) > ($1.1 + $1.2, $0.0) }
            for (k, a, b) in sorted.prefix(30) { cols.append((k, k.isEmpty ? "(none)" : k, a, b)) }
            if sorted.count > 30 {
                let rest = sorted.dropFirst(30)
                cols.append(("other", "other (\(rest.count))", rest.reduce(0) { $0 + $1.1 }, rest.reduce(0) { $0 + $1.2 }))
            }
        } else {
            let keys = Set(h.kept.keys).union(h.removed.keys).compactMap(Int.init).sorted()
            guard let lo = keys.first, let hi = keys.last else { return }
            let range: [Int] = hi - lo <= 120 ? Array(lo...hi) : keys
            for b in range {
                let k = String(b)
                cols.append((k, bucketLabel(h, b), h.kept[k] ?? 0, h.removed[k] ?? 0))
            }
        }
        let w = 420
        let h0 = 170
        let bottom = 130
        let left = 8
        let colW = max(2.0, Double(w - 2 * left) / Double(max(1, cols.count)))
        let m = max(1, cols.map { $0.kept + $0.removed }.max() ?? 1)
        svgOpen(id, width: w, height: h0)
        for (i, c) in cols.enumerated() {
            let x = Double(left) + Double(i) * colW
            let hk = Double(bottom - 10) * Double(c.kept) / Double(m)
            let hr = Double(bottom - 10) * Double(c.removed) / Double(m)
            out += "<g class=\"col\" data-bucket=\"\(esc(c.key))\" data-kept=\"\(c.kept)\" data-removed=\"\(c.removed)\"><title>\(esc(c.label)): \(group(c.kept)) kept, \(group(c.removed)) removed</title>"
            out += "<rect class=\"hit\" x=\"\(f1(x))\" y=\"10\" width=\"\(f1(colW))\" height=\"\(bottom - 10)\"/>"
            if c.kept > 0 { out += "<rect class=\"kept\" x=\"\(f1(x + 0.5))\" y=\"\(f1(Double(bottom) - hk))\" width=\"\(f1(max(1, colW - 1)))\" height=\"\(f1(hk))\"/>" }
            if c.removed > 0 { out += "<rect class=\"removed\" x=\"\(f1(x + 0.5))\" y=\"\(f1(Double(bottom) - hk - hr))\" width=\"\(f1(max(1, colW - 1)))\" height=\"\(f1(hr))\"/>" }
            out += "</g>"
        }
        out += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(w - left)\" y2=\"\(bottom)\" class=\"axis\"/>\n"
        // Axis labels: first, middle, last (all columns when there are few).
        let marks: [Int] = cols.count <= 8 ? Array(cols.indices) : [0, cols.count / 2, cols.count - 1]
        for i in marks {
            let x = Double(left) + (Double(i) + 0.5) * colW
            let anchor = cols.count > 8 ? (i == 0 ? "start" : i == cols.count - 1 ? "end" : "middle") : "middle"
            let tx = cols.count > 8 ? (i == 0 ? Double(left) : i == cols.count - 1 ? Double(w - left) : x) : x
            out += "<text class=\"tick\" x=\"\(f1(tx))\" y=\"\(bottom + 16)\" text-anchor=\"\(anchor)\">\(esc(clip(cols[i].label, cols.count <= 8 ? 12 : 24)))</text>"
        }
        out += "<text class=\"tick\" x=\"\(left)\" y=\"\(h0 - 6)\">max \(group(m)) per bucket</text>"
        out += "<g class=\"legend\"><rect class=\"kept\" x=\"\(w - 150)\" y=\"\(h0 - 16)\" width=\"10\" height=\"10\"/><text class=\"tick\" x=\"\(w - 136)\" y=\"\(h0 - 7)\">kept</text>"
        out += "<rect class=\"removed\" x=\"\(w - 90)\" y=\"\(h0 - 16)\" width=\"10\" height=\"10\"/><text class=\"tick\" x=\"\(w - 76)\" y=\"\(h0 - 7)\">removed</text></g>"
        out += "</svg>\n"
    }

    func bucketLabel(_ h: ValueHistogram, _ b: Int) -> String {
        switch h.scale {
        case .log: return b < 0 ? "<1" : "≥" + compact(h.lowerBound(b))
        case .linear: return "≥" + trim(h.lowerBound(b))
        case .category: return String(b)
        }
    }

    // MARK: - Formatting (deterministic, locale-free)

    func esc(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default:
                if c.value < 0x20 && c != "\n" && c != "\t" { o += "\u{FFFD}" } else { o.unicodeScalars.append(c) }
            }
        }
        return o
    }

    func group(_ n: Int) -> String {
        let s = String(n.magnitude)
        var o = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { o += "," }
            o.append(ch)
        }
        return (n < 0 ? "-" : "") + o
    }

    func pct(_ a: Int, _ b: Int) -> String {
        guard b > 0 else { return "–" }
        return f1(100 * Double(a) / Double(b)) + " %"
    }

    func fmtBytes(_ n: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n)
        var u = 0
        while v >= 1000 && u < units.count - 1 {
            v /= 1000
            u += 1
        }
        return (u == 0 ? String(n) : f1(v)) + " " + units[u]
    }

    func compact(_ v: Double) -> String {
        if v >= 1e9 { return f1(v / 1e9) + "G" }
        if v >= 1e6 { return f1(v / 1e6) + "M" }
        if v >= 1e4 { return f1(v / 1e3) + "k" }
        return v >= 100 ? String(Int(v.rounded(.up))) : trim(v)
    }

    func trim(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        if r == r.rounded() { return String(Int(r)) }
        return f2(r)
    }

    func f1(_ v: Double) -> String { fixed(v, 1) }
    func f2(_ v: Double) -> String { fixed(v, 2) }

    func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int((abs(v) * scale).rounded())
        let whole = n / Int(scale)
        var frac = String(n % Int(scale))
        while frac.count < digits { frac = "0" + frac }
        return (v < 0 && n != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
    }

    func clip(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    static let css = """
        :root{--kept:#2e9d5b;--removed:#d1495b;--in:#d9dee5;--time:#4c78a8;--ink:#1f2430;--muted:#6b7280}
        *{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:1180px;padding:16px 24px}
        h1{margin:4px 0}h2{border-bottom:1px solid #e5e7eb;padding-bottom:4px;margin-top:28px}h3{margin:18px 0 6px}h4{margin:6px 0;font-weight:600}
        .sub,.muted,.note{color:var(--muted)}.note{font-size:13px}
        .badge{padding:1px 8px;border-radius:10px;font-size:12px;color:#fff}.ok{background:var(--kept)}.live{background:#e09f3e}
        .cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}.card{border:1px solid #e5e7eb;border-radius:8px;padding:8px 14px;min-width:130px}
        .card .k{color:var(--muted);font-size:12px}.card .v{font-size:20px;font-weight:600}
        nav{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #e5e7eb;z-index:2}nav a{margin-right:14px;color:var(--time);text-decoration:none}
        svg.chart{display:block;font-size:12px}svg text{fill:var(--ink)}svg .tick{fill:var(--muted);font-size:11px}
        rect.kept{fill:var(--kept)}rect.removed{fill:var(--removed)}rect.in{fill:var(--in)}rect.time{fill:var(--time)}rect.hit{fill:transparent}
        g.col:hover rect.hit{fill:#f3f4f6}line.axis{stroke:#9ca3af}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}.chartbox{border:1px solid #eef0f3;border-radius:8px;padding:8px;break-inside:avoid}
        table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;border-bottom:1px solid #eef0f3;text-align:left}table.num td:nth-child(n+4){text-align:right;font-variant-numeric:tabular-nums}
        .examples,.members{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:8px}
        .ex{border:1px solid #e5e7eb;border-radius:6px;padding:6px;break-inside:avoid}.ex .meta{font-size:12px;color:var(--muted);word-break:break-all}
        .ex pre{white-space:pre-wrap;word-break:break-word;font-size:12px;margin:4px 0 0;max-height:12em;overflow:hidden}
        .cluster{border-left:3px solid var(--time);padding-left:10px;margin:10px 0}.ch{margin-bottom:4px}
        pre.recipe{background:#f8fafc;border:1px solid #e5e7eb;padding:10px;overflow:auto}
        footer{margin:30px 0 10px;color:var(--muted);font-size:12px}
        @media print{nav{display:none}body{max-width:none;padding:0}section{break-inside:auto}.ex pre{max-height:none}h2,h3{break-after:avoid}}
        """
}
