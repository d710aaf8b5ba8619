//! Knative Revisions, stored compactly.
//!
//! Revision GC needs every Revision of a cluster, and a cluster that needs
//! unloop may hold a hundred thousand of them. Kept as [`Revision`] values
//! (264 bytes, seven owned strings and a [`Source`] each) they cost ~0.45 KB
//! apiece, which
//! made them most of a live diagnosis's memory. Here a Revision is one
//! fixed-size row: its name sits in one shared buffer, and the strings that
//! thousands of Revisions share (namespace, Configuration, Service, routing
//! state, routes, readiness, origin) are interned.
//!
//! Rows are read through [`RevisionRef`], whose accessors mirror
//! [`Revision`]'s fields; [`RevisionRef::to_revision`] gives the owned value
//! back unchanged.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;

use jiff::Timestamp;
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use super::model::Revision;
use super::source::Source;

/// Every Knative Revision of the evidence, in the order they were added.
#[derive(Clone, Default)]
pub struct Revisions {
    rows: Vec<Row>,
    /// All names, back to back; a row holds its slice's bounds.
    names: String,
    strings: Interner,
    /// `Source::field`s other than the canonical `Revision <ns>/<name>` that
    /// every reader writes, by row; almost always empty.
    odd_fields: BTreeMap<usize, Option<Arc<str>>>,
}

/// One Revision: 80 bytes.
#[derive(Clone, Copy)]
struct Row {
    name_start: usize,
    name_end: usize,
    created: PackedTime,
    routing_state_modified: PackedTime,
    line: Option<u32>,
    namespace: Sym,
    origin: Sym,
    configuration: Option<Sym>,
    service: Option<Sym>,
    routing_state: Option<Sym>,
    routes: Option<Sym>,
    ready: Option<Sym>,
    no_gc: bool,
}

/// An optional [`Timestamp`] in 12 bytes instead of 24 (packed, so that
/// two of them do not pad a row by 8).
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct PackedTime {
    second: i64,
    /// `u32::MAX` when absent.
    nanosecond: u32,
}

impl PackedTime {
    const NONE: PackedTime = PackedTime {
        second: 0,
        nanosecond: u32::MAX,
    };

    fn pack(t: Option<Timestamp>) -> PackedTime {
        match t {
            Some(t) => PackedTime {
                second: t.as_second(),
                // A Timestamp's sub-second part is negative before the epoch.
                nanosecond: (t.subsec_nanosecond() + 1_000_000_000) as u32,
            },
            None => PackedTime::NONE,
        }
    }

    fn unpack(self) -> Option<Timestamp> {
        if self.nanosecond == u32::MAX {
            return None;
        }
        // Always valid: the parts came from a Timestamp.
        Timestamp::new(self.second, self.nanosecond as i32 - 1_000_000_000).ok()
    }
}

/// An interned string: its index in [`Interner::all`] plus one.
type Sym = NonZeroU32;

#[derive(Clone, Default)]
struct Interner {
    all: Vec<Arc<str>>,
    index: HashMap<Arc<str>, Sym>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.index.get(s) {
            return sym;
        }
        // Distinct strings are namespaces, Configurations and the like: far
        // fewer than u32::MAX in any evidence that fits in memory.
        let sym = u32::try_from(self.all.len() + 1)
            .ok()
            .and_then(NonZeroU32::new)
            .expect("fewer than 2^32 distinct strings");
        let s: Arc<str> = Arc::from(s);
        self.all.push(s.clone());
        self.index.insert(s, sym);
        sym
    }

    fn get(&self, sym: Sym) -> &Arc<str> {
        &self.all[sym.get() as usize - 1]
    }
}

fn canonical_field(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("Revision {name}")
    } else {
        format!("Revision {namespace}/{name}")
    }
}

/// Whether `field` is what [`canonical_field`] gives, without building it
/// (every Revision added is checked).
fn is_canonical_field(field: Option<&str>, namespace: &str, name: &str) -> bool {
    let Some(rest) = field.and_then(|f| f.strip_prefix("Revision ")) else {
        return false;
    };
    if namespace.is_empty() {
        return rest == name;
    }
    rest.strip_prefix(namespace)
        .and_then(|r| r.strip_prefix('/'))
        .is_some_and(|r| r == name)
}

impl Revisions {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a Revision at the end.
    pub fn push(&mut self, r: Revision) {
        let index = self.rows.len();
        if !is_canonical_field(r.source.field.as_deref(), &r.namespace, &r.name) {
            self.odd_fields.insert(index, r.source.field.clone());
        }
        let name_start = self.names.len();
        self.names.push_str(&r.name);
        let mut opt = |s: &Option<String>| s.as_deref().map(|s| self.strings.intern(s));
        let row = Row {
            configuration: opt(&r.configuration),
            service: opt(&r.service),
            routing_state: opt(&r.routing_state),
            routes: opt(&r.routes),
            ready: opt(&r.ready),
            name_start,
            name_end: self.names.len(),
            namespace: self.strings.intern(&r.namespace),
            origin: self.strings.intern(&r.source.origin),
            line: r.source.line,
            created: PackedTime::pack(r.created),
            routing_state_modified: PackedTime::pack(r.routing_state_modified),
            no_gc: r.no_gc,
        };
        self.rows.push(row);
    }

