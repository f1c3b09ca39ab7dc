import Foundation

/// A training progress line on standard error: redrawn in place (`\r`) when standard error is a terminal, otherwise
/// printed as a new line every `every` steps (and on the last step and validation steps) so logs stay readable.
struct ProgressBar {
    private(set) var total: Int
    let every: Int
    let isTerminal = isatty(STDERR_FILENO) == 1
    private let start = ProgressBar.now()
    private var firstStep: Int?
    private var tokens = 0
    private var lastValidation: Float?
    private var drawn = false

    init(total: Int, every: Int) {
        self.total = total
        self.every = max(1, every)
    }

    /// One finished step of `total`. `step` is 1-based; a resumed run starts past 1, and the ETA counts only this
    /// session's steps.
    mutating func update(step: Int, of total: Int, loss: Float, learningRate: Float, tokens stepTokens: Int, validationLoss: Float?) {
        if firstStep == nil { firstStep = step }
        tokens += stepTokens
        if let validationLoss { lastValidation = validationLoss }
        let elapsed = Self.now() - start
        var detail = String(format: "loss %.4f", loss)
        if let v = lastValidation { detail += String(format: "  val %.4f", v) }
        detail += String(format: "  lr %.2e  %.0f tok/s", learningRate, Double(tokens) / max(elapsed, 1e-9))
        draw(step: step, of: total, detail: detail, force: validationLoss != nil)
    }

    /// One finished step of `total` with a free-form description after the count (`12,000 words`).
    mutating func update(step: Int, of total: Int, detail: String) {
        if firstStep == nil { firstStep = step }
        draw(step: step, of: total, detail: detail, force: false)
    }

    private mutating func draw(step: Int, of total: Int, detail: String, force: Bool) {
        self.total = total
        let elapsed = Self.now() - start
        let done = step - firstStep! + 1
        let eta = elapsed / Double(done) * Double(max(0, total - step))
        let line = String(format: "%@ %*d/%d  ", bar(step), String(total).count, step, total) + detail + "  ETA " + Self.clock(eta)
        if isTerminal {
            write("\r" + line + "\u{1B}[K")
            drawn = true
            if step == total { finish() }
        } else if step % every == 0 || step == total || step == firstStep || force {
            write(line + "\n")
        }
    }

    /// A message between updates (keeps the terminal's bar from being overwritten mid-line).
    mutating func note(_ message: String) {
        finish()
        write(message + "\n")
    }

    /// Ends the redrawn line.
    mutating func finish() {
        if drawn { write("\n") }
        drawn = false
    }

    private func bar(_ step: Int) -> String {
        let width = 24
        let filled = total > 0 ? min(width, step * width / total) : width
        return "[" + String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled) + "]"
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
