import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Headless Chromium with one tab, driven over the Chrome DevTools Protocol, for end-to-end tests of the dashboard.
///
/// `launch()` starts `chromium --headless=new --remote-debugging-port=0 --user-data-dir=<temp>` and reads the port
/// Chromium picked from `<temp>/DevToolsActivePort`; it opens a tab of its own with `Target.createTarget` on the
/// browser's WebSocket and talks to that tab over the tab's own WebSocket. The helpers wait the way a user would:
/// `click` waits until the element exists, is visible, enabled and not covered, then sends a real mouse click;
/// `type` focuses and inserts text as the keyboard would (input events fire); `waitFor` polls.
///
///     try await Browser.run { browser in
///         try await browser.navigate(to: "http://127.0.0.1:\(port)/")
///         try await browser.type("signin-key", key)
///         try await browser.click("signin-submit")
///         try await browser.waitFor(testID: "nav-review")
///         try await browser.screenshot(to: folder.appendingPathComponent("1-signed-in.png").path)
///     }
final class Browser: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    struct Viewport: Sendable {
        var width = 1280
        var height = 860
        var scale = 1.0
    }

    /// Console messages and uncaught page errors, collected from the tab's events.
    final class EventLog: @unchecked Sendable {
        private let lock = NSLock()
        private var _console: [String] = []
        private var _errors: [String] = []

        var console: [String] { lock.withLock { _console } }
        var errors: [String] { lock.withLock { _errors } }

        func record(_ method: String, _ params: CDPValue) {
            switch method {
            case "Runtime.consoleAPICalled":
                let type = params["type"]?.string ?? "log"
                let text = (params["args"]?.array ?? []).map { argument in
                    argument["value"].map { $0.string ?? $0.json } ?? argument["description"]?.string ?? "?"
                }.joined(separator: " ")
                lock.withLock { _console.append("[\(type)] \(text)") }
                if type == "error" || type == "assert" { lock.withLock { _errors.append("console.\(type): \(text)") } }
            case "Runtime.exceptionThrown":
                let details = params["exceptionDetails"]
                let text = details?["exception"]?["description"]?.string ?? details?["text"]?.string ?? params.json
                lock.withLock { _errors.append("uncaught: \(text)") }
            case "Log.entryAdded":
                let entry = params["entry"]
                let text = "\(entry?["source"]?.string ?? "?"): \(entry?["text"]?.string ?? "") \(entry?["url"]?.string ?? "")"
                lock.withLock { _console.append("[log.\(entry?["level"]?.string ?? "?")] \(text)") }
                if entry?["level"]?.string == "error" { lock.withLock { _errors.append(text) } }
            default:
                break
            }
        }
    }

    let process: Process
    /// Holds the profile (`--user-data-dir`) and Chromium's own log; removed by `close()`.
    let temporaryDirectory: URL
    /// The DevTools port Chromium chose.
    let port: Int
    let events: EventLog
    private let browserConnection: CDPConnection
    private let page: CDPConnection
    private let closed = LockedFlag()

    private init(process: Process, temporaryDirectory: URL, port: Int, events: EventLog,
                 browserConnection: CDPConnection, page: CDPConnection) {
        self.process = process
        self.temporaryDirectory = temporaryDirectory
        self.port = port
        self.events = events
        self.browserConnection = browserConnection
        self.page = page
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    // MARK: Starting and stopping

    /// The Chromium executable: `$CHROMIUM` when set, else the first of chromium, chromium-browser, google-chrome
    /// on the PATH.
    static func chromiumPath(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let explicit = environment["CHROMIUM"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw Failure("CHROMIUM=\(explicit) is not an executable file")
            }
            return explicit
        }
        let folders = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            for folder in folders {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        throw Failure("""
            Chromium is not installed: none of chromium, chromium-browser, google-chrome is on the PATH. \
            The browser tests need it: install it with `apt-get update && apt-get install -y chromium` \
            (.ci/run does this), or set CHROMIUM to the browser's path.
            """)
    }

    /// Starts headless Chromium with one fresh tab of the given size.
    static func launch(viewport: Viewport = Viewport(), startupTimeout: Double = 60) async throws -> Browser {
        let executable = try chromiumPath()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("browser-\(UUID().uuidString)")
        let profile = folder.appendingPathComponent("profile")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let logURL = folder.appendingPathComponent("chromium.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
            "--user-data-dir=\(profile.path)",
            "--no-first-run", "--no-default-browser-check", "--disable-dev-shm-usage", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio",
            "--hide-scrollbars", "--force-color-profile=srgb", "--window-size=\(viewport.width),\(viewport.height)",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()

        func fail(_ message: String) -> Failure {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            let output = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            let tail = output.split(separator: "\n").suffix(15).joined(separator: "\n")
            try? FileManager.default.removeItem(at: folder)
            return Failure("\(message)\nChromium (\(executable)) wrote:\n\(tail)")
        }

        // Chromium writes "<port>\n<browser WebSocket path>" once it listens.
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        let deadline = Date().addingTimeInterval(startupTimeout)
        var port = 0
        var browserPath = ""
        while true {
            if let text = try? String(contentsOf: portFile, encoding: .utf8) {
                let lines = text.split(separator: "\n").map(String.init)
                if lines.count >= 2, let number = Int(lines[0]), number > 0 {
                    port = number
                    browserPath = lines[1]
                    break
                }
            }
            guard process.isRunning else { throw fail("Chromium exited (status \(process.terminationStatus)) before it listened") }
            guard Date() < deadline else { throw fail("Chromium did not write DevToolsActivePort within \(startupTimeout) s") }
            try await Task.sleep(for: .milliseconds(50))
        }

        do {
            let browserConnection = try CDPConnection(port: port, path: browserPath)
            let target = try await browserConnection.call("Target.createTarget", ["url": "about:blank"])
            guard let targetID = target["targetId"]?.string else { throw Failure("Target.createTarget gave \(target)") }
            let events = EventLog()
            let page = try CDPConnection(port: port, path: "/devtools/page/\(targetID)") { method, params in
                events.record(method, params)
            }
            let browser = Browser(process: process, temporaryDirectory: folder, port: port, events: events,
                                  browserConnection: browserConnection, page: page)
            try await page.call("Page.enable")
            try await page.call("Runtime.enable")
            try await page.call("Log.enable")
            try await browser.setViewport(viewport)
            return browser
        } catch {
            throw fail("Could not open a tab over DevTools on port \(port): \(error)")
        }
    }

    /// Launches a browser, runs `body`, and closes the browser whatever happens. When `body` throws, the error
    /// comes back with the page's URL, errors and last console lines attached.
    static func run<T>(viewport: Viewport = Viewport(), _ body: (Browser) async throws -> T) async throws -> T {
        let browser = try await launch(viewport: viewport)
        do {
            let result = try await body(browser)
            await browser.close()
            return result
        } catch {
            let diagnostics = await browser.diagnostics()
            await browser.close()
            throw Failure("\(error)\n\(diagnostics)")
        }
    }

    /// Closes Chromium (politely, then by signal) and removes its profile.
    func close() async {
        guard closed.set() else { return }
        _ = try? await browserConnection.call("Browser.close", timeout: 5)
        for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            process.terminate()
            for _ in 0..<40 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        page.close()
        browserConnection.close()
        try? FileManager.default.removeItem(at: temporaryDirectory)
    }

    /// Current URL, page errors and the last console lines: for failure messages.
    func diagnostics() async -> String {
        let url = (try? await evaluate("location.href", timeout: 5))?.string ?? "?"
        let errors = events.errors
        let console = events.console.suffix(20)
        return "page: \(url)\npage errors: \(errors.isEmpty ? "none" : errors.joined(separator: "\n  "))\n"
            + "console (last \(console.count)):\n  \(console.joined(separator: "\n  "))"
    }

    // MARK: Page

    func setViewport(_ viewport: Viewport) async throws {
        try await page.call("Emulation.setDeviceMetricsOverride", [
            "width": .number(Double(viewport.width)), "height": .number(Double(viewport.height)),
            "deviceScaleFactor": .number(viewport.scale), "mobile": false,
        ])
    }

    /// Loads `url` and waits until the document has finished loading.
    func navigate(to url: String, timeout: Double = 30) async throws {
        let result = try await page.call("Page.navigate", ["url": .string(url)], timeout: timeout)
        if let error = result["errorText"]?.string, !error.isEmpty {
            throw Failure("navigating to \(url) failed: \(error)")
        }
        try await waitUntil("document.readyState === 'complete'", timeout: timeout, what: "\(url) to load")
    }

    /// Evaluates a JavaScript expression in the page (promises are awaited) and returns its value as JSON
    /// (`.null` for undefined). A thrown exception becomes a `Failure` with its message.
    @discardableResult
    func evaluate(_ expression: String, timeout: Double = 30) async throws -> CDPValue {
        let response = try await page.call("Runtime.evaluate", [
            "expression": .string(expression), "returnByValue": true, "awaitPromise": true, "userGesture": true,
        ], timeout: timeout)
        if let details = response["exceptionDetails"] {
            let message = details["exception"]?["description"]?.string ?? details["text"]?.string ?? details.json
            throw Failure("JavaScript threw: \(message)\nin: \(expression.prefix(300))")
        }
        return response["result"]?["value"] ?? .null
    }

    /// Polls `condition` (a JavaScript expression) until it is truthy.
    func waitUntil(_ condition: String, timeout: Double = 10, what: String? = nil) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError = ""
        while true {
            do {
                if try await evaluate("Boolean(\(condition))", timeout: max(1, timeout)).bool == true { return }
                lastError = ""
            } catch {
                lastError = " (last evaluation: \(error))"  // e.g. the context went away during a navigation
            }
            guard Date() < deadline else {
                throw Failure("timed out after \(timeout) s waiting for \(what ?? condition)\(lastError)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits until an element matches `selector` and is visible.
    func waitFor(selector: String, timeout: Double = 10) async throws {
        try await waitUntil("(() => { const e = document.querySelector(\(CDPValue.literal(selector))); "
                            + "return !!e && e.getClientRects().length > 0; })()",
                            timeout: timeout, what: "a visible \(selector)")
    }

    /// Waits until an element with `data-testid="<testID>"` is visible.
    func waitFor(testID: String, timeout: Double = 10) async throws {
        try await waitFor(selector: Self.selector(testID: testID), timeout: timeout)
    }

    /// Waits until no element matches `selector` (or none is visible).
    func waitForAbsence(selector: String, timeout: Double = 10) async throws {
        try await waitUntil("(() => { const e = document.querySelector(\(CDPValue.literal(selector))); "
                            + "return !e || e.getClientRects().length === 0; })()",
                            timeout: timeout, what: "\(selector) to go away")
    }

    /// Clicks the middle of the element with this test id with a real mouse event, once it can be clicked.
    func click(_ testID: String, timeout: Double = 10) async throws {
        try await click(selector: Self.selector(testID: testID), timeout: timeout)
    }

    func click(selector: String, timeout: Double = 10) async throws {
        let point = try await actionablePoint(selector: selector, timeout: timeout)
        let x = CDPValue.number(point.x), y = CDPValue.number(point.y)
        try await page.call("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": x, "y": y])
        try await page.call("Input.dispatchMouseEvent", [
            "type": "mousePressed", "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1,
        ])
        try await page.call("Input.dispatchMouseEvent", [
            "type": "mouseReleased", "x": x, "y": y, "button": "left", "buttons": 0, "clickCount": 1,
        ])
    }

    /// Focuses the field with this test id and types `text` into it as keyboard input (clearing it first unless
    /// `clearFirst` is false). Any text works, Chinese included.
    func type(_ testID: String, _ text: String, clearFirst: Bool = true, timeout: Double = 10) async throws {
        try await type(selector: Self.selector(testID: testID), text, clearFirst: clearFirst, timeout: timeout)
    }

    func type(selector: String, _ text: String, clearFirst: Bool = true, timeout: Double = 10) async throws {
        _ = try await actionablePoint(selector: selector, timeout: timeout)
        let focused = try await evaluate("""
            (() => {
              const e = document.querySelector(\(CDPValue.literal(selector)));
              e.focus();
              if (\(clearFirst) && 'value' in e && e.value !== '') {
                e.value = '';
                e.dispatchEvent(new Event('input', { bubbles: true }));
              }
              return document.activeElement === e;
            })()
            """)
        guard focused.bool == true else { throw Failure("\(selector) did not take the focus") }
        if !text.isEmpty { try await page.call("Input.insertText", ["text": .string(text)]) }
    }

    /// Chooses the option with this value in a `<select>` and fires its change event.
    func select(_ testID: String, value: String, timeout: Double = 10) async throws {
        let selector = Self.selector(testID: testID)
        _ = try await actionablePoint(selector: selector, timeout: timeout)
        let chosen = try await evaluate("""
            (() => {
              const e = document.querySelector(\(CDPValue.literal(selector)));
              if (![...e.options].some(o => o.value === \(CDPValue.literal(value)))) return false;
              e.value = \(CDPValue.literal(value));
              e.dispatchEvent(new Event('input', { bubbles: true }));
              e.dispatchEvent(new Event('change', { bubbles: true }));
              return true;
            })()
            """)
        guard chosen.bool == true else { throw Failure("\(selector) has no option with value \(value)") }
    }

    /// The element's visible text (`innerText`), or its value for form fields.
    func text(_ testID: String, timeout: Double = 10) async throws -> String {
        let selector = Self.selector(testID: testID)
        try await waitFor(selector: selector, timeout: timeout)
        return try await evaluate("""
            (() => { const e = document.querySelector(\(CDPValue.literal(selector)));
                     return ('value' in e && e.tagName !== 'BUTTON') ? e.value : e.innerText; })()
            """).string ?? ""
    }

    /// How many elements carry this test id.
    func count(_ testID: String) async throws -> Int {
        try await evaluate("document.querySelectorAll(\(CDPValue.literal(Self.selector(testID: testID)))).length").int ?? 0
    }

    /// Saves a PNG of the viewport, or of the whole page when `fullPage` is true (scrolled to the top for the
    /// capture, so sticky headers sit where they belong, then scrolled back).
    func screenshot(to path: String, fullPage: Bool = false) async throws {
        var parameters: [String: CDPValue] = ["format": "png"]
        var scrolled: CDPValue = .null
        if fullPage {
            scrolled = try await evaluate("(() => { const at = [scrollX, scrollY]; scrollTo(0, 0); return at; })()")
            let metrics = try await page.call("Page.getLayoutMetrics")
            let size = metrics["cssContentSize"] ?? metrics["contentSize"]
            let width = size?["width"]?.double ?? 1280, height = size?["height"]?.double ?? 860
            parameters["captureBeyondViewport"] = true
            parameters["clip"] = ["x": 0, "y": 0, "width": .number(width.rounded(.up)),
                                  "height": .number(min(height, 16_000).rounded(.up)), "scale": 1]
        }
        let shot = try await page.call("Page.captureScreenshot", .object(parameters), timeout: 60)
        if let x = scrolled[0]?.double, let y = scrolled[1]?.double { try await evaluate("scrollTo(\(x), \(y))") }
        guard let base64 = shot["data"]?.string, let png = Data(base64Encoded: base64) else {
            throw Failure("Page.captureScreenshot returned no image")
        }
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try png.write(to: url)
    }

    // MARK: Helpers

    /// `[data-testid="…"]` for a test id made of letters, digits, `-`, `_`, `.` and `:`.
    static func selector(testID: String) -> String {
        precondition(!testID.isEmpty && testID.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) },
                     "test ids are ASCII letters, digits, -, _, . and :")
        return "[data-testid=\"\(testID)\"]"
    }

    /// Waits until the element exists, is visible and enabled, scrolls it into view and checks that a click in
    /// its middle would reach it (no dialog or toast over it); returns that point in CSS pixels.
    private func actionablePoint(selector: String, timeout: Double) async throws -> (x: Double, y: Double) {
        let probe = """
            (() => {
              const e = document.querySelector(\(CDPValue.literal(selector)));
              if (!e) return { wait: 'no element matches' };
              e.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
              const r = e.getBoundingClientRect();
              if (r.width === 0 || r.height === 0) return { wait: 'the element is not visible' };
              if (e.disabled) return { wait: 'the element is disabled' };
              const x = r.left + r.width / 2, y = r.top + r.height / 2;
              const hit = document.elementFromPoint(x, y);
              if (!hit || !(hit === e || e.contains(hit) || (e.labels && [...e.labels].some(l => l.contains(hit)))))
                return { wait: 'the element is covered by ' + (hit ? hit.outerHTML.slice(0, 120) : 'nothing') };
              return { x, y };
            })()
            """
        let deadline = Date().addingTimeInterval(timeout)
        var reason = ""
        while true {
            let answer = try await evaluate(probe)
            if let x = answer["x"]?.double, let y = answer["y"]?.double { return (x, y) }
            reason = answer["wait"]?.string ?? answer.json
            guard Date() < deadline else {
                throw Failure("\(selector) could not be used within \(timeout) s: \(reason)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// A flag that can be set once.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Sets the flag; true when this call set it.
    func set() -> Bool {
        lock.withLock {
            defer { value = true }
            return !value
        }
    }
}
