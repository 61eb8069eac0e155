import ArgumentParser
import Foundation
import WinnowPipeline
import WinnowServer

/// `winnow report RUN_DIR`, and its live view `winnow report --serve`.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a run's self-contained HTML report (funnel, drop reasons, distributions, clusters, examples, timings).",
        discussion: """
            Reads the run's manifest, so it works on a finished run and on one still running. \
            Writes RUN_DIR/report.html unless --output names another file (which may only replace \
            an earlier report, unless --overwrite), and prints the path written. With --serve it \
            writes nothing and serves the report over HTTP instead, re-read on every request (the \
            page reloads itself while the run is in progress); --runs DIR serves every run folder \
            in DIR. docs/report.md.
            """)

    @Argument(help: "The run folder.")
    var runDir: String?

    @Option(name: .shortAndLong, help: "Write the report here instead of RUN_DIR/report.html.")
    var output: String?

    @Flag(help: "Replace an existing --output file even if it is not a Winnow report.")
    var overwrite = false

    @Flag(help: "Serve the report over HTTP (a live view) instead of writing it.")
    var serve = false

    @Option(help: "With --serve: a folder whose sub-folders are runs; serves an index of them.")
    var runs: String?

    @Option(help: "With --serve: the interface to bind.")
    var host = "127.0.0.1"

    @Option(help: "With --serve: the TCP port (0: any free port).")
    var port = 8090

    @Option(help: "With --serve: seconds between reloads of the page of a run in progress.")
    var refresh = 5

    func validate() throws {
        if runs != nil && !serve { throw ValidationError("--runs needs --serve") }
        if serve && output != nil { throw ValidationError("--serve writes nothing; drop --output") }
        if (runDir == nil) == (runs == nil) { throw ValidationError(serve ? "give RUN_DIR or --runs DIR" : "give RUN_DIR") }
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be in 0…65535") }
        guard (1 ... 3600).contains(refresh) else { throw ValidationError("--refresh must be in 1…3600 seconds") }
    }

    func run() throws {
        guard serve else {
            print(try ReportWriter.write(runDirectory: runDir ?? "", output: output, overwrite: overwrite))
            return
        }
        let pages = LiveReportPages(path: runs ?? runDir ?? "", isCollection: runs != nil, refreshSeconds: refresh)
        if runs == nil { _ = try ReportData.load(runDirectory: pages.path) }  // fail now, loudly, for a non-run
        let app = LiveReportServer.buildApplication(host: host, port: port, page: { path in
            let p = pages.page(path)
            return LiveReportServer.Page(status: p.status, html: p.html)
        }) { [host] port in
            FileHandle.standardError.write(Data("winnow report: serving on http://\(host):\(port.map(String.init) ?? "?")/\n".utf8))
        }
        let outcome = ServeOutcome()
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            do { try await app.runService() } catch { outcome.error = error }
            finished.signal()
        }
        finished.wait()
        if let error = outcome.error { throw error }
    }
}

private final class ServeOutcome: @unchecked Sendable {
    var error: (any Error)?
}
