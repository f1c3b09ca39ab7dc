import Foundation
import Testing

/// Where the browser tests leave their screenshots: `$BROWSER_SCREENSHOTS` when set, else a new temporary folder.
func screenshotFolder(_ name: String) throws -> URL {
    let root = ProcessInfo.processInfo.environment["BROWSER_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("browser-screenshots-\(UUID().uuidString)")
    let folder = root.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// The harness itself, on a page it writes to a file: every helper the dashboard tests rely on.
@Suite(.serialized) struct BrowserHarnessTests {
    static let page = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>harness</title>
        <style>body { font: 16px sans-serif; margin: 40px } #later { display: none }</style></head>
        <body>
          <label>Name <input data-testid="name" value="prefilled"></label>
          <select data-testid="colour"><option value="red">red</option><option value="blue">blue</option></select>
          <button data-testid="greet" onclick="greet()">Greet</button>
          <button data-testid="disabled" disabled>Never</button>
          <p data-testid="out"></p>
          <p id="later" data-testid="later">shown later</p>
          <script>
            let clicks = 0;
            function greet() {
              clicks += 1;
              const name = document.querySelector('[data-testid=name]').value;
              const colour = document.querySelector('[data-testid=colour]').value;
              document.querySelector('[data-testid=out]').textContent = `hello ${name} in ${colour} (${clicks})`;
              setTimeout(() => { document.getElementById('later').style.display = 'block'; }, 300);
            }
          </script>
        </body></html>
        """

    @Test func drivesAPageThroughEveryHelper() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("page.html")
        try Self.page.write(to: file, atomically: true, encoding: .utf8)
        let shots = try screenshotFolder("harness")

        try await Browser.run { browser in
            try await browser.navigate(to: file.absoluteString)
            #expect(try await browser.evaluate("document.title") == "harness")
            #expect(try await browser.evaluate("({ a: [1, 2.5, 'x', null, true] })")
                    == ["a": [1, 2.5, "x", nil, true]])
            #expect(try await browser.evaluate("Promise.resolve(6 * 7)") == 42)
            // Frames longer than 65,535 bytes both ways (64-bit lengths), and text that is not ASCII.
            let long = String(repeating: "长文本", count: 40_000)
            #expect(try await browser.evaluate("\(CDPValue.literal(long)).length") == 120_000)
            #expect(try await browser.evaluate("'界'.repeat(300000)").string?.count == 300_000)
            #expect(try await browser.text("name") == "prefilled")

            try await browser.type("name", "世界 & <friends>")
            try await browser.select("colour", value: "blue")
            try await browser.click("greet")
            try await browser.waitUntil("document.querySelector('[data-testid=out]').textContent !== ''")
            #expect(try await browser.text("out") == "hello 世界 & <friends> in blue (1)")
            try await browser.type("name", " again", clearFirst: false)
            #expect(try await browser.text("name") == "世界 & <friends> again")

            // waitFor sees an element that becomes visible only after a delay.
            try await browser.waitFor(testID: "later", timeout: 5)
            #expect(try await browser.count("greet") == 1)

            // A disabled button is never clicked: the helper times out with the reason.
            await #expect(throws: Browser.Failure.self) { try await browser.click("disabled", timeout: 0.3) }
            await #expect(throws: Browser.Failure.self) { try await browser.waitFor(testID: "missing", timeout: 0.3) }
            await #expect(throws: Browser.Failure.self) { try await browser.evaluate("(() => { throw new Error('boom') })()") }

            let path = shots.appendingPathComponent("harness.png").path
            try await browser.screenshot(to: path)
            let png = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            // The IHDR chunk holds the size: the viewport, 1280 × 860 CSS pixels at scale 1.
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
            let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == 1280 && height == 860)
            #expect(browser.events.errors.isEmpty, "page errors: \(browser.events.errors)")
        }
    }

    @Test func reportsAMissingChromiumClearly() throws {
        let error = #expect(throws: Browser.Failure.self) { try Browser.chromiumPath(environment: ["PATH": "/nonexistent"]) }
        #expect(error?.description.contains("apt-get install -y chromium") == true)
        #expect(throws: Browser.Failure.self) { try Browser.chromiumPath(environment: ["CHROMIUM": "/nonexistent/chromium"]) }
    }
}
