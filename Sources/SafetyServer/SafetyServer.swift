import ArgumentParser
import Foundation
import Scoring

@main
struct SafetyServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safety-server",
        abstract: "TC260-003 content-safety scoring service and its model tools.",
        subcommands: [ServeCommand.self, KeysCommand.self, TokenizeCommand.self, TokenizerCommand.self, LogitsCommand.self, GenerateCommand.self,
                      ScoreCommand.self, EvidenceCommand.self, EvalCommand.self, BenchCommand.self, TrainCommand.self, ModelCommand.self, DemoCommand.self,
                      ExportCommand.self, DevCommand.self]
    )
}

/// Writes a line to standard error (progress and diagnostics; standard output carries the JSON results).
func logError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Encodes a value as one line of JSON on standard output.
func printJSON<T: Encodable>(_ value: T, pretty: Bool = false) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

extension WeightFormat: ExpressibleByArgument {}
extension MatmulPrecision: ExpressibleByArgument {}