    /// How many Revisions.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The `i`th Revision added.
    pub fn get(&self, i: usize) -> Option<RevisionRef<'_>> {
        (i < self.rows.len()).then_some(RevisionRef { set: self, i })
    }

    /// The first Revision added.
    pub fn first(&self) -> Option<RevisionRef<'_>> {
        self.get(0)
    }

    /// Every Revision, in the order added.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = RevisionRef<'_>> + Clone + '_ {
        (0..self.rows.len()).map(move |i| RevisionRef { set: self, i })
    }

    /// Gives back growth room once every Revision is in.
    pub fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        self.names.shrink_to_fit();
    }

    /// About the heap bytes held (allocator overhead and the rare odd
    /// source fields left out).
    #[cfg(test)]
    fn heap_bytes(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<Row>()
            + self.names.capacity()
            + self.strings.all.iter().map(|s| s.len() + 16).sum::<usize>()
            + self.strings.all.capacity() * std::mem::size_of::<Arc<str>>()
            + self.strings.index.capacity() * (std::mem::size_of::<(Arc<str>, Sym)>() + 1)
    }
}

/// One Revision of a [`Revisions`] table.
#[derive(Clone, Copy)]
pub struct RevisionRef<'a> {
    set: &'a Revisions,
    i: usize,
}

impl<'a> RevisionRef<'a> {
    fn row(&self) -> &'a Row {
        &self.set.rows[self.i]
    }

    fn sym(&self, s: Sym) -> &'a str {
        self.set.strings.get(s)
    }

    fn opt(&self, s: Option<Sym>) -> Option<&'a str> {
        s.map(|s| self.sym(s))
    }

    /// Its position in the table.
    pub fn index(&self) -> usize {
        self.i
    }

    /// `metadata.namespace` (empty when the evidence lacks it).
    pub fn namespace(&self) -> &'a str {
        self.sym(self.row().namespace)
    }

    /// `metadata.name`.
    pub fn name(&self) -> &'a str {
        let row = self.row();
        &self.set.names[row.name_start..row.name_end]
    }

    /// Label `serving.knative.dev/configuration`.
    pub fn configuration(&self) -> Option<&'a str> {
        self.opt(self.row().configuration)
    }

    /// Label `serving.knative.dev/service`.
    pub fn service(&self) -> Option<&'a str> {
        self.opt(self.row().service)
    }

    /// Label `serving.knative.dev/routingState`.
    pub fn routing_state(&self) -> Option<&'a str> {
        self.opt(self.row().routing_state)
    }

    /// Annotation `serving.knative.dev/routingStateModified`.
    pub fn routing_state_modified(&self) -> Option<Timestamp> {
        self.row().routing_state_modified.unpack()
    }

    /// Annotation `serving.knative.dev/no-gc: "true"`.
    pub fn no_gc(&self) -> bool {
        self.row().no_gc
    }

    /// Annotation `serving.knative.dev/routes`.
    pub fn routes(&self) -> Option<&'a str> {
        self.opt(self.row().routes)
    }

    /// `metadata.creationTimestamp`.
    pub fn created(&self) -> Option<Timestamp> {
        self.row().created.unpack()
    }

    /// Status condition `Ready`.
    pub fn ready(&self) -> Option<&'a str> {
        self.opt(self.row().ready)
    }

    /// Where it was read from.
    pub fn source(&self) -> Source {
        let row = self.row();
        let field = match self.set.odd_fields.get(&self.i) {
            Some(f) => f.clone(),
            None => Some(Arc::from(canonical_field(self.namespace(), self.name()))),
        };
        Source {
            origin: self.set.strings.get(row.origin).clone(),
            line: row.line,
            field,
        }
    }

    /// The input it was read from, without building its whole [`Source`].
    pub fn origin(&self) -> &'a Arc<str> {
        self.set.strings.get(self.row().origin)
    }

    /// The owned value, as it was added.
    pub fn to_revision(&self) -> Revision {
        let own = |s: Option<&str>| s.map(str::to_owned);
        Revision {
            namespace: self.namespace().to_owned(),
            name: self.name().to_owned(),
            configuration: own(self.configuration()),
            service: own(self.service()),
            routing_state: own(self.routing_state()),
            routing_state_modified: self.routing_state_modified(),
            no_gc: self.no_gc(),
            routes: own(self.routes()),
            created: self.created(),
            ready: own(self.ready()),
            source: self.source(),
        }
    }
}

impl fmt::Debug for RevisionRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_revision().fmt(f)
    }
}

impl Serialize for RevisionRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_revision().serialize(s)
    }
}

