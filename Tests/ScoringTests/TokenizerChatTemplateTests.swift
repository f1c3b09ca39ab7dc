import Foundation
import Testing
@testable import Scoring

@Suite struct TokenizerChatTemplateTests {
    @Test func systemAndUserConversationRendersAsQwenChatML() throws {
        let messages: [ChatMessage] = [.system("You are a content-safety reviewer."), .user("这句话安全吗？")]
        let text = ChatTemplate.chatML(messages, addGenerationPrompt: true)
        #expect(text == """
            <|im_start|>system
            You are a content-safety reviewer.<|im_end|>
            <|im_start|>user
            这句话安全吗？<|im_end|>
            <|im_start|>assistant

            """)
        // Ids from Hugging Face tokenizers 0.23.3 for the same text.
        #expect(try TokenizerTestData.qwen2().encode(text) == [
            151_644, 8948, 198, 2610, 525, 264, 2213, 1331, 38618, 55514, 13, 151_645, 198, 151_644, 872, 198,
            106_599, 99464, 101_037, 11319, 151_645, 198, 151_644, 77091, 198,
        ])
    }

    @Test func conversationWithoutSystemMessageGetsQwenDefaultSystemPrompt() {
        let text = ChatTemplate.chatML([.user("你好"), .assistant("你好！"), .user("再见")], addGenerationPrompt: false)
        #expect(text == "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n你好！<|im_end|>\n"
                + "<|im_start|>user\n再见<|im_end|>\n")
    }

    @Test func laterSystemMessagesAndToolResultsRenderAsTheTemplateDoes() {
        let messages = [
            ChatMessage.system("S"), .user("U"), .system("S2"),
            ChatMessage(role: "tool", content: "r1"), ChatMessage(role: "tool", content: "r2"), .assistant("A"),
        ]
        #expect(ChatTemplate.chatML(messages, addGenerationPrompt: false) ==
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>system\nS2<|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n<tool_response>\nr2\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\nA<|im_end|>\n")
    }

    @Test func chatMessagesDecodeFromJSON() throws {
        let json = #"[{"role": "user", "content": "hi"}]"#
        let messages = try JSONDecoder().decode([ChatMessage].self, from: Data(json.utf8))
        #expect(messages == [.user("hi")])
    }
}
