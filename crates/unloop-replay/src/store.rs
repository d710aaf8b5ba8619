//! The object store: one ordered table per resource, a global resourceVersion
//! counter, a bounded history of changes, and a change feed.
//!
//! Objects are ordered by namespace then name, as etcd orders the real
//! server's keys, so pages and continue tokens behave the same. The history
//! makes the past readable: a list at an older resourceVersion (a continue
//! token's) is the current table with the changes since then undone, and a
//! watch from an older resourceVersion replays them. Changes that fell out of
//! the history are "compacted": asking for a version before them gets 410 Gone,
//! as etcd compaction does. Every change is also broadcast, which is what
//! watches (and a future simulation loop) subscribe to.
//!
//! An owner index (owner UID → the objects whose `metadata.ownerReferences`
//! name it) is kept with the tables, so a deletion's cascade finds dependents
//! without reading every object, and a UID index (which UIDs some stored
//! object has) lets it tell an owner that is still there from one that is
//! gone; every change to a table goes through one function that keeps the
//! three together.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::{Arc, RwLock};

use serde_json::Value;
use tokio::sync::broadcast;

use crate::meta;
use crate::resources::StorageKey;

/// An object's key in its table: namespace (`""` when cluster-scoped) and name.
pub type ObjKey = (String, String);

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    /// The watch event type.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }
}

/// One change to one object.
#[derive(Debug, Clone)]
pub struct Change {
    /// The resourceVersion the change created.
    pub rv: u64,
    pub kind: ChangeType,
    pub storage: StorageKey,
    pub key: ObjKey,
    /// The object after the change (for a deletion, the deleted object
    /// stamped with the deletion's resourceVersion).
    pub object: Arc<Value>,
    /// The object before the change (none for an addition).
    pub previous: Option<Arc<Value>>,
}

/// A write the store refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    /// A resourceVersion or UID precondition did not hold.
    #[error("precondition failed: {0}")]
    Conflict(String),
}

/// Preconditions of a write (`metadata.resourceVersion`, `preconditions.uid`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    pub resource_version: Option<u64>,
    pub uid: Option<String>,
}

impl Preconditions {
    /// Whether they hold for `current`, as a write of it would check them:
    /// for a caller that must refuse before doing anything else (a
    /// deletion's cascade) rather than at the final write.
    pub fn check(&self, current: &Value) -> Result<(), StoreError> {
        check(current, self)
    }
}

/// Where an object is stored: its table and its key there. Ordered by table,
/// then key, which is the order [`View::dependents`] gives.
pub type ObjRef = (StorageKey, ObjKey);

#[derive(Default)]
struct Inner {
    rv: u64,
    /// Written only through [`Inner::put`], which keeps `owners` in step.
    tables: HashMap<StorageKey, BTreeMap<ObjKey, Arc<Value>>>,
    /// Owner UID → the stored objects naming it in `ownerReferences` (the
    /// current objects only: lists at older versions never ask for owners).
    /// No empty sets are kept.
    owners: HashMap<String, BTreeSet<ObjRef>>,
    /// `metadata.uid` → how many stored objects have it (more than one only
    /// in odd snapshots; an empty UID is not counted). No zero counts are kept.
    uids: HashMap<String, usize>,
    history: VecDeque<Arc<Change>>,
    /// Every change after this resourceVersion is in `history`.
    floor: u64,
}

impl Inner {
    /// Stores `obj` under `key` (removes what is there when `None`) and moves
    /// the owner and UID indexes from the replaced object to the new one.
    /// The only writer of `tables`, so the indexes cannot go stale.
    fn put(&mut self, storage: &StorageKey, key: ObjKey, obj: Option<Arc<Value>>) {
        let table = self.tables.entry(storage.clone()).or_default();
        let old = match &obj {
            Some(o) => table.insert(key.clone(), o.clone()),
            None => table.remove(&key),
        };
        let old_uid = old.as_deref().map_or("", meta::uid);
        let new_uid = obj.as_deref().map_or("", meta::uid);
        if old_uid != new_uid {
            if !old_uid.is_empty()
                && let Some(n) = self.uids.get_mut(old_uid)
            {
                *n -= 1;
                if *n == 0 {
                    self.uids.remove(old_uid);
                }
            }
            if !new_uid.is_empty() {
                *self.uids.entry(new_uid.to_owned()).or_default() += 1;
            }
        }
        let old_owners: BTreeSet<&str> = old.as_deref().map(owner_set).unwrap_or_default();
        let new_owners: BTreeSet<&str> = obj.as_deref().map(owner_set).unwrap_or_default();
        if old_owners == new_owners {
            // Most updates (status, labels) leave owners alone: no key clones.
            return;
        }
        for uid in old_owners.difference(&new_owners) {
            if let Some(deps) = self.owners.get_mut(*uid) {
                deps.remove(&(storage.clone(), key.clone()));
                if deps.is_empty() {
                    self.owners.remove(*uid);
                }
            }
        }
        for uid in new_owners.difference(&old_owners) {
            self.owners
                .entry((*uid).to_owned())
                .or_default()
                .insert((storage.clone(), key.clone()));
        }
    }
}

