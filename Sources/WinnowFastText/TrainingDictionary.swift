#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WinnowCore

/// The dictionary of a training corpus (fastText's `Dictionary::readFromFile` then
/// `threshold`): every token of a fastText-format text, counted; words (ids `0..<nwords`, by
/// decreasing count) then labels (by decreasing count), after `minCount` / `minCountLabel`.
///
/// Entries are ordered with libstdc++'s `std::sort` over first-appearance order, as fastText
/// built with GCC orders them (ties in count included), so word ids match fastText's.
struct TrainingDictionary {
    /// Entries after thresholding: `wordBytes[wordStart[i]..<wordStart[i + 1]]`.
    let wordBytes: [UInt8]
    let wordStart: [Int]
    let counts: [Int64]
    let nwords: Int
    let nlabels: Int
    /// Every token read, `</s>` included, before thresholding (fastText's `ntokens_`).
    let ntokens: Int64

    func entry(_ i: Int) -> ArraySlice<UInt8> { wordBytes[wordStart[i]..<wordStart[i + 1]] }
    func word(_ i: Int) -> String { String(decoding: entry(i), as: UTF8.self) }
}

/// A fastText-format training text read once: each token's (pre-threshold) entry and hash, and
/// where each line's tokens end. Lines end at `\n` with the `</s>` token; a last line without a
/// newline has none, as in fastText.
struct TokenizedCorpus {
    /// Pre-threshold entries, in first-appearance order.
    var entryBytes: [UInt8] = []
    var entryStart: [Int] = [0]
    var entryHash: [UInt32] = []
    var entryCount: [Int64] = []
    var entryIsLabel: [Bool] = []
    /// Token `t` is entry `tokens[t]`; line `l` is `tokens[lineEnd[l - 1]..<lineEnd[l]]`.
    var tokens: [Int32] = []
    var lineEnd: [Int] = []
    /// The file line each line comes from (1-based), for messages.
    var lineNumber: [Int] = []

    private var table: [Int32] = Array(repeating: -1, count: 1 << 12)

    static let eos = FastTextDictionary.eos
    static let labelPrefix = FastTextDictionary.labelPrefix

    /// Reads `bytes`, a fastText training text (`__label__x … words …` per line).
    /// - Throws: ``InputError`` naming `path:line` for a line that is not valid UTF-8 or has
    ///   words but no `__label__` token.
    init(_ bytes: [UInt8], path: String) throws(InputError) {
        try bytes.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) throws(InputError) in
            var lineStart = 0
            var line = 1
            let n = b.count
            while lineStart < n {
                var end = lineStart
                var ascii = true
                while end < n && b[end] != 0x0A {
                    if b[end] >= 0x80 { ascii = false }
                    end += 1
                }
                let text = UnsafeBufferPointer(rebasing: b[lineStart..<end])
                if !ascii && String(validating: text, as: UTF8.self) == nil {
                    throw InputError("invalid UTF-8 in a training line", at: SourceLocation(file: path, line: line),
                                     record: Array(text))
                }
                let first = tokens.count
                var hasLabel = false
                var i = 0
                while i < text.count {
                    while i < text.count && FastTextModel.isSeparator(text[i]) { i += 1 }
                    if i >= text.count { break }
                    let s = i
                    while i < text.count && !FastTextModel.isSeparator(text[i]) { i += 1 }
                    let id = add(UnsafeBufferPointer(rebasing: text[s..<i]))
                    hasLabel = hasLabel || entryIsLabel[id]
                }
                if tokens.count > first && !hasLabel {
                    throw InputError(
                        "training line has no label (a token starting with __label__, e.g. `__label__positive some text`)",
                        at: SourceLocation(file: path, line: line), record: Array(text))
                }
                if end < n {
                    Self.eos.withUnsafeBufferPointer { _ = add($0) }
                }
                if tokens.count > first {
                    lineEnd.append(tokens.count)
                    lineNumber.append(line)
                }
                lineStart = end + 1
                line += 1
            }
        }
    }

    var ntokens: Int64 { Int64(tokens.count) }

    /// Whether entry `id` is `token` (not empty).
    @inline(__always)
    private func equals(_ id: Int, _ token: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = entryStart[id]
        guard entryStart[id + 1] - start == token.count else { return false }
        return entryBytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + start, token.baseAddress!, token.count) == 0 }
    }

    /// Counts one token (Dictionary::add) and returns its entry.
    @inline(__always)
    private mutating func add(_ token: UnsafeBufferPointer<UInt8>) -> Int {
        let h = FastTextHash.hash(token)
        var mask = table.count - 1
        var slot = Int(h) & mask
        while true {
            let id = Int(table[slot])
            if id < 0 { break }
            if entryHash[id] == h && equals(id, token) {
                entryCount[id] += 1
                tokens.append(Int32(id))
                return id
            }
            slot = (slot + 1) & mask
        }
        let id = entryHash.count
        entryBytes.append(contentsOf: token)
        entryStart.append(entryBytes.count)
        entryHash.append(h)
        entryCount.append(1)
        entryIsLabel.append(token.count >= Self.labelPrefix.count && token.prefix(Self.labelPrefix.count).elementsEqual(Self.labelPrefix))
        tokens.append(Int32(id))
        table[slot] = Int32(id)
        if 2 * entryHash.count > table.count {
            table = Array(repeating: -1, count: table.count * 2)
            mask = table.count - 1
            for e in 0..<entryHash.count {
                var s = Int(entryHash[e]) & mask
                while table[s] >= 0 { s = (s + 1) & mask }
                table[s] = Int32(e)
            }
        }
        return id
    }

    /// Dictionary::threshold: drops words seen fewer than `minCount` times and labels seen
    /// fewer than `minCountLabel` times, and orders the rest. Returns the dictionary and each
    /// pre-threshold entry's new id (-1 when dropped).
    func threshold(minCount: Int, minCountLabel: Int) -> (TrainingDictionary, [Int32]) {
        var order = Array(entryCount.indices)
        LibstdcxxSort.sort(&order) { a, b in
            entryIsLabel[a] != entryIsLabel[b] ? !entryIsLabel[a] : entryCount[a] > entryCount[b]
        }
        order.removeAll { e in entryCount[e] < Int64(entryIsLabel[e] ? minCountLabel : minCount) }
        var newId = [Int32](repeating: -1, count: entryCount.count)
        var bytes: [UInt8] = []
        var start = [0]
        var counts: [Int64] = []
        var nwords = 0
        for (i, e) in order.enumerated() {
            newId[e] = Int32(i)
            bytes.append(contentsOf: entryBytes[entryStart[e]..<entryStart[e + 1]])
            start.append(bytes.count)
            counts.append(entryCount[e])
            if !entryIsLabel[e] { nwords += 1 }
        }
        let dictionary = TrainingDictionary(
            wordBytes: bytes, wordStart: start, counts: counts, nwords: nwords, nlabels: order.count - nwords, ntokens: ntokens)
        return (dictionary, newId)
    }
}
