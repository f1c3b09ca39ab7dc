/// One chat turn; `role` is "system", "user", "assistant" or "tool".
public struct ChatMessage: Codable, Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// Chat prompts as the model's chat template renders them.
public enum ChatTemplate {
    public static let qwenDefaultSystemPrompt = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

    /// The Qwen2.5 ChatML template (data/qwen2-tokenizer/peer-tests/Qwen-Qwen2.5-7B-Instruct.jinja) for messages
    /// without tools or tool calls: a system turn first (the default one when the first message is not a system
    /// message), then each turn as `<|im_start|>role\ncontent<|im_end|>\n`; consecutive tool results share one
    /// user turn. An empty list renders just the default system turn.
    public static func chatML(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var out = "<|im_start|>system\n"
        if let first = messages.first, first.role == "system" {
            out += first.content
        } else {
            out += qwenDefaultSystemPrompt
        }
        out += "<|im_end|>\n"
        for (i, message) in messages.enumerated() {
            switch message.role {
            case "system" where i == 0:
                continue  // already rendered above
            case "user", "system", "assistant":
                out += "<|im_start|>\(message.role)\n\(message.content)<|im_end|>\n"
            case "tool":
                if i == 0 || messages[i - 1].role != "tool" { out += "<|im_start|>user" }
                out += "\n<tool_response>\n\(message.content)\n</tool_response>"
                if i == messages.count - 1 || messages[i + 1].role != "tool" { out += "<|im_end|>\n" }
            default:
                continue  // the template renders nothing for other roles
            }
        }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }
}
