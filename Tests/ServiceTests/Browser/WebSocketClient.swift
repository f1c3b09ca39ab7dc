import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The little of RFC 6455 that the DevTools protocol needs, as a client over a blocking TCP socket on loopback:
/// the HTTP/1.1 upgrade, masked text frames out, text/binary/continuation/ping/close frames in. No TLS, no
/// extensions (Chromium's DevTools server offers none unless asked).
///
/// Why not a library: Foundation's `URLSessionWebSocketTask` fails on this Linux toolchain ("WebSockets not supported
/// by libcurl"), and `WSClient` from swift-websocket brings swift-nio-ssl (BoringSSL), NIO transport services and
/// compress-nio into the test build for a connection that never leaves 127.0.0.1. A blocking socket read by one
/// thread is the simplest thing that cannot stall Swift's cooperative thread pool or drop a frame.
final class WebSocketClient: @unchecked Sendable {
    enum Failure: Error, CustomStringConvertible {
        case connect(String)
        case handshake(String)
        case protocolViolation(String)
        case closed

        var description: String {
            switch self {
            case .connect(let message): "WebSocket connect failed: \(message)"
            case .handshake(let message): "WebSocket handshake failed: \(message)"
            case .protocolViolation(let message): "WebSocket protocol violation: \(message)"
            case .closed: "WebSocket connection closed"
            }
        }
    }

    private let fd: Int32
    private let writeLock = NSLock()
    // Only the one reading thread touches the buffer.
    private var buffer: [UInt8] = []
    private var start = 0

    /// Connects to `ws://127.0.0.1:port/path` and performs the opening handshake.
    init(host: String = "127.0.0.1", port: Int, path: String) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure.connect("socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw Failure.connect("not an IPv4 address: \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure.connect("\(host):\(port): \(message)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        do {
            try handshake(host: host, port: port, path: path)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Stops the connection; a thread blocked in `receive()` returns with `Failure.closed`.
    func shutdownConnection() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private func handshake(host: String, port: Int, path: String) throws {
        var nonce = [UInt8](repeating: 0, count: 16)
        for index in nonce.indices { nonce[index] = UInt8.random(in: 0...255) }
        let request = """
            GET \(path) HTTP/1.1\r
            Host: \(host):\(port)\r
            Upgrade: websocket\r
            Connection: Upgrade\r
            Sec-WebSocket-Key: \(Data(nonce).base64EncodedString())\r
            Sec-WebSocket-Version: 13\r
            \r

            """
        try writeAll(Array(request.utf8))
        // Read the response head; whatever follows it is already frame data.
        let terminator: [UInt8] = [13, 10, 13, 10]
        var head: [UInt8] = []
        while true {
            if let end = findSubsequence(terminator, in: buffer, from: start) {
                head = Array(buffer[start..<end])
                start = end + terminator.count
                break
            }
            guard buffer.count - start < 65_536 else { throw Failure.handshake("response head too long") }
            try fill()
        }
        let text = String(decoding: head, as: UTF8.self)
        let statusLine = text.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        guard statusLine.hasPrefix("HTTP/1.1 101") else {
            throw Failure.handshake("expected 101 Switching Protocols, got \"\(statusLine)\"")
        }
    }

    // MARK: Sending

    /// Sends one text message as a single masked frame.
    func send(text: String) throws {
        try sendFrame(opcode: 0x1, payload: Array(text.utf8))
    }

    func sendClose() {
        try? sendFrame(opcode: 0x8, payload: [0x03, 0xE8])  // 1000 normal closure
    }

    private func sendFrame(opcode: UInt8, payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        let count = payload.count
        if count < 126 {
            frame.append(0x80 | UInt8(count))
        } else if count <= 0xFFFF {
            frame.append(0x80 | 126)
            frame += [UInt8(count >> 8), UInt8(count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((UInt64(count) >> (UInt64($0) * 8)) & 0xFF) }
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame.reserveCapacity(frame.count + count)
        for (index, byte) in payload.enumerated() { frame.append(byte ^ mask[index & 3]) }
        writeLock.lock()
        defer { writeLock.unlock() }
        try writeAll(frame)
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                #if canImport(Glibc)
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #else
                Darwin.send(fd, raw.baseAddress! + offset, raw.count - offset, 0)
                #endif
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure.closed
            }
            offset += written
        }
    }

    // MARK: Receiving

    /// Blocks until a whole text (or binary) message has arrived, answering pings on the way.
    /// Call from one thread only.
    func receive() throws -> [UInt8] {
        var message: [UInt8] = []
        var inMessage = false
        while true {
            let header = try readExactly(2)
            let fin = header[0] & 0x80 != 0
            let opcode = header[0] & 0x0F
            guard header[1] & 0x80 == 0 else { throw Failure.protocolViolation("server frames must not be masked") }
            var length = UInt64(header[1] & 0x7F)
            if length == 126 {
                length = try readExactly(2).reduce(0) { $0 << 8 | UInt64($1) }
            } else if length == 127 {
                length = try readExactly(8).reduce(0) { $0 << 8 | UInt64($1) }
            }
            guard length < 1 << 31 else { throw Failure.protocolViolation("frame of \(length) bytes") }
            let payload = try readExactly(Int(length))
            switch opcode {
            case 0x0:
                guard inMessage else { throw Failure.protocolViolation("continuation without a message") }
                message += payload
            case 0x1, 0x2:
                guard !inMessage else { throw Failure.protocolViolation("new message inside a fragmented one") }
                message = payload
                inMessage = true
            case 0x8:
                sendClose()
                throw Failure.closed
            case 0x9:
                try sendFrame(opcode: 0xA, payload: payload)
                continue
            case 0xA:
                continue
            default:
                throw Failure.protocolViolation("unknown opcode \(opcode)")
            }
            if fin { return message }
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count - start < count { try fill() }
        let bytes = Array(buffer[start..<start + count])
        start += count
        return bytes
    }

    /// Reads what the socket has into the buffer, compacting consumed bytes first.
    private func fill() throws {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if received > 0 {
                buffer += chunk[0..<received]
                return
            }
            if received < 0 && errno == EINTR { continue }
            throw Failure.closed
        }
    }
}

private func findSubsequence(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
    guard haystack.count - from >= needle.count else { return nil }
    for index in from...(haystack.count - needle.count) where haystack[index] == needle[0] {
        if Array(haystack[index..<index + needle.count]) == needle { return index }
    }
    return nil
}
