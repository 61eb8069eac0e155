import Foundation
import Testing
import WinnowCore
@testable import WinnowFilters

@Suite("c4_badwords")
struct C4BadWordsFilterTests {
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/filter-lists/ldnoobw").standardized.path

    func tempLists() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-badwords-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "darn\nheck it\nsm\n".write(to: dir.appendingPathComponent("en"), atomically: true, encoding: .utf8)
        try "ばか\n性\n".write(to: dir.appendingPathComponent("ja"), atomically: true, encoding: .utf8)
        return dir.path
    }

    @Test("whole words only, case-insensitive; any occurrence for ja; allow-list removed")
    func words() throws {
        let f = try C4BadWordsFilter(lists: try tempLists())
        let ctx = StageContext()
        func v(_ t: String, _ lang: String? = nil) throws -> Verdict {
            var d = Document(id: "x", text: t)
            if let lang { d.metadata["language"] = .string(lang) }
            return try f.verdict(for: d, context: ctx)
        }
        #expect(try v("Oh DARN, that.") == .drop(reason: "document_removed_with_badwords"))
        #expect(try v("darned socks") == .keep)
        #expect(try v("well heck it all") == .drop(reason: "document_removed_with_badwords"))
        #expect(try v("sm is allowed") == .keep)
        #expect(try v("") == .keep)
        #expect(try v("あなたはばかです", "ja") == .drop(reason: "document_removed_with_badwords"))
        #expect(try v("性格", "ja") == .keep)
        #expect(throws: InputError.self) { try v("text", "xx") }
    }

    @Test("the LDNOOBW English list from ../shared (skips when absent)")
    func sharedList() throws {
        guard FileManager.default.fileExists(atPath: Self.shared + "/en") else {
            try Test.cancel("\(Self.shared)/en not found (../shared/data/filter-lists/ldnoobw)")
        }
        let f = try C4BadWordsFilter(lists: Self.shared)
        #expect(f.verdict(Document(id: "a", text: "A perfectly clean sentence about gardening.")) == .keep)
        #expect(f.verdict(Document(id: "b", text: "This page is full of porn links.")) == .drop(reason: "document_removed_with_badwords"))
    }

    @Test("needs a lists folder")
    func config() {
        #expect(throws: ConfigError.self) { _ = try C4BadWordsFilter.descriptor.build(nil) }
        let missing = ConfigValue(.mapping([("lists", ConfigValue(.scalar("/nonexistent/lists")))]))
        #expect(throws: ConfigError.self) { _ = try C4BadWordsFilter.descriptor.build(missing) }
    }
}

extension C4BadWordsFilter {
    func verdict(_ d: Document) -> Verdict { (try? verdict(for: d, context: StageContext())) ?? .drop(reason: "error") }
}

@Suite("pii")
struct PIIFormatterTests {
    func run(_ text: String) -> String {
        var d = Document(id: "t", text: text)
        _ = PIIFormatter().transform(&d, context: StageContext())
        return d.text
    }

    @Test("e-mails and public IPv4 addresses are replaced in turn", arguments: [
        ("mail john.doe@mail.example.co.uk now", "mail email@example.com now"),
        ("a@b.com and c@d.org", "email@example.com and firstname.lastname@example.org"),
        ("not an email: foo@bar, @twitter", "not an email: foo@bar, @twitter"),
        ("server 8.8.8.8 and 1.1.1.1", "server 22.214.171.124 and 126.96.36.199"),
        ("private 192.168.1.1, 10.0.0.1, 127.0.0.1, 172.16.5.4, 100.64.1.1", "private 192.168.1.1, 10.0.0.1, 127.0.0.1, 172.16.5.4, 100.64.1.1"),
        ("version 1.2.3.256", "version 22.214.171.1246"),
        ("leading zero 08.8.8.8 kept", "leading zero 08.8.8.8 kept"),
        ("", ""), ("東京 🙂 no pii", "東京 🙂 no pii"),
    ])
    func table(input: String, expected: String) {
        #expect(run(input) == expected)
    }
}
