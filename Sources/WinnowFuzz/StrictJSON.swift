/// A strict RFC 8259 check, independent of the project's scanner: the invariant "output is
/// always strict JSON" must not be judged by the code under test (which also reads Python's
/// `NaN` and `Infinity`).
enum StrictJSON {
    /// Checks that `bytes` hold exactly one JSON value (surrounding whitespace allowed) in valid UTF-8.
    /// - Returns: nil when valid, else what is wrong and at which byte offset.
    static func problem<C: Collection>(in bytes: C) -> String? where C.Element == UInt8 {
        let b = Array(bytes)
        if String(validating: b, as: UTF8.self) == nil { return "not valid UTF-8" }
        var i = 0
        do throws(Failure) {
            skipSpace(b, &i)
            try value(b, &i, depth: 0)
            skipSpace(b, &i)
            if i != b.count { throw Failure(offset: i, what: "data after the value") }
            return nil
        } catch {
            return "\(error.what) at byte \(error.offset)"
        }
    }

    struct Failure: Error {
        var offset: Int
        var what: String
    }

    private static func skipSpace(_ b: [UInt8], _ i: inout Int) {
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
    }

    private static func value(_ b: [UInt8], _ i: inout Int, depth: Int) throws(Failure) {
        guard depth < 10_000 else { throw Failure(offset: i, what: "nesting too deep to check") }
        guard i < b.count else { throw Failure(offset: i, what: "expected a value") }
        switch b[i] {
        case 0x7B:
            i += 1
            skipSpace(b, &i)
            if i < b.count && b[i] == 0x7D { i += 1; return }
            while true {
                skipSpace(b, &i)
                guard i < b.count, b[i] == 0x22 else { throw Failure(offset: i, what: "expected a key") }
                try string(b, &i)
                skipSpace(b, &i)
                guard i < b.count, b[i] == 0x3A else { throw Failure(offset: i, what: "expected ':'") }
                i += 1
                skipSpace(b, &i)
                try value(b, &i, depth: depth + 1)
                skipSpace(b, &i)
                guard i < b.count else { throw Failure(offset: i, what: "unterminated object") }
                if b[i] == 0x2C { i += 1; continue }
                if b[i] == 0x7D { i += 1; return }
                throw Failure(offset: i, what: "expected ',' or '}'")
            }
        case 0x5B:
            i += 1
            skipSpace(b, &i)
            if i < b.count && b[i] == 0x5D { i += 1; return }
            while true {
                skipSpace(b, &i)
                try value(b, &i, depth: depth + 1)
                skipSpace(b, &i)
                guard i < b.count else { throw Failure(offset: i, what: "unterminated array") }
                if b[i] == 0x2C { i += 1; continue }
                if b[i] == 0x5D { i += 1; return }
                throw Failure(offset: i, what: "expected ',' or ']'")
            }
        case 0x22: try string(b, &i)
        case 0x74: try literal(b, &i, Array("true".utf8))
        case 0x66: try literal(b, &i, Array("false".utf8))
        case 0x6E: try literal(b, &i, Array("null".utf8))
        case 0x2D, 0x30...0x39: try number(b, &i)
        default: throw Failure(offset: i, what: "not a JSON value (byte 0x\(String(b[i], radix: 16)))")
        }
    }

    private static func literal(_ b: [UInt8], _ i: inout Int, _ word: [UInt8]) throws(Failure) {
        guard b.count - i >= word.count, Array(b[i..<(i + word.count)]) == word else { throw Failure(offset: i, what: "invalid literal") }
        i += word.count
    }

    private static func string(_ b: [UInt8], _ i: inout Int) throws(Failure) {
        i += 1
        while i < b.count {
            let c = b[i]
            if c == 0x22 { i += 1; return }
            if c < 0x20 { throw Failure(offset: i, what: "unescaped control character in a string") }
            if c == 0x5C {
                guard i + 1 < b.count else { break }
                switch b[i + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 2
                case 0x75:
                    guard i + 5 < b.count, b[(i + 2)...(i + 5)].allSatisfy({ isHex($0) }) else {
                        throw Failure(offset: i, what: "bad \\u escape")
                    }
                    i += 6
                default: throw Failure(offset: i, what: "bad escape")
                }
                continue
            }
            i += 1
        }
        throw Failure(offset: i, what: "unterminated string")
    }

    private static func isHex(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c)
    }

    private static func number(_ b: [UInt8], _ i: inout Int) throws(Failure) {
        let start = i
        func digits() -> Int {
            let s = i
            while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
            return i - s
        }
        if b[i] == 0x2D { i += 1 }
        guard i < b.count else { throw Failure(offset: start, what: "invalid number") }
        if b[i] == 0x30 {
            i += 1
        } else if digits() == 0 {
            throw Failure(offset: start, what: "invalid number")
        }
        if i < b.count, b[i] == 0x2E {
            i += 1
            if digits() == 0 { throw Failure(offset: start, what: "invalid number") }
        }
        if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
            i += 1
            if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
            if digits() == 0 { throw Failure(offset: start, what: "invalid number") }
        }
    }
}
