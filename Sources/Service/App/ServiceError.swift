import Foundation

/// What the service's own operations refuse, in its own terms (the HTTP layer gives each a status and a code in
/// `APIError(_:logger:path:)`, API/ErrorMap.swift). The description is the message a client or an operator can act on.
public enum ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    case adapterNotFound(id: String)
    /// An adapter folder lacks one of the PEFT files.
    case adapterFilesMissing(folder: String, file: String)
    /// A registered adapter's files changed on disk after registration.
    case adapterModified(id: String, path: String, onDisk: String, registered: String)
    /// A registered adapter does not load against the served model.
    case adapterInvalid(id: String, reason: String)
    /// A folder offered for import is not a PEFT LoRA adapter this server can serve.
    case adapterImportInvalid(path: String, reason: String)
    /// An imported adapter whose gate has not passed, activated without an override reason.
    case adapterGateNotPassed(id: String, state: String, detail: String?)
    case runNotFound(id: String)
    /// One training run at a time: a second is refused while one is queued or running.
    case runInProgress(id: Int64, state: String)
    /// Only queued or running runs can be cancelled.
    case runFinished(id: Int64, state: String)
    /// The run finished while the cancellation was on its way.
    case runNoLongerCancellable(id: Int64, state: String)
    case requestNotFound(id: String)
    case keyNotFound(id: String)
    /// An idempotency id already used by this key for another text.
    case clientRequestIDReused(clientRequestID: String, requestID: String)

    public var description: String {
        switch self {
        case .adapterNotFound(let id): "no adapter with id \(id)"
        case .adapterFilesMissing(let folder, let file): "adapter folder \(folder) has no \(file)"
        case .adapterModified(let id, let path, let onDisk, let registered):
            "adapter \(id) cannot be activated: its files in \(path) changed since it was registered "
                + "(content hash \(onDisk.prefix(12))…, registered \(registered.prefix(12))…)"
        case .adapterInvalid(let id, let reason): "adapter \(id) cannot be activated: \(reason)"
        case .adapterImportInvalid(let path, let reason): "cannot import \(path): \(reason)"
        case .adapterGateNotPassed(let id, let state, let detail):
            "adapter \(id) has not passed the eval gate (gate \(state)\(detail.map { ": \($0)" } ?? "")); "
                + "to serve it anyway, send {\"override_reason\": \"why\"}"
        case .runNotFound(let id): "no training run with id \(id)"
        case .runInProgress(let id, let state):
            "training run \(id) is \(state); wait for it or cancel it (POST /v1/admin/runs/\(id)/cancel)"
        case .runFinished(let id, let state): "training run \(id) is \(state); only queued or running runs can be cancelled"
        case .runNoLongerCancellable(let id, let state): "training run \(id) is \(state) and can no longer be cancelled"
        case .requestNotFound(let id): "no request with id \(id)"
        case .keyNotFound(let id): "no API key with id \(id)"
        case .clientRequestIDReused(let clientRequestID, let requestID):
            "client_request_id \(clientRequestID) was already used for a different text (request \(requestID))"
        }
    }
}
