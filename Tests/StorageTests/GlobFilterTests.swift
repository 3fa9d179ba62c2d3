import Storage
import Testing

/// The glob filter against the names Spark's pathGlobFilter (Hadoop GlobPattern) accepts or rejects.
struct GlobFilterTests {
    @Test(arguments: [
        ("a.jpg", true), ("A.JPG", true), ("b.Jpeg", true), ("c.jpg.txt", false), ("jpg", false),
        (".jpg", true), ("d.png", false), ("e.jpe", false), ("f.jpegx", false),
    ])
    func defaultImageFilter(name: String, expected: Bool) {
        #expect(GlobFilter.images.matches(name) == expected, "\(name)")
    }

    @Test(arguments: [
        ("img_??.jpg", "img_01.jpg", true), ("img_??.jpg", "img_1.jpg", false),
        ("[a-c]*.png", "b1.png", true), ("[a-c]*.png", "d1.png", false),
        ("[!a-c]*", "d", true), ("[!a-c]*", "a", false), ("[^x]y", "zy", true),
        ("{cat,dog}_*.{jpg,png}", "dog_3.png", true), ("{cat,dog}_*.{jpg,png}", "cow_3.png", false),
        ("a\\*b", "a*b", true), ("a\\*b", "axb", false), ("*", "", true), ("*x*y", "1x2y", true),
        ("{a,{b,c}}z", "cz", true), ("{a,{b,c}}z", "dz", false),
    ])
    func patterns(pattern: String, name: String, expected: Bool) {
        #expect(GlobFilter(pattern).matches(name) == expected, "\(pattern) vs \(name)")
    }

    @Test func matchesOnlyTheLastComponent() {
        let filter = GlobFilter("*.jpg")
        #expect(filter.matchesPath("s3://b/x.jpg/y.png") == false)
        #expect(filter.matchesPath("s3://b/x.png/y.jpg"))
    }

    @Test func caseSensitivityIsAnOption() {
        #expect(GlobFilter("*.jpg").matches("A.JPG") == false)
        #expect(GlobFilter("*.jpg", caseInsensitive: true).matches("A.JPG"))
    }
}
