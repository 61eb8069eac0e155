#if canImport(Glibc)
import Glibc
#endif

/// Finds a model file or folder by name, in the documented order: an explicit path
/// (`--model PATH`, a recipe's `model:`), then `$WINNOW_MODELS/<name>`, `./models/<name>`,
/// `~/.cache/winnow/models/<name>`.
public enum ModelLocator {
    /// The places searched for `name` when no explicit path is given, in order.
    public static func candidates(for name: String, environment: [String: String] = currentEnvironment()) -> [String] {
        var places: [String] = []
        if let root = environment["WINNOW_MODELS"], !root.isEmpty { places.append(join(root, name)) }
        places.append(join("models", name))
        if let home = environment["HOME"], !home.isEmpty { places.append(join(home, ".cache/winnow/models/" + name)) }
        return places
    }

    /// The path of model `name`.
    /// - Parameters:
    ///   - name: the model's file or folder name (`all-MiniLM-L6-v2`, `lid.176.ftz`).
    ///   - explicit: a path the user gave; used as is, and an error when it does not exist.
    /// - Throws: ``FileError`` naming every place tried and how to fetch the models.
    public static func locate(_ name: String, explicit: String? = nil, environment: [String: String] = currentEnvironment()) throws -> String {
        if let explicit, !explicit.isEmpty {
            guard exists(explicit) else { throw FileError(path: explicit, "model not found") }
            return explicit
        }
        let places = candidates(for: name, environment: environment)
        if let found = places.first(where: exists) { return found }
        throw FileError(
            path: name,
            "model not found (looked in \(places.joined(separator: ", "))); run `make deps-models` "
                + "(scripts/fetch-models.sh), set WINNOW_MODELS, or pass the path")
    }

    /// The process environment as a dictionary.
    public static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { result[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return result
    }

    private static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }

    private static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }
}
