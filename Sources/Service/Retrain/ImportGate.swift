import Foundation
import Scoring
import Storage
import Training

/// The eval gate of an imported adapter: the retrain's own judgement (`RetrainPipeline.judge`: the same held-out and
/// control sets, the same settings and `EvalGate`), run by the retrain job one at a time and yielding to live traffic
/// like a run. The outcome is stored on the adapter in the shape a run stores it; nothing is activated.
extension RetrainService {
    func evaluateImport(_ record: Storage.Adapter) async {
        let id = record.id
        let started = Monotonic.seconds()
        logger.info("evaluating imported adapter", metadata: ["adapter": "\(id)"])
        do {
            let onDisk = try AdapterFolder.contentHash(of: URL(fileURLWithPath: record.path))
            guard onDisk == record.contentHash else {
                throw ServiceError.adapterModified(id: id, path: record.path, onDisk: onDisk, registered: record.contentHash)
            }
            let candidate = try LoRAAdapter.load(directory: URL(fileURLWithPath: record.path), model: service.scorer.model, id: id)
            let (heldOut, control) = try await RetrainData.evaluationSets(database: database, config: service.configuration)
            let activeRecord = try await database.adapters.active()
            let scorer = service.scorer
            let coordinator = service.retrain
            let maxYield = service.configuration.retrainMaxYieldSeconds
            var hooks = RetrainHooks()
            hooks.shouldStop = { coordinator.isShuttingDown }
            hooks.yield = {
                let deadline = Monotonic.seconds() + maxYield
                while scorer.inFlight > 0 && Monotonic.seconds() < deadline && !coordinator.isShuttingDown { usleep(5_000) }
            }
            let pipeline = RetrainPipeline(model: scorer.model, tokenizer: scorer.tokenizer, prompt: scorer.prompt,
                                           active: scorer.adapter, config: pipelineConfig, hooks: hooks)
            let j = try await Self.onThread(name: "gate-\(id)") { try pipeline.judge(candidate, heldOut: heldOut, control: control) }
            var eval = Self.gateRecord(candidate: j.candidateReport, active: j.activeReport, control: j.control, decision: j.decision,
                                       gate: pipelineConfig.gate, heldOut: j.evaluated)
            if case var .object(fields) = eval {
                fields["active_adapter"] = activeRecord.map { .string($0.id) } ?? .null
                fields["seconds"] = .double(Monotonic.seconds() - started)
                eval = .object(fields)
            }
            let against = activeRecord?.id ?? "the base model"
            let maeLine = "held-out MAE " + String(format: "%.2f", j.activeReport.mae) + " (\(against)) → " + String(format: "%.2f", j.candidateReport.mae)
                + " on \(j.evaluated) items"
            let state: AdapterGateState = j.decision.accepted ? .passed : .rejected
            let detail = j.decision.accepted ? "passed: \(maeLine)" : "rejected: \(j.decision.reasons.joined(separator: "; ")) (\(maeLine))"
            _ = try await database.adapters.recordGate(id: id, state: state, eval: eval, detail: detail)
            try await database.auditLog.record(keyID: nil, action: "adapter.gate", target: id,
                                               details: .object(["state": .string(state.rawValue), "detail": .string(detail)]))
            logger.info("imported adapter evaluated", metadata: ["adapter": "\(id)", "gate": "\(state.rawValue)", "eval": "\(maeLine)"])
        } catch RetrainError.cancelled(_) where service.retrain.isShuttingDown {
            // Stopped by the shutdown: evaluated again at the next start.
            _ = try? await database.adapters.recordGate(id: id, state: .pending, eval: nil, detail: nil)
        } catch {
            let detail = "the evaluation could not run: \(error)"
            _ = try? await database.adapters.recordGate(id: id, state: .failed, eval: nil, detail: detail)
            _ = try? await database.auditLog.record(keyID: nil, action: "adapter.gate", target: id,
                                                details: .object(["state": .string("failed"), "detail": .string(detail)]))
            logger.error("imported adapter's evaluation failed", metadata: ["adapter": "\(id)", "error": "\(error)"])
        }
    }
}