impl fmt::Debug for Revisions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Equal when they hold the same Revisions in the same order, however interned.
impl PartialEq for Revisions {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.to_revision() == b.to_revision())
    }
}

/// The same JSON as a list of [`Revision`]s.
impl Serialize for Revisions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for r in self.iter() {
            seq.serialize_element(&r)?;
        }
        seq.end()
    }
}

impl FromIterator<Revision> for Revisions {
    fn from_iter<I: IntoIterator<Item = Revision>>(iter: I) -> Self {
        let mut out = Revisions::new();
        out.extend(iter);
        out
    }
}

impl Extend<Revision> for Revisions {
    fn extend<I: IntoIterator<Item = Revision>>(&mut self, iter: I) {
        for r in iter {
            self.push(r);
        }
    }
}

impl From<Vec<Revision>> for Revisions {
    fn from(v: Vec<Revision>) -> Self {
        v.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn revision(ns: &str, name: &str) -> Revision {
        Revision {
            namespace: ns.to_owned(),
            name: name.to_owned(),
            configuration: Some("hello".to_owned()),
            service: Some("hello".to_owned()),
            routing_state: Some("reserve".to_owned()),
            routing_state_modified: Some(ts("2024-03-27T18:30:29Z")),
            no_gc: false,
            routes: None,
            created: Some(ts("2024-03-20T08:00:00.123456789Z")),
            ready: Some("True".to_owned()),
            source: Source::new("revisions.yaml")
                .at_line(7)
                .with_field(canonical_field(ns, name)),
        }
    }

    #[test]
    fn every_field_round_trips() {
        let mut odd = revision("default", "hello-00002");
        odd.configuration = None;
        odd.service = None;
        odd.routing_state = Some("active".to_owned());
        odd.routing_state_modified = None;
        odd.no_gc = true;
        odd.routes = Some("hello,hello-canary".to_owned());
        odd.created = Some(ts("1969-12-31T23:59:58.25Z"));
        odd.ready = None;
        odd.source = Source::new("live:/apis/serving.knative.dev/v1/revisions");
        let mut other_field = revision("", "cluster-scoped");
        other_field.source = other_field.source.with_field("somewhere else");
        let mut extremes = revision("default", "hello-00003");
        extremes.created = Some(Timestamp::MIN);
        extremes.routing_state_modified = Some(Timestamp::MAX);
        let mut before_epoch = revision("default", "hello-00004");
        before_epoch.created = Some(ts("1969-12-31T23:59:59.999999999Z"));
        let given = vec![
            revision("default", "hello-00001"),
            odd,
            other_field,
            extremes,
            before_epoch,
        ];
        let table: Revisions = given.clone().into();
        assert_eq!(table.len(), 5);
        let back: Vec<Revision> = table.iter().map(|r| r.to_revision()).collect();
        assert_eq!(back, given);
    }

    #[test]
    fn serializes_like_a_list_of_revisions() {
        let given = vec![revision("default", "a-00001"), revision("prod", "b-00001")];
        let table = Revisions::from(given.clone());
        assert_eq!(
            serde_json::to_value(&table).unwrap(),
            serde_json::to_value(&given).unwrap()
        );
    }

    #[test]
    fn equality_ignores_interning_order() {
        let a = revision("a", "x-00001");
        let b = revision("b", "y-00001");
        let first: Revisions = [a.clone(), b.clone()].into_iter().collect();
        let mut second = Revisions::new();
        second.strings.intern("b");
        second.extend([a.clone(), b]);
        assert_eq!(first, second);
        assert_ne!(first, Revisions::from(vec![a]));
    }

    #[test]
    fn shared_strings_are_stored_once() {
        let table: Revisions = (0..1000)
            .map(|i| revision("default", &format!("hello-{i:05}")))
            .collect();
        // default, hello, reserve, True, revisions.yaml
        assert_eq!(table.strings.all.len(), 5);
        assert_eq!(table.names.len(), 1000 * "hello-00000".len());
        assert!(table.heap_bytes() < 1000 * 128, "{}", table.heap_bytes());
    }

    #[test]
    fn canonical_fields_are_recognised_without_building_them() {
        for (ns, name) in [("default", "hello-00001"), ("", "x"), ("a/b", "c")] {
            let built = canonical_field(ns, name);
            assert!(is_canonical_field(Some(&built), ns, name), "{built}");
        }
        assert!(!is_canonical_field(None, "default", "x"));
        assert!(!is_canonical_field(
            Some("Revision default/y"),
            "default",
            "x"
        ));
        assert!(!is_canonical_field(Some("Revision x"), "default", "x"));
        assert!(!is_canonical_field(
            Some("Revision defaultx"),
            "default",
            "x"
        ));
        assert!(!is_canonical_field(Some("Pod default/x"), "default", "x"));
    }

    #[test]
    fn rows_stay_small() {
        assert!(
            std::mem::size_of::<Row>() <= 80,
            "{}",
            std::mem::size_of::<Row>()
        );
    }
}
