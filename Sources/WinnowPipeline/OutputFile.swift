#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO
import WinnowParquet

/// The rules for a command that writes one file (`winnow embed --output v.npy`, `lm train`,
/// `classify train`, `select --output x.jsonl.gz`): the file side of the run-folder safety
/// model (``RunFolder``).
///
/// A path is refused, before anything is written, when it is empty, a folder (so `/`, `.` and
/// the home folder too), something other than a regular file (a device such as `/dev/null`
/// would be replaced by the atomic rename), one of the command's inputs, or an existing
/// non-empty file that is not of the kind the command writes — unless `--overwrite` says to
/// replace it. "Of the kind" is proved by the file's first bytes (``Kind``).
public enum OutputFile {
    /// What a command writes, recognised by its first bytes.
    public enum Kind: Sendable, Hashable {
        /// A NumPy `.npy` array (`\x93NUMPY`).
        case npy
        /// A Winnow `.wlm` language model (`WINNOWLM`).
        case winnowLM
        /// An ARPA language model (text starting with `\data\` after blank lines).
        case arpa
        /// A fastText `.bin` model (magic 793712314, little-endian).
        case fastText
        /// A `winnow report` page (its first two lines).
        case winnowReport
        /// Anything: only an empty file or `--overwrite` lets it be replaced.
        case unrecognisable

        /// Whether `head` (the file's first bytes) is of this kind.
        func recognises(_ head: [UInt8]) -> Bool {
            switch self {
            case .npy: return head.starts(with: [0x93] + Array("NUMPY".utf8))
            case .winnowLM: return head.starts(with: Array("WINNOWLM".utf8))
            case .arpa: return head.drop(while: { $0 == 0x0A || $0 == 0x0D }).starts(with: Array("\\data\\".utf8))
            case .fastText: return head.starts(with: [0xBA, 0x16, 0x4F, 0x2F])
            case .winnowReport: return head.starts(with: Array(ReportHTML.signature.utf8))
            case .unrecognisable: return false
            }
        }
    }

    /// Checks `path` before a command writes it.
    /// - Parameters:
    ///   - path: the output file as given.
    ///   - inputs: the command's input files (any form).
    ///   - kind: what the command writes; an existing file of this kind may be replaced.
    ///   - overwrite: the user allowed replacing any existing regular file.
    ///   - option: the option's name for messages (`--output`).
    /// - Throws: ``RunFolderError`` naming the path and the rule.
    public static func check(_ path: String, inputs: [String], kind: Kind, overwrite: Bool, option: String = "--output") throws {
        func refuse(_ why: String) -> RunFolderError {
            RunFolderError(path: path, why, subject: "\(option) '\(path)'")
        }
        if path.isEmpty { throw refuse("the path is empty") }
        guard let resolved = FileSystem.resolve(path) else { throw refuse("cannot resolve the path") }
        if FileSystem.isDirectory(resolved) { throw refuse("is a folder, not a file") }
        if path.hasSuffix("/") { throw refuse("names a folder, not a file") }
        let identity = FileSystem.identity(resolved)
        for input in inputs {
            guard let r = FileSystem.resolve(input) else { continue }
            let same = identity.flatMap { a in FileSystem.identity(r).map { b in a == b } } ?? false
            if r == resolved || same {
                throw refuse("is the input file '\(input)'")
            }
        }
        guard FileSystem.exists(resolved) else { return }
        if !FileSystem.isRegularFile(resolved) {
            throw refuse("exists and is not a regular file (a device, pipe or socket would be replaced)")
        }
        if overwrite { return }
        let head = (try? FileSource.peek(path: resolved, count: 64)) ?? []
        if head.isEmpty || kind.recognises(head) { return }
        throw refuse("exists and is not a file this command wrote: pass --overwrite to replace it, or choose a new name")
    }
}

/// Opens the writer of one output file of a run: JSONL (plain, gzip or zstd) or Parquet.
/// - Parameters:
///   - path: the final path (written atomically).
///   - output: the recipe's output section (format, levels, Parquet options).
func makeOutputWriter(path: String, output: OutputSpec) throws -> any DocumentWriter {
    if output.format == .parquet { return try ParquetWriter(path: path, options: output.parquet) }
    return try JSONLWriter(path: path, format: output.format, level: output.compressionLevel)
}

/// Opens a file a run wrote in `data/` or `removed/` for reading: Parquet by its `.parquet`
/// name, JSONL (plain, gzip or zstd) otherwise.
public func makeOutputReader(path: String, name: String) throws -> DocumentReader {
    if path.hasSuffix(".parquet") { return try ParquetDocumentReader(path: path) }
    return try JSONLReader(piece: InputPiece(path: path, name: name, size: 0), options: ReaderOptions())
}
