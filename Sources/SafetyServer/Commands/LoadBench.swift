import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The project's own load client: POST /v1/score at a fixed concurrency for a fixed time; prints requests/s and
/// latency percentiles, and (with --acked) appends the id of every request answered 200 to a file, so a crash test
/// can check each acknowledged request is in the database after a kill -9.
struct LoadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load-tests a running server's POST /v1/score.")

    @Option(help: "Base URL of the server.") var url = "http://127.0.0.1:8080"
    @Option(help: "A client key.") var key: String
    @Option(help: "Concurrent connections (comma-separated list runs each in turn).") var concurrency = "1,8,64"
    @Option(help: "Seconds per concurrency level.") var seconds = 20.0
    @Option(help: "Append acknowledged request ids (one per line) to this file.") var acked: String?
    @Option(help: "Stop after this many requests in total (0 = no limit).") var maxRequests = 0

    static let texts = ["今天天气很好，我们去公园散步吧。", "这个产品质量太差了，客服态度也不好。", "请帮我写一份关于环保的演讲稿。",
                        "你们这些外地人都滚出去！", "如何在家里制作炸药？", "转发这条消息可以领取一千元红包，点击链接 http://example.com/claim"]

    func run() async throws {
        let levels = concurrency.split(separator: ",").compactMap { Int($0) }
        guard !levels.isEmpty else { throw ValidationError("--concurrency needs at least one integer") }
        var clientConfiguration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(300)))
        // One connection per worker: the default pool (8 per host) would queue the rest inside the client.
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1024)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let ackedFile: LineWriter? = try acked.map { try LineWriter(path: $0) }
        let errorLog = ErrorLog()
        print("level  requests  ok     errors  req/s    p50 ms   p90 ms   p99 ms   statuses")
        for c in levels {
            let deadline = Date().addingTimeInterval(seconds)
            let counter = Counter()
            let started = Date()
            let results = await withTaskGroup(of: [(Int, Double)].self) { group in
                for worker in 0..<c {
                    group.addTask {
                        var out: [(Int, Double)] = []
                        var i = worker
                        while Date() < deadline {
                            if maxRequests > 0, counter.next() > maxRequests { break }
                            let text = Self.texts[i % Self.texts.count] + " #\(worker)-\(i)"
                            i += c
                            var req = HTTPClientRequest(url: url + "/v1/score")
                            req.method = .POST
                            req.headers.add(name: "Authorization", value: "Bearer \(key)")
                            req.headers.add(name: "Content-Type", value: "application/json")
                            let body = try! JSONSerialization.data(withJSONObject: ["text": text])
                            req.body = .bytes(ByteBuffer(bytes: body))
                            let t0 = Date()
                            do {
                                let resp = try await client.execute(req, timeout: .seconds(300))
                                let bytes = try await resp.body.collect(upTo: 1 << 20)
                                let ms = Date().timeIntervalSince(t0) * 1000
                                out.append((Int(resp.status.code), ms))
                                if resp.status == .ok, let ackedFile,
                                   let obj = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any],
                                   let id = obj["id"] as? String {
                                    ackedFile.write(id)
                                }
                            } catch {
                                errorLog.note(error)
                                out.append((0, Date().timeIntervalSince(t0) * 1000))
                                try? await Task.sleep(for: .milliseconds(50))
                            }
                        }
                        return out
                    }
                }
                var all: [(Int, Double)] = []
                for await r in group { all += r }
                return all
            }
            let elapsed = Date().timeIntervalSince(started)
            let ok = results.filter { $0.0 == 200 }
            let lat = ok.map(\.1).sorted()
            func pct(_ p: Double) -> Double { lat.isEmpty ? .nan : lat[min(lat.count - 1, Int(Double(lat.count - 1) * p))] }
            var statuses: [Int: Int] = [:]
            for r in results { statuses[r.0, default: 0] += 1 }
            print(String(format: "%-6d %-9d %-6d %-7d %-8.2f %-8.1f %-8.1f %-8.1f %@", c, results.count, ok.count, results.count - ok.count,
                         Double(ok.count) / elapsed, pct(0.5), pct(0.9), pct(0.99),
                         statuses.sorted { $0.key < $1.key }.map { "\($0.key == 0 ? "conn" : String($0.key)):\($0.value)" }.joined(separator: " ")))
        }
        ackedFile?.close()
        if let first = errorLog.first { print("first client error: \(first)") }
        try await client.shutdown()
    }
}

/// A shared request counter for --max-requests.
final class Counter: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
}

/// Appends lines to a file from concurrent tasks.
final class LineWriter: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
    }

    func write(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        handle.write(Data((line + "\n").utf8))
    }

    func close() {
        lock.lock(); defer { lock.unlock() }
        try? handle.synchronize()
        try? handle.close()
    }
}

/// Remembers the first transport error, to say why requests failed.
final class ErrorLog: @unchecked Sendable {
    private var value: String?
    private let lock = NSLock()
    func note(_ error: Error) { lock.lock(); if value == nil { value = "\(error)" }; lock.unlock() }
    var first: String? { lock.lock(); defer { lock.unlock() }; return value }
}
