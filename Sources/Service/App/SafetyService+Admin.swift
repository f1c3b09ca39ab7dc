import Foundation
import Storage

/// The admin operations on training runs and API keys. Every change is written to the audit log.
extension SafetyService {
    /// Queues a retrain run. One run at a time: a second while one is queued or running is refused, not stacked.
    func requestRetrain(reason: String?, by keyID: Int64) async throws -> TrainingRun {
        if let pending = try await database.trainingRuns.list(limit: 50, beforeID: nil).first(where: { !$0.state.isFinal }) {
            throw ServiceError.runInProgress(id: pending.id, state: pending.state.rawValue)
        }
        let run = try await database.trainingRuns.create(trigger: .admin, requestedBy: keyID)
        try await database.auditLog.record(keyID: keyID, action: "training.request", target: "\(run.id)",
                                           details: reason.map { .object(["reason": .string($0)]) })
        return run
    }

    /// Cancels a queued or running run; the retrain job stops at its next check.
    func cancelRun(id: Int64, by keyID: Int64) async throws -> TrainingRun {
        guard let run = try await database.trainingRuns.get(id: id) else { throw ServiceError.runNotFound(id: "\(id)") }
        guard run.state == .queued || run.state == .running else { throw ServiceError.runFinished(id: id, state: run.state.rawValue) }
        do {
            _ = try await database.trainingRuns.transition(id: id, to: .cancelled, decision: nil, error: "cancelled by an admin")
        } catch StorageError.invalidTransition(_, let from, _) {
            throw ServiceError.runNoLongerCancellable(id: id, state: from)
        }
        retrain.requestCancel(id)
        try await database.auditLog.record(keyID: keyID, action: "training.cancel", target: "\(id)", details: nil)
        guard let updated = try await database.trainingRuns.get(id: id) else { throw ServiceError.runNotFound(id: "\(id)") }
        return updated
    }

    /// A new key; its clear text is returned once and never stored.
    func createKey(role: Role, label: String, by keyID: Int64) async throws -> CreatedAPIKey {
        let created = try await database.apiKeys.create(role: role, label: label)
        try await database.auditLog.record(keyID: keyID, action: "key.create", target: "\(created.key.id)",
                                           details: .object(["role": .string(role.rawValue), "label": .string(label)]))
        return created
    }

    func revokeKey(id: Int64, by keyID: Int64) async throws -> APIKey {
        guard try await database.apiKeys.get(id: id) != nil else { throw ServiceError.keyNotFound(id: "\(id)") }
        let revoked = try await database.apiKeys.revoke(id: id)
        try await database.auditLog.record(keyID: keyID, action: "key.revoke", target: "\(id)", details: nil)
        return revoked
    }
}
