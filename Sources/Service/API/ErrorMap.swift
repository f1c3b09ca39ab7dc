import Foundation
import Hummingbird
import Logging
import Scoring
import Storage

extension APIError {
    /// The one translation of the errors handlers and the service throw into what the API sends: request errors
    /// are 400s, the service's and storage's refusals get their status and code, the scorer's busy and shutting-down
    /// states a 503 with Retry-After. Anything unknown is a 500 that is logged but not leaked.
    init(_ error: any Error, logger: Logger, path: String) {
        switch error {
        case let e as APIError:
            self = e
        case let e as RequestError:
            self = .badRequest(e.code, e.message)
        case let e as ServiceError:
            self = Self.service(e)
        case let e as ScorerError:
            self = Self.scorer(e, logger: logger)
        case let e as StorageError:
            self = Self.storage(e, logger: logger, path: path)
        default:
            logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(path)"])
            self = APIError(.internalServerError, code: "internal_error", "an internal error occurred; it has been logged")
        }
    }

    private static func service(_ e: ServiceError) -> APIError {
        switch e {
        case .adapterNotFound, .runNotFound, .requestNotFound, .keyNotFound:
            .notFound(e.description)
        case .adapterFilesMissing, .adapterInvalid, .adapterImportInvalid:
            APIError(.unprocessableContent, code: "adapter_invalid", e.description)
        case .adapterGateNotPassed:
            APIError(.conflict, code: "gate_not_passed", e.description)
        case .adapterModified:
            APIError(.unprocessableContent, code: "adapter_modified", e.description)
        case .runInProgress:
            APIError(.conflict, code: "run_in_progress", e.description)
        case .runFinished, .runNoLongerCancellable:
            APIError(.conflict, code: "run_finished", e.description)
        case .clientRequestIDReused:
            APIError(.conflict, code: "client_request_id_reused", e.description)
        }
    }

    private static func scorer(_ e: ScorerError, logger: Logger) -> APIError {
        switch e {
        case .queueFull:
            return APIError(.serviceUnavailable, code: "queue_full", "the scoring queue is full; retry shortly", headers: [.retryAfter: "1"])
        case .textTooLong(let tokens, let limit):
            return .badRequest("text_too_long", "the text is \(tokens) tokens with the instruction; the model accepts \(limit)")
        case .emptyText:
            return .badRequest("empty_text", "the text is empty")
        case .shutDown:
            return APIError(.serviceUnavailable, code: "shutting_down", "the service is shutting down; retry on another instance",
                            headers: [.retryAfter: "5"])
        case .invalidOptions(let message), .engineFailure(let message):
            logger.error("scoring failed", metadata: ["error": "\(e)"])
            return APIError(.internalServerError, code: "engine_failure", "the model could not score this text: \(message); nothing was stored")
        }
    }

    private static func storage(_ e: StorageError, logger: Logger, path: String) -> APIError {
        switch e {
        case .constraintViolation(let v):
            return APIError(.conflict, code: "constraint_violation", "the change breaks a database rule: \(v)")
        case .notFound(let entity, let id):
            return .notFound("no \(entity) with id \(id)")
        case .invalidTransition(let id, let from, let to):
            return APIError(.conflict, code: "invalid_transition", "training run \(id) cannot go from \(from) to \(to)")
        case .invalidCursor:
            return .badRequest("invalid_cursor", "the cursor is not one this server issued, or belongs to another query")
        case .closed:
            return APIError(.serviceUnavailable, code: "shutting_down", "the service is shutting down", headers: [.retryAfter: "5"])
        case .unavailable:
            logger.error("database unavailable", metadata: ["error": "\(e)", "path": "\(path)"])
            return APIError(.serviceUnavailable, code: "database_unavailable", "the database cannot be reached; nothing was applied, retry later",
                            headers: [.retryAfter: "5"])
        default:
            logger.error("storage error", metadata: ["error": "\(e)", "path": "\(path)"])
            return APIError(.internalServerError, code: "storage_error", "the database failed; the request was not applied")
        }
    }
}
