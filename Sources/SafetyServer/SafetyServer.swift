import ArgumentParser
import Scoring

@main
struct SafetyServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safety-server",
        abstract: "TC260-003 content-safety scoring service and its model tools.",
        subcommands: []
    )
}
