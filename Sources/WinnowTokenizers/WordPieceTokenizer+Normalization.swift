internal import CICUShim

// MARK: - BertNormalizer and BertPreTokenizer character classes

extension WordPieceTokenizer {
    /// Applies the configured normalisation to raw scalars (see the type's steps 2).
    func normalize(_ input: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(input.count)
        var allASCII = true
        for scalar in input {
            if options.cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || WordPieceTokenizer.isControl(scalar) { continue }
                if WordPieceTokenizer.isWhitespace(scalar) {
                    out.append(" ")
                    continue
                }
            }
            if scalar.value >= 0x80 { allASCII = false }
            if options.splitChineseCharacters && WordPieceTokenizer.isChineseCharacter(scalar) {
                out.append(" ")
                out.append(scalar)
                out.append(" ")
            } else {
                out.append(scalar)
            }
        }
        if allASCII {
            if options.lowercase {
                for i in out.indices where (0x41 ... 0x5A).contains(out[i].value) {
                    out[i] = Unicode.Scalar(UInt8(out[i].value + 32))
                }
            }
            return out
        }
        if options.stripAccents {
            var text = ""
            text.unicodeScalars.append(contentsOf: out)
            let stripped = text.withUTF8 { u in Normalizer.icu(u) { cicu_nfd_strip_marks($0, $1, $2, $3, $4) } }
            out = Array(String(decoding: stripped, as: UTF8.self).unicodeScalars)
        }
        if options.lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(out.count)
            for scalar in out {
                if scalar.value < 0x80 {
                    lowered.append((0x41 ... 0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value + 32)) : scalar)
                } else if scalar.properties.changesWhenLowercased {
                    lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                } else {
                    lowered.append(scalar)
                }
            }
            out = lowered
        }
        return out
    }

    /// Control characters as `tokenizers` counts them: every "Other" category (Cc, Cf, Cs, Co,
    /// Cn) except tab, newline and carriage return, which count as whitespace.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x20 ..< 0x7F: return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: return true
            default: return false
            }
        }
    }

    /// Whitespace as Rust's `char::is_whitespace` (the Unicode White_Space property).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        case 0x21 ..< 0x7F: return false
        default: return scalar.properties.isWhitespace
        }
    }

    /// Punctuation as BERT splits on it: ASCII punctuation (which includes `$ + < = > ^ \` | ~`)
    /// or any Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po).
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33 ... 47).contains(v) || (58 ... 64).contains(v) || (91 ... 96).contains(v) || (123 ... 126).contains(v) {
            return true
        }
        guard v >= 0x80 else { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT splits into single-character words.
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00 ... 0x9FFF, 0x3400 ... 0x4DBF, 0x20000 ... 0x2A6DF, 0x2A700 ... 0x2B73F,
            0x2B740 ... 0x2B81F, 0x2B920 ... 0x2CEAF, 0xF900 ... 0xFAFF, 0x2F800 ... 0x2FA1F:
            return true
        default:
            return false
        }
    }
}
