import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week), in a given time zone: `*`, numbers,
/// ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`; day of week 0–7 (0 and 7 are Sunday). As in cron, when both
/// day fields are restricted a day matches if either does.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    public let expression: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    public let timeZone: TimeZone

    public var description: String { expression }

    public init(_ expression: String, timeZone: TimeZone = .current) throws {
        let fields = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ConfigurationError(message: "retrain_schedule \"\(expression)\" must have five fields (minute hour day month weekday), e.g. \"0 3 * * *\"")
        }
        self.expression = expression
        self.timeZone = timeZone
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, in: expression)
        hours = try Self.field(fields[1], name: "hour", range: 0...23, in: expression)
        daysOfMonth = try Self.field(fields[2], name: "day of month", range: 1...31, in: expression)
        months = try Self.field(fields[3], name: "month", range: 1...12, in: expression)
        daysOfWeek = Set(try Self.field(fields[4], name: "day of week", range: 0...7, in: expression).map { $0 % 7 })
        dayOfMonthRestricted = fields[2] != "*"
        dayOfWeekRestricted = fields[4] != "*"
    }

    static func field(_ text: String, name: String, range: ClosedRange<Int>, in expression: String) throws -> Set<Int> {
        func bad(_ why: String) -> ConfigurationError {
            ConfigurationError(message: "retrain_schedule \"\(expression)\": \(name) field \"\(text)\" \(why)")
        }
        var out = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw bad("is not a cron field") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw bad("has an invalid step") }
                step = s
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let a = Int(pieces[0][..<dash]), let b = Int(pieces[0][pieces[0].index(after: dash)...]), a <= b else {
                    throw bad("has an invalid range")
                }
                span = a...b
            } else {
                guard let v = Int(pieces[0]) else { throw bad("is not a number") }
                span = pieces.count == 2 ? v...range.upperBound : v...v
            }
            guard range.contains(span.lowerBound), range.contains(span.upperBound) else { throw bad("is outside \(range)") }
            out.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return out
    }

    /// The first matching minute strictly after `date`.
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard var t = calendar.date(bySetting: .second, value: 0, of: date) else { return nil }
        if t <= date { t = t.addingTimeInterval(60) }
        t = calendar.dateInterval(of: .minute, for: t)?.start ?? t
        // Walk forward: whole days when the day does not match, whole hours when the hour does not; at most ~4 years.
        for _ in 0..<(4 * 366 * 24 * 60) {
            let c = calendar.dateComponents([.month, .day, .weekday, .hour, .minute], from: t)
            let (month, day, weekday, hour, minute) = (c.month!, c.day!, c.weekday! - 1, c.hour!, c.minute!)
            let domOK = daysOfMonth.contains(day), dowOK = daysOfWeek.contains(weekday)
            let dayOK = dayOfMonthRestricted && dayOfWeekRestricted ? (domOK || dowOK) : (domOK && dowOK)
            if !months.contains(month) || !dayOK {
                guard let nextDay = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: t)) else { return nil }
                t = nextDay
                continue
            }
            if !hours.contains(hour) {
                guard let h = calendar.dateInterval(of: .hour, for: t)?.end else { return nil }
                t = h
                continue
            }
            if minutes.contains(minute) { return t }
            t = t.addingTimeInterval(60)
        }
        return nil
    }
}
