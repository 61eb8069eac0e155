import ArgumentParser
import WinnowPipeline

/// `winnow stages`.
struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages", abstract: "List every stage with its parameters, defaults and drop reasons.")

    @Flag(help: "Print Markdown (docs/stages.md is generated this way).")
    var markdown = false

    func run() throws {
        print(StageRegistry.standard.render(markdown: markdown), terminator: "")
    }
}
