import ArgumentParser
import Foundation
import WinnowCore
import TensorCore

/// The `winnow` command.
struct Winnow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "winnow",
        abstract: "Curate LLM training data and shrink prompts, natively, on CPUs.",
        discussion: """
            Exit codes: 0 ok, 1 bad input or configuration (the message names file:line), \
            2 usage error, 3 internal error.
            """,
        version: "0.1.0",
        subcommands: [
            RunCommand.self, StagesCommand.self, InspectCommand.self, DedupCommand.self, DecontaminateCommand.self, EmbedCommand.self, LidCommand.self,
            ExtractCommand.self, LMCommand.self, SelectCommand.self, ClassifyCommand.self, CompressCommand.self,
            ExamplesCommand.self, ServeCommand.self, ReportCommand.self, StatusCommand.self, TaskCommand.self,
            ConvertCommand.self, TokenizeCommand.self, IndexCommand.self,
        ])
}

extension Winnow {
    /// The subcommands' names, in `--help` order, and `help`.
    static var commandNames: [String] {
        configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
    }

    /// When the first argument is not an option and names no subcommand, the usage error for it:
    /// `error: unknown command 'rnu'; did you mean 'run'?` and the list of commands; nil otherwise.
    static func unknownCommandMessage(arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), !commandNames.contains(first) else { return nil }
        let names = commandNames
        let hint =
            first.hasSuffix(".yaml") || first.hasSuffix(".yml")
            ? "; did you mean 'winnow run \(first)'?" : NameSuggestion.hint(for: first, in: names)
        return "error: unknown command '\(first)'" + hint + "\n"
            + "commands: \(names.joined(separator: ", ")) (see 'winnow --help')"
    }
}

/// Runs the command line and maps failures to the documented exit codes.
@main
enum Main {
    static func main() {
        // OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS when it opens (at the first
        // matrix call): set them now, while the process has one thread (setenv is not safe beside
        // others). Debian's 0.3.21 picks its generic kernel on recent Xeons; see BLAS.
        BLAS.prepareEnvironment()
        let command: ParsableCommand
        do {
            command = try Winnow.parseAsRoot()
        } catch {
            let code = Winnow.exitCode(for: error)
            if code == .success {
                Winnow.exit(withError: error)  // --help, --version
            }
            // `winnow rnu …`: ArgumentParser reports "unexpected arguments"; name the command.
            let message =
                Winnow.unknownCommandMessage(arguments: Array(CommandLine.arguments.dropFirst()))
                ?? Winnow.fullMessage(for: error)
            FileHandle.standardError.write(Data((message + "\n").utf8))
            exit(2)
        }
        do {
            var c = command
            try c.run()
            exit(0)
        } catch let e as ExitCode {
            exit(e.rawValue)
        } catch let e as any UserFacingError {
            FileHandle.standardError.write(Data(("error: \(e.description)\n").utf8))
            exit(1)
        } catch {
            // ArgumentParser's own errors (help requested, validation) keep their meaning.
            switch Winnow.exitCode(for: error) {
            case .success:
                Winnow.exit(withError: error)
            case .validationFailure:
                FileHandle.standardError.write(Data((Winnow.fullMessage(for: error) + "\n").utf8))
                exit(2)
            default:
                FileHandle.standardError.write(Data(("internal error: \(error)\n").utf8))
                exit(3)
            }
        }
    }
}
