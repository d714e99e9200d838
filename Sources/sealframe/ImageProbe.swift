import SealCore

/// Reads an image's type and pixel size from its first bytes (PNG IHDR, JPEG SOFn), so the
/// envelope can tell a player how large a decode buffer to prepare.
struct ImageProbe {
    var contentType = Envelope.ContentType.unspecified
    var width: UInt32 = 0
    var height: UInt32 = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        func be16(_ i: Int) -> UInt32 { UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]) }
        func be32(_ i: Int) -> UInt32 { be16(i) << 16 | be16(i + 2) }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 24, bytes.prefix(8).elementsEqual(png), bytes[12..<16].elementsEqual(Array("IHDR".utf8)) {
            contentType = .png
            width = be32(16)
            height = be32(20)
        } else if bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            contentType = .jpeg
            var i = 2
            // Walk the marker segments up to the first start-of-frame.
            while i + 9 < bytes.count, bytes[i] == 0xFF {
                let marker = bytes[i + 1]
                let isFrame = (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker)
                if isFrame { height = be16(i + 5); width = be16(i + 7); break }
                i += 2 + Int(be16(i + 2))
            }
        } else if bytes.count >= 12, bytes[0..<4].elementsEqual(Array("RIFF".utf8)),
                  bytes[8..<12].elementsEqual(Array("WEBP".utf8)) {
            contentType = .webp
        }
    }
}

extension Envelope.ContentType {
    init?(name: String) {
        switch name {
        case "png": self = .png
        case "jpeg", "jpg": self = .jpeg
        case "webp": self = .webp
        case "rgba8888": self = .rgba8888
        case "unspecified": self = .unspecified
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpeg"
        case .webp: "webp"
        case .rgba8888: "rgba8888"
        case .unspecified: "unspecified"
        }
    }
}
