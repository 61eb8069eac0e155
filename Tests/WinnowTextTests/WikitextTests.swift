import Testing
import WinnowText

@Suite("Wikitext to plain text")
struct WikitextTests {
    @Test("one construct at a time", arguments: [
        // templates, nested, and parameters inside
        ("A {{cite web|url=x|title={{lang|fr|Y}}}} B", "A  B"),
        ("{{Infobox person\n| name = X\n| born = {{birth date|1900|1|1}}\n}}\nText.", "Text."),
        // links
        ("[[Paris]] is in [[France|the French Republic]].", "Paris is in the French Republic."),
        ("[[cat]]s and [[dog]]s", "cats and dogs"),
        ("[[Paris, Texas|]] town", "Paris town"),
        ("[[:Category:Cities]] list", "Category:Cities list"),
        // files, images, categories and interlanguage links go, captions and all
        ("Before [[File:A.jpg|thumb|A [[caption]] here]] after", "Before  after"),
        ("[[Image:B.png|left]]Text", "Text"),
        ("Text\n[[Category:Stuff]]\n[[de:Seite]]", "Text"),
        // references
        ("Fact.<ref name=\"a\">Source, p. 3.</ref> More.<ref name=\"a\" /> End", "Fact. More. End"),
        ("X<REF>upper</REF>Y", "XY"),
        // tables, nested with templates
        ("Intro\n{| class=\"wikitable\"\n|-\n| a || {{b}}\n{|\n| inner\n|}\n|}\nOutro", "Intro\n\nOutro"),
        // bold and italic
        ("'''bold''' and ''italic'' and '''''both'''''", "bold and italic and both"),
        ("the ''cat'''s toy", "the cat's toy"),
        // headings
        ("== History ==\nText\n=== Early ===\nMore", "History\nText\nEarly\nMore"),
        // comments
        ("A<!-- hidden\ncomment -->B", "AB"),
        // external links
        ("See [http://example.org the site] or [https://x.org].", "See the site or ."),
        // entities
        ("5&nbsp;km &ndash; 3&#160;m &amp; &#x41;&lt;", "5 km – 3\u{A0}m & A<"),
        // lists
        ("* one\n** two\n# three\n: indented\n; term", "one\ntwo\nthree\nindented\nterm"),
        // other tags keep their text; math goes
        ("a<sup>2</sup> + <small>b</small><br/>c <math>x^2</math>", "a2 + b\nc"),
        // magic words and rules
        ("__NOTOC__\nText\n----\nMore", "Text\n\nMore"),
    ])
    func construct(input: String, expected: String) {
        #expect(Wikitext.plainText(input) == expected)
    }

    @Test("unbalanced markup loses its markers, not the text after it")
    func unbalanced() {
        #expect(Wikitext.plainText("a }} b {{ c") == "a  b  c")
        #expect(Wikitext.plainText("see [[unclosed link and more") == "see unclosed link and more")
        #expect(Wikitext.plainText("x<ref>never closed") == "xnever closed")
    }

    @Test("non-ASCII text passes through")
    func unicode() {
        #expect(Wikitext.plainText("'''東京''' ([[日本語]]: ''Tōkyō'') 🗼") == "東京 (日本語: Tōkyō) 🗼")
    }
}