/// The distinct owner UIDs of an object (one may be named twice).
fn owner_set(v: &Value) -> BTreeSet<&str> {
    meta::owner_uids(v).collect()
}

/// The in-memory object store. Cheap to share behind an `Arc`.
pub struct Store {
    inner: RwLock<Inner>,
    tx: broadcast::Sender<Arc<Change>>,
    history_limit: usize,
}

/// How many changes are kept for lists at older versions and watches.
pub const DEFAULT_HISTORY: usize = 10_000;

impl Default for Store {
    fn default() -> Self {
        Store::new(DEFAULT_HISTORY)
    }
}

impl Store {
    /// An empty store keeping the last `history_limit` changes.
    pub fn new(history_limit: usize) -> Self {
        let (tx, _) = broadcast::channel(16_384);
        Store {
            inner: RwLock::new(Inner::default()),
            tx,
            history_limit: history_limit.max(1),
        }
    }

    fn read_inner(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_inner(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.read_inner().rv
    }

    /// The oldest resourceVersion that lists and watches can still start from.
    pub fn floor(&self) -> u64 {
        self.read_inner().floor
    }

    /// Adds a snapshot object without recording a change (loading happens
    /// before anyone watches). A second object with the same key replaces the first.
    pub fn load(&self, storage: &StorageKey, mut obj: Value) {
        let mut inner = self.write_inner();
        inner.rv += 1;
        let rv = inner.rv;
        meta::set_meta(&mut obj, "resourceVersion", Value::String(rv.to_string()));
        let key = (
            meta::namespace(&obj).to_owned(),
            meta::name(&obj).to_owned(),
        );
        inner.put(storage, key, Some(Arc::new(obj)));
        inner.floor = rv;
    }

    /// The object at `key`, if any.
    pub fn get(&self, storage: &StorageKey, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.read_inner()
            .tables
            .get(storage)
            .and_then(|t| t.get(&(ns.to_owned(), name.to_owned())))
            .cloned()
    }

    /// Stores a new object (its namespace and name say where).
    pub fn create(&self, storage: &StorageKey, obj: Value) -> Result<Arc<Value>, StoreError> {
        let key = (
            meta::namespace(&obj).to_owned(),
            meta::name(&obj).to_owned(),
        );
        let mut inner = self.write_inner();
        if inner
            .tables
            .get(storage)
            .is_some_and(|t| t.contains_key(&key))
        {
            return Err(StoreError::AlreadyExists);
        }
        Ok(self.commit(&mut inner, storage, key, Some(obj), None, ChangeType::Added))
    }

    /// Replaces an existing object, if the preconditions hold.
    pub fn update(
        &self,
        storage: &StorageKey,
        obj: Value,
        pre: &Preconditions,
    ) -> Result<Arc<Value>, StoreError> {
        let key = (
            meta::namespace(&obj).to_owned(),
            meta::name(&obj).to_owned(),
        );
        let mut inner = self.write_inner();
        let current = current_checked(&inner, storage, &key, pre)?;
        Ok(self.commit(
            &mut inner,
            storage,
            key,
            Some(obj),
            Some(current),
            ChangeType::Modified,
        ))
    }

    /// Removes an object, if the preconditions hold; returns it as deleted.
    pub fn delete(
        &self,
        storage: &StorageKey,
        ns: &str,
        name: &str,
        pre: &Preconditions,
    ) -> Result<Arc<Value>, StoreError> {
        let key = (ns.to_owned(), name.to_owned());
        let mut inner = self.write_inner();
        let current = current_checked(&inner, storage, &key, pre)?;
        Ok(self.commit(
            &mut inner,
            storage,
            key,
            None,
            Some(current),
            ChangeType::Deleted,
        ))
    }

    fn commit(
        &self,
        inner: &mut Inner,
        storage: &StorageKey,
        key: ObjKey,
        obj: Option<Value>,
        previous: Option<Arc<Value>>,
        kind: ChangeType,
    ) -> Arc<Value> {
        inner.rv += 1;
        let rv = inner.rv;
        let rv_value = Value::String(rv.to_string());
        let object = match obj {
            Some(mut o) => {
                meta::set_meta(&mut o, "resourceVersion", rv_value);
                let o = Arc::new(o);
                inner.put(storage, key.clone(), Some(o.clone()));
                o
            }
            None => {
                inner.put(storage, key.clone(), None);
                let mut gone = previous.as_deref().cloned().unwrap_or(Value::Null);
                meta::set_meta(&mut gone, "resourceVersion", rv_value);
                Arc::new(gone)
            }
        };
        let change = Arc::new(Change {
            rv,
            kind,
            storage: storage.clone(),
            key,
            object: object.clone(),
            previous,
        });
        inner.history.push_back(change.clone());
        while inner.history.len() > self.history_limit {
            if let Some(old) = inner.history.pop_front() {
                inner.floor = old.rv;
            }
        }
        // Sent under the lock, so receivers see changes in resourceVersion order.
        let _ = self.tx.send(change);
        object
    }

    /// Runs `f` on a consistent view of the store.
    pub fn read<R>(&self, f: impl FnOnce(&View<'_>) -> R) -> R {
        let inner = self.read_inner();
        f(&View { inner: &inner })
    }

    /// Runs `f` on a consistent view and subscribes to every later change:
    /// nothing is missed or seen twice between the two.
    pub fn read_and_subscribe<R>(
        &self,
        f: impl FnOnce(&View<'_>) -> R,
    ) -> (R, broadcast::Receiver<Arc<Change>>) {
        let inner = self.read_inner();
        let rx = self.tx.subscribe();
        (f(&View { inner: &inner }), rx)
    }

    /// Subscribes to every later change.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }
}

/// The stored object under `key`, once its preconditions hold: what an update
/// or a delete acts on.
fn current_checked(
    inner: &Inner,
    storage: &StorageKey,
    key: &ObjKey,
    pre: &Preconditions,
) -> Result<Arc<Value>, StoreError> {
    let current = inner
        .tables
        .get(storage)
        .and_then(|t| t.get(key))
        .cloned()
        .ok_or(StoreError::NotFound)?;
    check(&current, pre)?;
    Ok(current)
}

fn check(current: &Value, pre: &Preconditions) -> Result<(), StoreError> {
    if let Some(rv) = pre.resource_version
        && meta::resource_version(current) != Some(rv)
    {
        return Err(StoreError::Conflict(
                "the object has been modified; please apply your changes to the latest version and try again".into(),
            ));
    }
    if let Some(uid) = &pre.uid
        && meta::uid(current) != uid
    {
        return Err(StoreError::Conflict(format!(
            "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
            meta::uid(current)
        )));
    }
    Ok(())
}

/// A consistent, read-only view of the store.
pub struct View<'a> {
    inner: &'a Inner,
}

impl View<'_> {
    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.inner.rv
    }

