//! Start-up milestones controllers log, per framework, as data.

/// A point in a controller's start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Milestone {
    /// Knative sharedmain: `Registering N clients|informer factories|informers|controllers`.
    Registering,
    /// controller-runtime: `starting manager`.
    ManagerStarting,
    /// Informers started; caches begin to fill.
    InformersStarting,
    /// client-go / controller-runtime: waiting for caches.
    CachesWaiting,
    /// Caches synced: the expensive part of start-up is over.
    CachesSynced,
    /// Knative: `Starting controllers...` (printed after all caches synced).
    ControllersStarting,
    /// Workers run: the controller reconciles.
    WorkersStarted,
    /// The health probe server listens.
    ProbeListening,
    /// Cache sync failed or was aborted (often by SIGTERM from a probe kill).
    SyncFailed,
}

impl Milestone {
    /// Whether reaching this milestone means the caches have synced.
    pub fn synced(&self) -> bool {
        matches!(
            self,
            Milestone::CachesSynced | Milestone::ControllersStarting | Milestone::WorkersStarted
        )
    }

    /// Plain words.
    pub fn describe(&self) -> &'static str {
        match self {
            Milestone::Registering => "registering clients and informers",
            Milestone::ManagerStarting => "starting the manager",
            Milestone::InformersStarting => "starting informers",
            Milestone::CachesWaiting => "waiting for caches to sync",
            Milestone::CachesSynced => "caches synced",
            Milestone::ControllersStarting => "starting controllers (caches synced)",
            Milestone::WorkersStarted => "workers started",
            Milestone::ProbeListening => "probe server listening",
            Milestone::SyncFailed => "cache sync failed",
        }
    }
}

/// Phrases (case-sensitive substrings of the message) that mark a milestone.
pub static PHRASES: &[(&str, Milestone)] = &[
    // knative.dev/pkg sharedmain and controller.
    ("Registering ", Milestone::Registering),
    ("Starting informers", Milestone::InformersStarting),
    ("Starting controllers", Milestone::ControllersStarting),
    ("Started workers", Milestone::WorkersStarted),
    ("Probes server listening", Milestone::ProbeListening),
    ("Failed to start informers", Milestone::SyncFailed),
    ("failed to wait for cache at index", Milestone::SyncFailed),
    // client-go shared informers and controllers.
    ("Waiting for caches to sync", Milestone::CachesWaiting),
    ("Caches are synced", Milestone::CachesSynced),
    ("caches populated", Milestone::CachesSynced),
    ("Starting workers", Milestone::WorkersStarted),
    ("unable to sync caches", Milestone::SyncFailed),
    // controller-runtime.
    ("starting manager", Milestone::ManagerStarting),
    ("Starting manager", Milestone::ManagerStarting),
    ("Could not wait for Cache to sync", Milestone::SyncFailed),
    ("failed to wait for caches to sync", Milestone::SyncFailed),
    ("Starting EventSource", Milestone::InformersStarting),
    ("Starting Controller", Milestone::CachesWaiting),
];

/// The milestone a log message marks, if any.
pub fn milestone_of(message: &str) -> Option<Milestone> {
    PHRASES
        .iter()
        .find(|(p, _)| message.contains(p))
        .map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_framework_phrases() {
        assert_eq!(
            milestone_of("Registering 8 informers"),
            Some(Milestone::Registering)
        );
        assert_eq!(
            milestone_of("Starting controllers..."),
            Some(Milestone::ControllersStarting)
        );
        assert_eq!(
            milestone_of("failed to wait for cache at index 8 to sync"),
            Some(Milestone::SyncFailed)
        );
        assert_eq!(
            milestone_of("Starting workers"),
            Some(Milestone::WorkersStarted)
        );
        assert_eq!(milestone_of("Reconcile succeeded"), None);
        assert!(Milestone::ControllersStarting.synced());
        assert!(!Milestone::InformersStarting.synced());
    }
}
