// Rebuilds the nested schema from the footer's depth-first list and works out, for every leaf
// column, its path and the definition/repetition levels that the page data refer to.

/// One leaf (primitive) column of a file's schema.
struct LeafColumn {
    var path: [String]
    var element: SchemaElement
    var maxDefinition: Int
    var maxRepetition: Int
    /// Definition level reached when the repeated node holds an entry (list element present, maybe null).
    var definitionOfEntry: Int
    /// Definition level reached when the top-level field itself is not null.
    var definitionOfField: Int
    /// The top-level field's schema element.
    var field: SchemaElement
}

enum SchemaTree {
    static let maxDepth = 16

    /// The leaves in file order; throws on a malformed tree.
    static func leaves(of elements: [SchemaElement]) throws -> [LeafColumn] {
        guard let root = elements.first else { throw FormatError("empty schema") }
        var next = 1
        var out: [LeafColumn] = []
        let children = Int(root.numChildren ?? 0)
        guard children >= 0 else { throw FormatError("negative child count in schema root") }
        for _ in 0..<children {
            try walk(elements, &next, path: [], def: 0, rep: 0, entryDef: 0, fieldDef: nil, field: nil, depth: 1, into: &out)
        }
        guard next == elements.count else {
            throw FormatError("schema lists \(elements.count) elements but its tree uses \(next)")
        }
        return out
    }

    private static func walk(_ elements: [SchemaElement], _ next: inout Int, path: [String], def: Int, rep: Int,
                             entryDef: Int, fieldDef: Int?, field: SchemaElement?, depth: Int,
                             into out: inout [LeafColumn]) throws {
        guard depth <= maxDepth else { throw FormatError("schema nested deeper than \(maxDepth)") }
        guard next < elements.count else { throw FormatError("schema tree refers to more elements than listed") }
        let e = elements[next]
        next += 1
        var def = def, rep = rep, entryDef = entryDef
        switch e.repetition ?? Repetition.required.rawValue {
        case Repetition.required.rawValue: break
        case Repetition.optional.rawValue: def += 1
        case Repetition.repeated.rawValue:
            def += 1
            rep += 1
            entryDef = def
        default: throw FormatError("schema element \(e.name) has repetition \(e.repetition ?? -1)")
        }
        let field = field ?? e
        let fieldDef = fieldDef ?? def
        let path = path + [e.name]
        if let n = e.numChildren, e.type == nil {
            guard n >= 0, n <= elements.count - next else {
                throw FormatError("schema element \(e.name) claims \(n) children")
            }
            for _ in 0..<n {
                try walk(elements, &next, path: path, def: def, rep: rep, entryDef: entryDef, fieldDef: fieldDef,
                         field: field, depth: depth + 1, into: &out)
            }
        } else {
            guard e.type != nil else { throw FormatError("schema leaf \(e.name) has no type") }
            out.append(LeafColumn(path: path, element: e, maxDefinition: def, maxRepetition: rep,
                                  definitionOfEntry: entryDef, definitionOfField: fieldDef, field: field))
        }
    }
}