    /// The oldest resourceVersion that can still be read.
    pub fn floor(&self) -> u64 {
        self.inner.floor
    }

    /// Visits, in key order, the objects of one table as they were at
    /// resourceVersion `at` (now, if `None`), in namespace `ns` (all if
    /// `None`), after key `after`. `visit` returns false to stop.
    ///
    /// `at` must not be older than [`View::floor`]: the caller checks.
    pub fn scan(
        &self,
        storage: &StorageKey,
        ns: Option<&str>,
        at: Option<u64>,
        after: Option<&ObjKey>,
        mut visit: impl FnMut(&ObjKey, &Arc<Value>) -> bool,
    ) {
        let empty = BTreeMap::new();
        let table = self.inner.tables.get(storage).unwrap_or(&empty);
        // The state at `at` of every key changed since: the earliest later
        // change's previous object (none if it was added since).
        let mut overlay: BTreeMap<&ObjKey, Option<&Arc<Value>>> = BTreeMap::new();
        if let Some(at) = at.filter(|&at| at < self.inner.rv) {
            for c in self.inner.history.iter().rev() {
                if c.rv <= at {
                    break;
                }
                if &c.storage == storage {
                    overlay.insert(&c.key, c.previous.as_ref());
                }
            }
        }
        let ns_start;
        let start: Bound<&ObjKey> = match (ns, after) {
            (Some(n), Some(a)) if a.0.as_str() < n => {
                ns_start = (n.to_owned(), String::new());
                Bound::Included(&ns_start)
            }
            (_, Some(a)) => Bound::Excluded(a),
            (Some(n), None) => {
                ns_start = (n.to_owned(), String::new());
                Bound::Included(&ns_start)
            }
            (None, None) => Bound::Unbounded,
        };
        let mut cur = table
            .range::<ObjKey, _>((start, Bound::Unbounded))
            .peekable();
        let mut old = overlay
            .range::<&ObjKey, _>((start.map(|k| k), Bound::Unbounded))
            .peekable();
        loop {
            let next_cur = cur.peek().map(|(k, _)| *k);
            let next_old = old.peek().map(|(k, _)| **k);
            let (key, value) = match (next_cur, next_old) {
                (None, None) => break,
                (Some(c), Some(o)) if o <= c => {
                    if o == c {
                        cur.next();
                    }
                    let (k, v) = old.next().expect("peeked");
                    (*k, *v)
                }
                (Some(_), _) => {
                    let (k, v) = cur.next().expect("peeked");
                    (k, Some(v))
                }
                (None, Some(_)) => {
                    let (k, v) = old.next().expect("peeked");
                    (*k, *v)
                }
            };
            if ns.is_some_and(|n| key.0 != n) {
                break;
            }
            if let Some(v) = value
                && !visit(key, v)
            {
                break;
            }
        }
    }

