import Foundation
import ServiceLifecycle

/// Replicas: every `adapter_sync_seconds`, asks the database which adapter is active and swaps to it when another
/// replica activated a different one (`SafetyService.followActiveAdapter`), so that every replica serves an adapter
/// within one interval of its activation anywhere. Polling one small row rather than LISTEN/NOTIFY: it needs no
/// connection of its own, works the same on SQLite, and a missed notification cannot leave a replica behind.
public struct AdapterSyncService: Service {
    let service: SafetyService
    let interval: Duration

    public init(service: SafetyService) {
        self.service = service
        interval = .milliseconds(Int64(max(0, service.configuration.adapterSyncSeconds) * 1000))
    }

    public func run() async throws {
        let interval = interval > .zero ? interval : .seconds(3600 * 24 * 365)  // off: sleep until shutdown
        let checks = interval < .seconds(3600 * 24 * 365)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                if checks { await service.followActiveAdapter() }
            }
        }
    }
}
