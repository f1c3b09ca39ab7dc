import Foundation

/// One DevTools protocol connection (to the browser or to one page target): numbered commands answered by id,
/// and events handed to a callback. A dedicated thread reads the socket, so awaiting a command never blocks a
/// thread of Swift's cooperative pool (an in-process server under test needs those).
final class CDPConnection: @unchecked Sendable {
    struct CommandError: Error, CustomStringConvertible {
        var method: String
        var code: Int
        var message: String
        var description: String { "\(method) failed (\(code)): \(message)" }
    }

    struct Timeout: Error, CustomStringConvertible {
        var method: String
        var seconds: Double
        var description: String { "\(method) got no answer within \(seconds) s" }
    }

    private struct Outgoing: Encodable {
        var id: Int
        var method: String
        var params: CDPValue
    }

    private struct Incoming: Decodable {
        struct Failure: Decodable {
            var code: Int
            var message: String
        }
        var id: Int?
        var result: CDPValue?
        var error: Failure?
        var method: String?
        var params: CDPValue?
    }

    private let socket: WebSocketClient
    private let lock = NSLock()
    private var nextID = 0
    private var pending: [Int: (method: String, continuation: CheckedContinuation<CDPValue, any Error>)] = [:]
    private var failure: (any Error)?
    private let onEvent: @Sendable (String, CDPValue) -> Void

    /// Connects to `ws://127.0.0.1:port/path` and starts reading.
    init(port: Int, path: String, onEvent: @escaping @Sendable (String, CDPValue) -> Void = { _, _ in }) throws {
        socket = try WebSocketClient(port: port, path: path)
        self.onEvent = onEvent
        let thread = Thread { [self] in readLoop() }
        thread.name = "cdp-reader \(path)"
        thread.start()
    }

    /// Sends a command and waits for its result (the `result` object), failing with `CommandError` when the
    /// browser answers with an error and with `Timeout` after `timeout` seconds.
    @discardableResult
    func call(_ method: String, _ params: CDPValue = [:], timeout: Double = 30) async throws -> CDPValue {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CDPValue, any Error>) in
            lock.lock()
            if let failure {
                lock.unlock()
                continuation.resume(throwing: failure)
                return
            }
            nextID += 1
            let id = nextID
            pending[id] = (method, continuation)
            lock.unlock()

            do {
                let data = try JSONEncoder().encode(Outgoing(id: id, method: method, params: params))
                try socket.send(text: String(decoding: data, as: UTF8.self))
            } catch {
                complete(id: id, with: .failure(error))
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
                complete(id: id, with: .failure(Timeout(method: method, seconds: timeout)))
            }
        }
    }

    /// Closes the socket; commands still waiting fail.
    func close() {
        socket.sendClose()
        socket.shutdownConnection()
    }

    private func complete(id: Int, with result: Result<CDPValue, any Error>) {
        lock.lock()
        let entry = pending.removeValue(forKey: id)
        lock.unlock()
        entry?.continuation.resume(with: result)
    }

    private func readLoop() {
        let decoder = JSONDecoder()
        while true {
            let bytes: [UInt8]
            do {
                bytes = try socket.receive()
            } catch {
                lock.lock()
                failure = error
                let waiting = pending
                pending = [:]
                lock.unlock()
                for entry in waiting.values { entry.continuation.resume(throwing: error) }
                return
            }
            guard let message = try? decoder.decode(Incoming.self, from: Data(bytes)) else { continue }
            if let id = message.id {
                lock.lock()
                let method = pending[id]?.method ?? "?"
                lock.unlock()
                if let error = message.error {
                    complete(id: id, with: .failure(CommandError(method: method, code: error.code, message: error.message)))
                } else {
                    complete(id: id, with: .success(message.result ?? [:]))
                }
            } else if let method = message.method {
                onEvent(method, message.params ?? [:])
            }
        }
    }
}
