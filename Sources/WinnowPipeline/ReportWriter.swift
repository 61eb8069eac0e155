import Foundation
import WinnowCore
import WinnowIO

/// Writes a run's report file, under the run-folder safety rules: `report.html` inside the run
/// folder is one of the names Winnow owns there (``RunFolder/ownedNames``); any other path goes
/// through the single-file checks (``OutputFile``) and may only replace an earlier report, or
/// anything with `--overwrite`. The file is written to a temporary name and renamed.
public enum ReportWriter {
    /// Renders and writes the report of the run in `runDirectory`.
    /// - Parameters:
    ///   - runDirectory: the run folder (finished or still running).
    ///   - output: where to write; nil writes `<runDirectory>/report.html`.
    ///   - overwrite: allow replacing a file at `output` that is not a Winnow report.
    /// - Returns: the path written.
    /// - Throws: ``RunFolderError`` for a folder that is not a run, or a refused output path.
    @discardableResult
    public static func write(runDirectory: String, output: String?, overwrite: Bool = false) throws -> String {
        let data = try ReportData.load(runDirectory: runDirectory)
        let html = ReportHTML.render(data)
        let path: String
        if let output {
            try OutputFile.check(output, inputs: [], kind: .winnowReport, overwrite: overwrite)
            path = output
        } else {
            guard let resolved = FileSystem.resolve(runDirectory) else {
                throw RunFolderError(path: runDirectory, "cannot resolve the path", subject: "run folder '\(runDirectory)'")
            }
            path = resolved + "/report.html"
            if FileSystem.exists(path) && !FileSystem.isRegularFile(path) {
                throw RunFolderError(path: path, "exists and is not a regular file", subject: "report '\(path)'")
            }
        }
        try FileSystem.writeAll(path, Array(html.utf8))
        return path
    }
}

/// The pages of the live view (`winnow report --serve`): a run's report re-read on every
/// request, and for a folder of runs an index of them.
public struct LiveReportPages: Sendable {
    /// A single run folder, or a folder whose sub-folders are runs.
    public let path: String
    /// Whether `path` holds several runs (`--runs`).
    public let isCollection: Bool
    /// Seconds between reloads of a page of a run in progress.
    public let refreshSeconds: Int

    /// Pages for one run (`isCollection` false) or a folder of runs.
    public init(path: String, isCollection: Bool, refreshSeconds: Int = 5) {
        self.path = path
        self.isCollection = isCollection
        self.refreshSeconds = refreshSeconds
    }

    /// The page for a URL path: (HTTP status, HTML).
    public func page(_ urlPath: String) -> (status: Int, html: String) {
        do {
            if !isCollection {
                guard urlPath == "/" || urlPath == "/report.html" else { return (404, message("Not found", "Try <a href=\"/\">/</a>.")) }
                return (200, ReportHTML.render(try ReportData.load(runDirectory: path), refreshSeconds: refreshSeconds))
            }
            if urlPath == "/" { return (200, try index()) }
            let parts = urlPath.split(separator: "/", omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0] == "run", let name = runName(parts[1]) else {
                return (404, message("Not found", "Try <a href=\"/\">the list of runs</a>."))
            }
            return (200, ReportHTML.render(try ReportData.load(runDirectory: path + "/" + name), refreshSeconds: refreshSeconds))
        } catch {
            return (404, message("No report", Renderer(data: ReportData.empty).esc(String(describing: error))))
        }
    }

    /// A run folder's name, when it is one directly inside `path` (no `..`, no slashes).
    func runName(_ s: Substring) -> String? {
        let name = String(s).removingPercentEncoding ?? String(s)
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else { return nil }
        guard let resolved = FileSystem.resolve(path + "/" + name), RunFolder.isRunFolder(resolved) else { return nil }
        return name
    }

    func index() throws -> String {
        let e = Renderer(data: ReportData.empty)
        var rows = ""
        for name in try FileSystem.list(path).sorted() {
            guard let resolved = FileSystem.resolve(path + "/" + name), FileSystem.isDirectory(resolved), RunFolder.isRunFolder(resolved) else { continue }
            let data = try? ReportData.load(runDirectory: resolved)
            let status = data.map { $0.complete ? "complete" : "in progress: \($0.tasksDone) task(s) done, \($0.tasksRunning) running" } ?? "not started"
            let docs = data.map { "\(e.group($0.stats.read.documents)) in → \(e.group($0.stats.written)) out" } ?? ""
            let link = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
            rows += "<tr><td><a href=\"/run/\(link)/\">\(e.esc(name))</a></td><td>\(e.esc(status))</td><td>\(docs)</td></tr>\n"
        }
        if rows.isEmpty { rows = "<tr><td colspan=\"3\">No run folders in \(e.esc(path)) yet.</td></tr>" }
        return ReportHTML.signature + """
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="\(refreshSeconds)">
            <title>winnow runs</title><style>\(Renderer.css)</style></head><body><h1>Runs in \(e.esc(path))</h1>
            <table><thead><tr><th>run</th><th>status</th><th>documents</th></tr></thead><tbody>\(rows)</tbody></table></body></html>

            """
    }

    func message(_ title: String, _ body: String) -> String {
        ReportHTML.signature + "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(title)</title><style>\(Renderer.css)</style></head><body><h1>\(title)</h1><p>\(body)</p></body></html>\n"
    }
}
