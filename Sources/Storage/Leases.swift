import Foundation
import Synchronization

/// A named lease: who holds it and until when. A holder renews it well before it expires; a holder that dies
/// (`kill -9`, a lost machine) stops renewing, and once `expiresAt` has passed anyone may take it.
public struct Lease: Sendable, Equatable, Codable {
    public var name: String
    public var holder: String
    public var acquiredAt: Date
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case name, holder
        case acquiredAt = "acquired_at"
        case expiresAt = "expires_at"
    }
}

/// Leases that exclude across every process sharing the database: one retrain at a time across replicas.
public protocol LeaseStore: Sendable {
    /// Takes the lease for `holder` until `duration` from now, or extends it when `holder` already has it. Returns
    /// false (and changes nothing) while another holder's lease has not expired. On PostgreSQL the times come from
    /// the database server's clock, so replicas whose clocks disagree still agree on who holds it.
    func acquire(_ name: String, holder: String, for duration: Duration) async throws -> Bool
    /// Gives the lease up if `holder` has it (otherwise does nothing).
    func release(_ name: String, holder: String) async throws
    /// The lease as recorded, expired or not; nil when nobody took it or it was released.
    func current(_ name: String) async throws -> Lease?
}

/// Lease names in use.
public enum LeaseName {
    /// Held by the replica executing a retrain run, renewed while it runs.
    public static let retrain = "retrain"
}

/// The SQLite backend's leases: one SQLite file is served by one process, so excluding within the process is
/// excluding everywhere; no table is needed.
final class InProcessLeaseStore: LeaseStore {
    private let leases = Mutex<[String: Lease]>([:])

    func acquire(_ name: String, holder: String, for duration: Duration) async throws -> Bool {
        let now = Date()
        return leases.withLock { leases in
            if let lease = leases[name], lease.holder != holder, lease.expiresAt > now { return false }
            let acquiredAt = leases[name].flatMap { $0.holder == holder ? $0.acquiredAt : nil } ?? now
            leases[name] = Lease(name: name, holder: holder, acquiredAt: acquiredAt,
                                 expiresAt: now.addingTimeInterval(duration.seconds))
            return true
        }
    }

    func release(_ name: String, holder: String) async throws {
        leases.withLock { leases in
            if leases[name]?.holder == holder { leases[name] = nil }
        }
    }

    func current(_ name: String) async throws -> Lease? {
        leases.withLock { $0[name] }
    }
}