    /// The changes after resourceVersion `after`, oldest first; `None` when
    /// some of them were compacted.
    pub fn changes_since(&self, after: u64) -> Option<Vec<Arc<Change>>> {
        if after < self.inner.floor {
            return None;
        }
        let newer = self
            .inner
            .history
            .iter()
            .rev()
            .take_while(|c| c.rv > after)
            .count();
        let skip = self.inner.history.len() - newer;
        Some(self.inner.history.iter().skip(skip).cloned().collect())
    }

    /// How many objects one table holds now.
    pub fn len(&self, storage: &StorageKey) -> usize {
        self.inner.tables.get(storage).map_or(0, BTreeMap::len)
    }

    /// Every table's storage key.
    pub fn storages(&self) -> impl Iterator<Item = &StorageKey> {
        self.inner.tables.keys()
    }

    /// One object.
    pub fn get(&self, storage: &StorageKey, ns: &str, name: &str) -> Option<&Arc<Value>> {
        self.inner
            .tables
            .get(storage)
            .and_then(|t| t.get(&(ns.to_owned(), name.to_owned())))
    }

    /// Every object of one table now, in key order.
    pub fn table(&self, storage: &StorageKey) -> impl Iterator<Item = (&ObjKey, &Arc<Value>)> {
        self.inner.tables.get(storage).into_iter().flatten()
    }

    /// Where the objects naming `uid` in their `metadata.ownerReferences` are
    /// stored now, ordered by table then key (each once, however many of its
    /// references name `uid`). From the owner index: no table is read.
    pub fn dependents(&self, uid: &str) -> impl Iterator<Item = &ObjRef> {
        self.inner.owners.get(uid).into_iter().flatten()
    }

