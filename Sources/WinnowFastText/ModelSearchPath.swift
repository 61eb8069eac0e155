#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where Winnow looks for model files (DESIGN.md §6): an explicit path first, then
/// `$WINNOW_MODELS`, `./models` and `~/.cache/winnow/models`.
public enum ModelSearchPath {
    /// The folders searched, in order, for a model named without a path.
    public static func folders(environment: [String: String]? = nil) -> [String] {
        func env(_ key: String) -> String? {
            if let environment { return environment[key] }
            return getenv(key).map { String(cString: $0) }
        }
        var result: [String] = []
        if let root = env("WINNOW_MODELS"), !root.isEmpty { result.append(root) }
        result.append("./models")
        if let home = env("HOME"), !home.isEmpty { result.append(home + "/.cache/winnow/models") }
        return result
    }

    /// Finds a model file.
    /// - Parameters:
    ///   - explicit: a path given by the user (`--model`, a recipe's `model:`). A path that exists
    ///     is used as is; a bare file name (no `/`) is also looked for in ``folders(environment:)``.
    ///   - defaultName: the file name to look for when no path is given, e.g. `lid.176.ftz`.
    /// - Returns: the path found, or the list of places tried (for the error message).
    public static func locate(explicit: String?, defaultName: String,
                              environment: [String: String]? = nil) -> Result<String, NotFound> {
        var tried: [String] = []
        if let explicit, !explicit.isEmpty {
            if isFile(explicit) { return .success(explicit) }
            tried.append(explicit)
            if explicit.contains("/") { return .failure(NotFound(tried: tried)) }
        }
        let name = (explicit?.isEmpty ?? true) ? defaultName : explicit ?? defaultName
        for folder in folders(environment: environment) {
            let candidate = folder + "/" + name
            if isFile(candidate) { return .success(candidate) }
            tried.append(candidate)
        }
        return .failure(NotFound(tried: tried))
    }

    /// The places a model was looked for, none of which held it.
    public struct NotFound: Error, Sendable, Hashable {
        /// Paths tried, in order.
        public var tried: [String]
    }

    static func isFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }
}
