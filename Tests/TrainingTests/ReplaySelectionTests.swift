import Foundation
import Testing
@testable import Training

/// The replay's nearest texts: for a correction, the seed texts that look like it come first (the look-alikes a new
/// domain is confused with), round-robin across corrections, never the correction's own text.
@Suite struct ReplaySelectionTests {
    let pool = [
        "今天天气很好，我们去公园散步吧。",           // 0 unrelated
        "我的手机号是13812345678，快递到了请联系。",  // 1 benign, a phone number
        "出售游戏账号，加QQ 3194704877 私聊。",       // 2 the correction itself (a seed copy)
        "银行提醒：请勿向陌生人透露验证码。",         // 3 unrelated
        "高价回收游戏账号，需要的加QQ私聊。",         // 4 an ad like it
        "周末的电影票还有吗？",                       // 5 unrelated
        "这家餐厅的菜很好吃，推荐给大家。",           // 6 unrelated
        "有偿代练，加微信私聊，价格实惠。",           // 7 the second query's neighbour
    ]

    @Test func theNearestTextsOfEachCorrectionComeFirstRoundRobin() {
        let queries = ["出售游戏账号，加QQ 3194704877 私聊。", "代练上分，加微信私聊"]
        let picked = ReplaySelection.neighbours(of: queries, in: pool, limit: 3, perQuery: 3, maxDocumentFrequency: 1)
        // Only the two ads share character pairs with the queries beyond the punctuation.
        #expect(picked == [4, 7], "\(picked)")
        #expect(!picked.contains(2), "the correction's own text is never its replay")
        #expect(picked[0] == 4, "the nearest text of the first correction first: \(picked)")
        #expect(picked[1] == 7, "then the nearest of the second: \(picked)")
        // Deterministic, and bounded by the pool's texts that share anything with a query.
        #expect(ReplaySelection.neighbours(of: queries, in: pool, limit: 3, perQuery: 3, maxDocumentFrequency: 1) == picked)
        let all = ReplaySelection.neighbours(of: queries, in: pool, limit: 100, perQuery: 8, maxDocumentFrequency: 1)
        #expect(Set(all).count == all.count && !all.contains(2) && !all.contains(5))
    }

    @Test func emptyInputsAndAZeroLimitSelectNothing() {
        #expect(ReplaySelection.neighbours(of: [], in: pool, limit: 5).isEmpty)
        #expect(ReplaySelection.neighbours(of: ["加QQ"], in: [], limit: 5).isEmpty)
        #expect(ReplaySelection.neighbours(of: ["加QQ"], in: pool, limit: 0).isEmpty)
    }
}
