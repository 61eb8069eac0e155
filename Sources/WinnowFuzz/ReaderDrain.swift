import WinnowCore
import WinnowIO

/// What reading a whole input with a ``DocumentReader`` gave.
struct DrainResult {
    /// The documents, in order.
    var documents: [Document] = []
    /// The ``InputError``s the reader threw (the pipeline skips these with `on_error: skip`).
    var inputErrors: [InputError] = []
    /// Another error that ended reading (the pipeline stops on these), if any.
    var fatal: (any Error)?
    /// True when reading stopped at a bound (documents or decoded bytes), not at the end.
    var capped = false
}

/// Bounds that keep one fuzz input cheap; reaching one is not a finding.
enum FuzzLimits {
    /// Documents read from one input at most.
    static let documents = 20_000
    /// Decompressed bytes read from one input at most.
    static let decodedBytes: Int64 = 64 << 20
    /// Errors in a row without the reader moving forward that count as "the reader never ends".
    static let stuckErrors = 1_000
    /// `max_line_bytes` / `max_record_bytes` for the readers under test.
    static let recordBytes = 1 << 20
}

/// Reads every document of `reader` as the pipeline does: an ``InputError`` is recorded and
/// reading goes on; any other error ends it.
/// - Returns: the documents and errors, or a finding when the reader keeps throwing without
///   moving forward (the pipeline would loop forever on it).
func drain(_ reader: DocumentReader, target: String) -> Result<DrainResult, FuzzFinding> {
    var result = DrainResult()
    var stuck = 0
    var lastOffset: Int64 = -1
    while true {
        if result.documents.count >= FuzzLimits.documents || reader.bytesRead > FuzzLimits.decodedBytes {
            result.capped = true
            return .success(result)
        }
        do {
            guard let doc = try reader.next() else { return .success(result) }
            result.documents.append(doc)
            stuck = 0
        } catch let e as InputError {
            result.inputErrors.append(e)
            let offset = reader.bytesRead
            if offset == lastOffset {
                stuck += 1
                if stuck >= FuzzLimits.stuckErrors {
                    return .failure(FuzzFinding(
                        target, "the reader threw \(stuck) errors in a row at byte \(offset) without moving on (last: \(e)); a pipeline with on_error: skip would never end"))
                }
            } else {
                stuck = 0
                lastOffset = offset
            }
        } catch {
            result.fatal = error
            return .success(result)
        }
    }
}
