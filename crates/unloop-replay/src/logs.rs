//! Container logs from the snapshot, found by pod, container and run.

use std::collections::HashMap;
use std::sync::Arc;

/// One captured log.
#[derive(Debug, Clone)]
struct Entry {
    namespace: Option<String>,
    container: Option<String>,
    previous: bool,
    text: Arc<str>,
}

/// Every captured log, by pod name.
#[derive(Debug, Clone, Default)]
pub struct Logs {
    by_pod: HashMap<String, Vec<Entry>>,
}

impl Logs {
    /// Adds a log. Inputs that did not say the namespace or container match
    /// any (a `<pod>-previous.log` file names only the pod).
    pub fn add(
        &mut self,
        namespace: Option<String>,
        pod: String,
        container: Option<String>,
        previous: bool,
        text: String,
    ) {
        let entries = self.by_pod.entry(pod).or_default();
        // The same log read twice (a dump block and a copied file): keep the longer.
        if let Some(e) = entries.iter_mut().find(|e| {
            e.namespace == namespace && e.container == container && e.previous == previous
        }) {
            if text.len() > e.text.len() {
                e.text = text.into();
            }
            return;
        }
        entries.push(Entry {
            namespace,
            container,
            previous,
            text: text.into(),
        });
    }

    /// The log of `container` of pod `ns/pod`, of its previous run if
    /// `previous`. `only_container` says the pod has that one container, so
    /// a log that names no container is its log.
    pub fn find(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
        only_container: bool,
    ) -> Option<Arc<str>> {
        let entries = self.by_pod.get(pod)?;
        let candidates = entries
            .iter()
            .filter(|e| e.previous == previous && e.namespace.as_deref().is_none_or(|n| n == ns));
        let mut fallback = None;
        for e in candidates {
            match e.container.as_deref() {
                Some(c) if c == container => return Some(e.text.clone()),
                None if only_container => fallback = Some(e.text.clone()),
                _ => {}
            }
        }
        fallback
    }

    /// How many logs are held.
    pub fn len(&self) -> usize {
        self.by_pod.values().map(Vec::len).sum()
    }

    /// Whether no log is held.
    pub fn is_empty(&self) -> bool {
        self.by_pod.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_container_and_run_and_lends_unnamed_logs_to_single_container_pods() {
        let mut l = Logs::default();
        l.add(
            Some("ns".into()),
            "p".into(),
            Some("c".into()),
            false,
            "cur\n".into(),
        );
        l.add(None, "p".into(), None, true, "prev\n".into());
        assert_eq!(
            l.find("ns", "p", "c", false, true).as_deref(),
            Some("cur\n")
        );
        assert_eq!(
            l.find("ns", "p", "c", true, true).as_deref(),
            Some("prev\n")
        );
        assert_eq!(l.find("ns", "p", "c", true, false), None);
        assert_eq!(l.find("other", "p", "c", false, true), None);
        assert_eq!(l.len(), 2);
    }
}
