/// A command's arguments: `--name value` options (and bare `--flags`) plus positionals.
struct Arguments {
    private var options: [String: String] = [:]
    private(set) var positionals: [String] = []

    init(_ words: ArraySlice<String>, flags: Set<String> = [], valued: Set<String>) throws(CLIError) {
        var it = words.makeIterator()
        while let w = it.next() {
            if w.hasPrefix("--") {
                let name = String(w.dropFirst(2))
                if flags.contains(name) {
                    options[name] = ""
                } else if valued.contains(name) {
                    guard let v = it.next() else { throw CLIError.usage("--\(name) needs a value") }
                    options[name] = v
                } else {
                    throw CLIError.usage("unknown option --\(name)")
                }
            } else {
                positionals.append(w)
            }
        }
    }

    subscript(_ name: String) -> String? { options[name] }
    func has(_ name: String) -> Bool { options[name] != nil }

    func required(_ name: String) throws(CLIError) -> String {
        guard let v = options[name] else { throw CLIError.usage("--\(name) is required") }
        return v
    }

    func integer(_ name: String) throws(CLIError) -> Int? {
        guard let v = options[name] else { return nil }
        guard let n = Int(v) else { throw CLIError.usage("--\(name) takes a whole number, not '\(v)'") }
        return n
    }

    func positionals(_ count: Int, _ names: String) throws(CLIError) -> [String] {
        guard positionals.count == count else { throw CLIError.usage("expected \(names)") }
        return positionals
    }
}
