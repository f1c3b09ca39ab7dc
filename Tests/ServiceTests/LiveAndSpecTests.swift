import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Yams
@testable import Service
import Storage

@Suite(.serialized) struct LiveAndSpecTests {
    @Test func scoringOverARealSocketCommitsTheRow() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        try await t.application.test(.live) { client in
            let r = try await client.call(.post, "/v1/score", key: t.clientKey, json: #"{"text": "通过真实套接字的请求"}"#)
            #expect(r.status == .ok)
            let id = try #require(r.body["id"] as? String)
            #expect(try await t.service.database.requests.get(id: id)?.text == "通过真实套接字的请求")
            let page = try await client.execute(uri: "/", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(page.0 == .ok)
            #expect(page.1.contains("<html"))
        }
    }

    /// Every route the router serves is in openapi.yaml with the same method, and the document lists no route the
    /// router lacks.
    @Test func openAPIDocumentMatchesTheRoutes() async throws {
        let t = try await TestApp.make()
        defer { Task { await t.close() } }
        let yaml = try String(contentsOf: ServicePaths.publicDir.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let spec = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        #expect((spec["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(spec["paths"] as? [String: Any])
        var documented = Set<String>()
        for (path, value) in paths {
            for method in (value as? [String: Any] ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let router = buildRouter(t.service)
        let served = Set(router.routes.map { route -> String in
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            return "\(route.method.rawValue) /" + path.joined(separator: "/")
        })
        #expect(served.subtracting(documented).isEmpty, "routes missing from openapi.yaml: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented routes the server lacks: \(documented.subtracting(served).sorted())")
    }
}
