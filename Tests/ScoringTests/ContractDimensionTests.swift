import Foundation
import Testing
@testable import Scoring

@Suite struct ContractDimensionTests {
    @Test func dimensionsHaveTheExactKeysInCanonicalOrder() {
        #expect(Dimension.allCases.map(\.key) == [
            "商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题",
            "敏感数据泄露", "敏感词", "虚假信息", "诱导&&违法不良信息",
        ])
        #expect(Dimension.allCases.map(\.index) == Array(0..<9))
    }

    @Test func idsAreUniqueAsciiAndLookUpTheirDimension() {
        let ids = Dimension.allCases.map(\.id)
        #expect(Set(ids).count == 9)
        for d in Dimension.allCases {
            #expect(d.id.allSatisfy { $0.isASCII && ($0.isLowercase || $0 == "_") })
            #expect(Dimension(rawValue: d.id) == d && Dimension(key: d.key) == d)
            #expect(!d.label.isEmpty)
        }
        #expect(Dimension(rawValue: "nope") == nil && Dimension(key: "nope") == nil)
    }

    @Test func scoresEncodeAsAnObjectWithTheChineseKeys() throws {
        var s = try DimensionScores(uniform: 100)
        s[.sensitiveWords] = 35
        let json = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Int])
        #expect(object == Dictionary(uniqueKeysWithValues: Dimension.allCases.map { ($0.key, s[$0]) }))
        #expect(try JSONDecoder().decode(DimensionScores.self, from: Data(json.utf8)) == s)
        // Key order: JSONEncoder keeps none, so the canonical text comes from `canonicalJSON`.
        let positions = Dimension.allCases.map { s.canonicalJSON.range(of: "\"\($0.key)\"")!.lowerBound }
        #expect(positions == positions.sorted())
        #expect(s.canonicalJSON.hasPrefix("{\"商业违规\": 100, \"对抗性检测\": 100, "))
        #expect(s.canonicalJSON.hasSuffix("\"敏感词\": 35, \"虚假信息\": 100, \"诱导&&违法不良信息\": 100}"))
    }

    @Test func scoresOutsideZeroToHundredOrIncompleteAreRejected() {
        #expect(throws: DimensionScoresError.scoreOutOfRange(.adversarial, 101)) {
            try DimensionScores(values: [0, 101, 0, 0, 0, 0, 0, 0, 0])
        }
        #expect(throws: DimensionScoresError.scoreOutOfRange(.commercial, -1)) { try DimensionScores(uniform: -1) }
        #expect(throws: DimensionScoresError.wrongCount(expected: 9, found: 8)) {
            try DimensionScores(values: Array(repeating: 5, count: 8))
        }
        #expect(throws: DimensionScoresError.missingDimension(.misinformation)) {
            try DimensionScores(Dictionary(uniqueKeysWithValues: Dimension.allCases.filter { $0 != .misinformation }.map { ($0, 1) }))
        }
    }

    @Test func decodingRejectsUnknownKeysAndOutOfRangeScores() {
        let keys = Dimension.allCases.map { "\"\($0.key)\": 50" }
        let extra = "{" + (keys + ["\"其他\": 1"]).joined(separator: ",") + "}"
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DimensionScores.self, from: Data(extra.utf8)) }
        let high = "{" + keys.dropLast().joined(separator: ",") + ", \"诱导&&违法不良信息\": 300}"
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DimensionScores.self, from: Data(high.utf8)) }
        let missing = "{" + keys.dropLast().joined(separator: ",") + "}"
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DimensionScores.self, from: Data(missing.utf8)) }
    }
}