    /// Whether some stored object has `metadata.uid` `uid` now: whether an
    /// owner reference naming it points at something. From the UID index.
    pub fn holds_uid(&self, uid: &str) -> bool {
        self.inner.uids.contains_key(uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn pod(ns: &str, name: &str, v: i64) -> Value {
        json!({"metadata": {"namespace": ns, "name": name}, "v": v})
    }

    fn names(
        store: &Store,
        at: Option<u64>,
        ns: Option<&str>,
        after: Option<&ObjKey>,
    ) -> Vec<String> {
        let sk = StorageKey::new("", "pods");
        let mut out = Vec::new();
        store.read(|v| {
            v.scan(&sk, ns, at, after, |k, o| {
                out.push(format!("{}/{}={}", k.0, k.1, o["v"]));
                true
            })
        });
        out
    }

    #[test]
    fn lists_at_an_older_version_undo_later_changes() {
        let s = Store::default();
        let sk = StorageKey::new("", "pods");
        s.load(&sk, pod("a", "p1", 1));
        s.load(&sk, pod("b", "p2", 1));
        let rv = s.resource_version();
        s.create(&sk, pod("a", "p0", 1)).unwrap();
        s.update(&sk, pod("b", "p2", 2), &Preconditions::default())
            .unwrap();
        s.delete(&sk, "a", "p1", &Preconditions::default()).unwrap();
        assert_eq!(names(&s, None, None, None), ["a/p0=1", "b/p2=2"]);
        assert_eq!(names(&s, Some(rv), None, None), ["a/p1=1", "b/p2=1"]);
        assert_eq!(names(&s, Some(rv), Some("b"), None), ["b/p2=1"]);
        let after = ("a".to_owned(), "p1".to_owned());
        assert_eq!(names(&s, Some(rv), None, Some(&after)), ["b/p2=1"]);
        assert_eq!(names(&s, None, Some("a"), None), ["a/p0=1"]);
    }

    #[test]
    fn preconditions_and_compaction() {
        let s = Store::new(2);
        let sk = StorageKey::new("", "pods");
        let p = s.create(&sk, pod("a", "p", 1)).unwrap();
        let rv = meta::resource_version(&p).unwrap();
        let stale = Preconditions {
            resource_version: Some(rv + 100),
            uid: None,
        };
        assert!(matches!(
            s.update(&sk, pod("a", "p", 2), &stale),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            s.create(&sk, pod("a", "p", 3)),
            Err(StoreError::AlreadyExists)
        );
        s.update(&sk, pod("a", "p", 2), &Preconditions::default())
            .unwrap();
        s.update(&sk, pod("a", "p", 3), &Preconditions::default())
            .unwrap();
        s.read(|v| {
            assert!(v.changes_since(rv).is_some_and(|c| c.len() == 2));
            assert!(v.changes_since(rv - 1).is_none());
        });
    }

    /// What the owner index should hold: every stored object read.
    fn scanned_owners(inner: &Inner) -> HashMap<String, BTreeSet<ObjRef>> {
        let mut out: HashMap<String, BTreeSet<ObjRef>> = HashMap::new();
        for (storage, table) in &inner.tables {
            for (key, o) in table {
                for uid in meta::owner_uids(o) {
                    out.entry(uid.to_owned())
                        .or_default()
                        .insert((storage.clone(), key.clone()));
                }
            }
        }
        out
    }

    /// What the UID index should hold: every stored object read.
    fn scanned_uids(inner: &Inner) -> HashMap<String, usize> {
        let mut out: HashMap<String, usize> = HashMap::new();
        for o in inner.tables.values().flat_map(BTreeMap::values) {
            let uid = meta::uid(o);
            if !uid.is_empty() {
                *out.entry(uid.to_owned()).or_default() += 1;
            }
        }
        out
    }

    /// How an object names its owners, from generated numbers.
    #[derive(Debug, Clone)]
    enum Owners {
        /// No `ownerReferences`.
        Absent,
        /// References to these owner UIDs (repeats allowed); `None` is a
        /// reference without a UID.
        Refs(Vec<Option<u8>>),
        /// `ownerReferences` that is not a list.
        Malformed,
    }

    /// Table, key, UID (`owner-<n>`, so objects own each other; none when
    /// `None`) and owners of an object to write.
    type Write = (u8, u8, Option<u8>, Owners);

    #[derive(Debug, Clone)]
    enum Op {
        Load(Write),
        Create(Write),
        Update(Write),
        Delete(u8, u8),
    }

    fn owners() -> impl Strategy<Value = Owners> {
        prop_oneof![
            Just(Owners::Absent),
            prop::collection::vec(prop::option::weighted(0.9, 0u8..4), 0..4).prop_map(Owners::Refs),
            Just(Owners::Malformed),
        ]
    }

    fn write() -> impl Strategy<Value = Write> {
        (
            0u8..2,
            0u8..6,
            prop::option::weighted(0.8, 0u8..4),
            owners(),
        )
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            write().prop_map(Op::Load),
            write().prop_map(Op::Create),
            write().prop_map(Op::Update),
            (0u8..2, 0u8..6).prop_map(|(s, k)| Op::Delete(s, k)),
        ]
    }

    fn storage(s: u8) -> StorageKey {
        if s == 0 {
            StorageKey::new("", "pods")
        } else {
            StorageKey::new("apps", "replicasets")
        }
    }

    /// Object `k` (in one of two namespaces) with the given owners.
    fn owned(k: u8, owners: &Owners) -> Value {
        let mut o =
            json!({"metadata": {"namespace": format!("ns-{}", k % 2), "name": format!("o-{k}")}});
        owned_by(&mut o, owners);
        o
    }

    /// A generated write's object.
    fn written((_, k, uid, owners): &Write) -> Value {
        let mut o = owned(*k, owners);
        if let Some(u) = uid {
            meta::set_meta(&mut o, "uid", json!(format!("owner-{u}")));
        }
        o
    }

    fn owned_by(o: &mut Value, owners: &Owners) {
        let refs = match owners {
            Owners::Absent => return,
            Owners::Malformed => json!("not a list"),
            Owners::Refs(uids) => uids
                .iter()
                .map(|u| match u {
                    Some(u) => json!({"kind": "Owner", "name": "o", "uid": format!("owner-{u}")}),
                    None => json!({"kind": "Owner", "name": "o"}),
                })
                .collect(),
        };
        meta::set_meta(o, "ownerReferences", refs);
    }

    fn key(k: u8) -> (String, String) {
        (format!("ns-{}", k % 2), format!("o-{k}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// After any loads, creates, updates (changing owners and UIDs) and
        /// deletes, the owner and UID indexes hold exactly what reading every
        /// object finds, and `View::dependents` answers in table-then-key order.
        #[test]
        fn owner_index_equals_a_full_scan(ops in prop::collection::vec(op(), 0..60)) {
            let s = Store::default();
            let none = Preconditions::default();
            for op in &ops {
                // Refused writes (exists, not found) must leave the index alone too.
                match op {
                    Op::Load(w) => s.load(&storage(w.0), written(w)),
                    Op::Create(w) => { let _ = s.create(&storage(w.0), written(w)); }
                    Op::Update(w) => { let _ = s.update(&storage(w.0), written(w), &none); }
                    Op::Delete(st, k) => {
                        let (ns, name) = key(*k);
                        let _ = s.delete(&storage(*st), &ns, &name, &none);
                    }
                }
                let inner = s.read_inner();
                prop_assert_eq!(&inner.owners, &scanned_owners(&inner));
                prop_assert_eq!(&inner.uids, &scanned_uids(&inner));
            }
            s.read(|v| {
                for u in 0..4 {
                    let uid = format!("owner-{u}");
                    prop_assert_eq!(v.holds_uid(&uid), v.storages().any(|st| v.table(st).any(|(_, o)| meta::uid(o) == uid)));
                    let mut scanned = Vec::new();
                    let mut storages: Vec<&StorageKey> = v.storages().collect();
                    storages.sort();
                    for st in storages {
                        for (k, o) in v.table(st) {
                            if meta::owner_uids(o).any(|x| x == uid) {
                                scanned.push((st.clone(), k.clone()));
                            }
                        }
                    }
                    let indexed: Vec<ObjRef> = v.dependents(&uid).cloned().collect();
                    prop_assert_eq!(indexed, scanned);
                }
                Ok(())
            })?;
        }
    }

    #[test]
    fn owner_index_follows_replacing_loads_and_refused_writes() {
        let s = Store::default();
        let pods = storage(0);
        let refs = |u: u8| Owners::Refs(vec![Some(u)]);
        s.load(&pods, owned(1, &refs(0)));
        // A second load of the same key replaces the first, owners included.
        s.load(&pods, owned(1, &refs(1)));
        let deps = |uid: &str| s.read(|v| v.dependents(uid).cloned().collect::<Vec<_>>());
        assert!(deps("owner-0").is_empty());
        assert_eq!(deps("owner-1"), [(pods.clone(), key(1))]);
        // A refused update changes nothing.
        let stale = Preconditions {
            resource_version: Some(1),
            uid: None,
        };
        assert!(s.update(&pods, owned(1, &refs(2)), &stale).is_err());
        assert_eq!(deps("owner-1"), [(pods.clone(), key(1))]);
        assert!(deps("owner-2").is_empty());
        s.delete(&pods, "ns-1", "o-1", &Preconditions::default())
            .unwrap();
        assert!(deps("owner-1").is_empty());
        assert!(s.read_inner().owners.is_empty());
    }
}
