import Glibc
import SealCore
import Sealing

/// `sealframe seal --key FILE [--asset ID] [--segment-size N] [--type T] [--width W --height H] IN OUT`
func seal(_ words: ArraySlice<String>) throws(CLIError) {
    let args = try Arguments(words, valued: ["key", "asset", "segment-size", "type", "width", "height"])
    let paths = try args.positionals(2, "IN OUT (use - for standard input or output)")
    let key = try readKeyFile(try args.required("key"))
    var source = try FileSource(path: paths[0])

    // The envelope carries the plaintext length, so a pipe is read into memory first.
    var buffered: [UInt8] = []
    var length: Int
    if let size = source.regularFileSize {
        length = size
    } else {
        buffered = try readAll(&source)
        length = buffered.count
    }
    defer { buffered.withUnsafeMutableBytes { wipe($0) } }

    let segmentSize = try args.integer("segment-size") ?? StreamParameters.sealframeDefault.segmentSize
    let parameters = try sealing { () throws(SealError) in
        try StreamParameters(keySize: key.count, kdfHash: .sha256, macHash: .sha256, tagSize: 32, segmentSize: segmentSize)
    }
    guard parameters.isWithinSealframeLimits else {
        throw CLIError.usage("--segment-size must be 4096 to 1048576 bytes")
    }

    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: parameters.plaintextSegmentSize, alignment: 16)
    let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: parameters.plaintextSegmentSize, alignment: 16)
    let segment = UnsafeMutableRawBufferPointer.allocate(byteCount: parameters.segmentSize, alignment: 16)
    defer {
        for b in [chunk, staging, segment] { wipe(b); b.deallocate() }
    }
    // Peek at the first bytes for the image type and size.
    var first = 0
    if buffered.isEmpty {
        first = try sealing { () throws(SealError) in try source.read(into: chunk) }
    } else {
        first = min(chunk.count, buffered.count)
        chunk.copyBytes(from: buffered[0..<first])
    }
    let probe = ImageProbe(UnsafeRawBufferPointer(rebasing: chunk[0..<first]))
    guard let type = args["type"].map({ Envelope.ContentType(name: $0) }) ?? probe.contentType else {
        throw CLIError.usage("--type is one of png, jpeg, webp, rgba8888, unspecified")
    }
    let width = try args.integer("width").map(UInt32.init) ?? probe.width
    let height = try args.integer("height").map(UInt32.init) ?? probe.height
    let asset = args["asset"] ?? defaultAssetID(paths[0])

    var out = try OutputFile(path: paths[1])
    try sealing { () throws(SealError) in
        let random = try RandomGenerator(personalization: "sealframe seal")
        var keyID = (UInt64(0), UInt64(0))
        let envelope = try withUnsafeMutableBytes(of: &keyID) { (id) throws(SealError) -> Envelope in
            try key.id(into: id)
            return try Array(asset.utf8).withBytes { (a) throws(SealError) -> Envelope in
                guard Envelope.isValidAssetID(a) else { throw SealError.unsupportedParameters }
                return try Envelope(parameters: parameters, contentType: type, width: width, height: height,
                                    plaintextLength: UInt64(length), keyID: UnsafeRawBufferPointer(id), assetID: a)
            }
        }
        var sealer = try ImageSealer(parameters: parameters, staging: staging)
        let n = try sealer.start(envelope: envelope, key: key, random: random, into: segment)
        try out.write(UnsafeRawBufferPointer(rebasing: segment[0..<n]))
        var pending = UnsafeRawBufferPointer(rebasing: chunk[0..<first])
        var offset = first
        var total = first
        while true {
            while !pending.isEmpty || (total == length && !sealer.isComplete) {
                let (consumed, produced) = try sealer.seal(pending, into: segment)
                try out.write(UnsafeRawBufferPointer(rebasing: segment[0..<produced]))
                pending = UnsafeRawBufferPointer(rebasing: pending[consumed...])
            }
            if sealer.isComplete { break }
            var n: Int
            if buffered.isEmpty {
                n = try source.read(into: chunk)
            } else {
                n = min(chunk.count, buffered.count - offset)
                chunk.copyBytes(from: buffered[offset..<offset + n])
                offset += n
            }
            // A file that changes size while it is sealed would make the envelope lie.
            if n == 0 || total + n > length { throw SealError.io(errno: EIO) }
            total += n
            pending = UnsafeRawBufferPointer(rebasing: chunk[0..<n])
        }
    }
    try out.commit(mode: 0o644)
}

/// The input's file name, reduced to the asset id alphabet.
func defaultAssetID(_ path: String) -> String {
    let name = path == "-" ? "stdin" : String(path.split(separator: "/").last ?? "asset")
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    return String(String(name.map { allowed.contains($0) ? $0 : "_" }).prefix(Envelope.maxAssetIDLength))
}

func readAll(_ source: inout FileSource) throws(CLIError) -> [UInt8] {
    var all: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try sealing { () throws(SealError) in try block.withMutableBytes { (b) throws(SealError) in try source.read(into: b) } }
        if n == 0 { break }
        all += block[0..<n]
    }
    block.withUnsafeMutableBytes { wipe($0) }
    return all
}
