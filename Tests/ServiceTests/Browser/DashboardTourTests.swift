import Foundation
import Testing

/// Screenshots of every dashboard page against a running server, for looking at the dashboard while working on it:
///
///     python3 tools/dashboard/mock_server.py &          # or the real server
///     DASHBOARD_URL=http://127.0.0.1:8099/ DASHBOARD_KEY=cs_admin_dev_key_000000000000000 \
///       BROWSER_SCREENSHOTS=/tmp/shots swift test --filter DashboardTour
///
/// Skipped unless DASHBOARD_URL and DASHBOARD_KEY (an admin key) are set. It changes data (a correction, a key,
/// a retrain, an adapter activation): point it at the mock or a throwaway server.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["DASHBOARD_URL"] != nil
                && ProcessInfo.processInfo.environment["DASHBOARD_KEY"] != nil))
struct DashboardTourTests {
    @Test func screenshotsEveryPage() async throws {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["DASHBOARD_URL"]!
        let key = environment["DASHBOARD_KEY"]!
        let shots = try screenshotFolder("tour")
        func shot(_ name: String, _ browser: Browser, fullPage: Bool = true) async throws {
            try await browser.screenshot(to: shots.appendingPathComponent("\(name).png").path, fullPage: fullPage)
        }

        try await Browser.run { browser in
            try await browser.navigate(to: base)
            try await browser.waitFor(testID: "signin-key")
            try await shot("01-signin", browser, fullPage: false)
            try await browser.type("signin-key", key)
            try await browser.click("signin-submit")
            try await browser.waitFor(testID: "histogram-commercial")
            try await shot("02-overview", browser)

            try await browser.click("nav-requests")
            try await browser.waitFor(testID: "request-row")
            try await shot("03-requests", browser)
            try await browser.click(selector: "[data-testid=request-row]")
            try await browser.waitFor(testID: "detail-scores")
            try await shot("04-request-detail", browser)

            try await browser.click("nav-review")
            try await browser.waitFor(testID: "correction-form")
            try await shot("05-review", browser)
            // A score out of range is caught before anything is sent; a good one is saved and leaves the queue.
            let first = try await browser.evaluate("document.querySelector('[data-testid=review-item]').dataset.id").string ?? ""
            try await browser.type("correction-score-bias", "101")
            try await browser.click("correction-submit")
            try await browser.waitFor(testID: "correction-error-bias")
            try await shot("05b-review-invalid", browser, fullPage: false)
            try await browser.type("correction-score-bias", "40")
            try await browser.type("correction-reasoning", "含有地域歧视的表述。")
            try await browser.click("correction-submit")
            try await browser.waitFor(testID: "toast")
            try await browser.waitUntil("document.querySelector('[data-testid=review-item]').dataset.id !== \(CDPValue.literal(first))")
            try await shot("05c-review-saved", browser, fullPage: false)

            try await browser.click("nav-runs")
            try await browser.waitFor(testID: "run-row")
            try await shot("06-runs", browser)
            try await browser.click(selector: "[data-testid=run-row]:last-child")
            try await browser.waitFor(testID: "run-eval")
            try await shot("07-run-detail", browser)
            try await browser.click("nav-runs")
            try await browser.type("runs-reason", "tour")
            try await browser.click("runs-retrain")
            try await browser.waitFor(testID: "run-cancel")
            try await shot("07b-run-queued", browser, fullPage: false)
            try await browser.click("run-cancel")
            try await browser.waitFor(testID: "confirm-ok")
            try await shot("07c-run-cancel-confirm", browser, fullPage: false)
            try await browser.click("confirm-ok")
            try await browser.waitUntil("document.querySelector('[data-testid=run-state]')?.dataset.state === 'cancelled'")

            try await browser.click("nav-adapters")
            try await browser.waitFor(testID: "adapters-table")
            try await shot("08-adapters", browser)
            try await browser.click(selector: "[data-testid^=adapter-activate-]")
            try await browser.click("confirm-ok")
            try await browser.waitFor(testID: "toast")
            try await shot("08b-adapters-rolled-back", browser, fullPage: false)

            try await browser.click("nav-keys")
            try await browser.waitFor(testID: "keys-table")
            try await shot("09-keys", browser)
            try await browser.select("keys-role", value: "reviewer")
            try await browser.type("keys-label", "bob")
            try await browser.click("keys-create")
            try await browser.waitFor(testID: "keys-secret")
            try await shot("09b-key-created", browser, fullPage: false)
            try await browser.click("keys-dismiss")

            try await browser.click("lang-toggle")
            try await browser.click("nav-overview")
            try await browser.waitFor(testID: "histogram-commercial")
            try await shot("10-overview-en", browser)
            try await browser.click("nav-review")
            try await browser.waitFor(testID: "correction-form")
            try await shot("11-review-en", browser)

            try await browser.setViewport(Browser.Viewport(width: 390, height: 844, scale: 1))
            try await browser.click("nav-overview")
            try await browser.waitFor(testID: "histogram-commercial")
            try await shot("12-overview-phone", browser)
            try await browser.evaluate("localStorage.removeItem('cs.lang')")
        }
        print("dashboard tour screenshots: \(shots.path)")
    }
}
