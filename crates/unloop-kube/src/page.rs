//! One page of a list, read item by item.
//!
//! A page of 500 Pods is ~2 MB of JSON but ~15 MB as one `serde_json::Value`,
//! and a live read keeps several pages in flight. Here the page's own fields
//! are read first (a pass that skips the items without building them), then
//! each item is built and handed over on its own, so only one item's `Value`
//! is alive at a time. Two passes because the API server's field order
//! (`kind`, `apiVersion`, `metadata`, `items`) is a convention, not a
//! guarantee, and an item cannot be typed before the list's `kind` is known.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The list's own fields, read as loosely as the rest of the live path reads
/// JSON: a field of an unexpected type counts as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListHead {
    /// `PodList`, `EventList`, `PartialObjectMetadataList`, ...
    pub kind: Option<String>,
    pub api_version: Option<String>,
    /// `metadata.continue`: the token for the next page; empty or absent on
    /// the last one.
    pub continue_token: Option<String>,
}

/// What the head pass reads: every other field, `items` included, is
/// skipped without being built.
#[derive(Deserialize)]
struct RawHead {
    #[serde(default)]
    kind: Option<Value>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<Value>,
    /// A list's metadata is a few short fields: built whole.
    #[serde(default)]
    metadata: Option<Value>,
}

impl ListHead {
    /// The token for the next page, if there is one.
    pub fn next(&self) -> Option<&str> {
        self.continue_token.as_deref().filter(|t| !t.is_empty())
    }

    /// The kind of the items: `PodList` → `Pod`.
    pub fn item_kind(&self) -> Option<&str> {
        self.kind.as_deref().and_then(|k| k.strip_suffix("List"))
    }
}

fn string(v: Option<Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Reads a list page's own fields, skipping its items.
///
/// It checks the whole text's syntax, so a truncated or garbled page fails
/// here, before [`items`] hands any of it over. What only building a `Value`
/// finds (nesting deeper than serde_json's limit, a lone `\ud800` escape, a
/// number out of range) fails in [`items`] at that item.
pub fn head(text: &str) -> Result<ListHead, serde_json::Error> {
    let raw: RawHead = serde_json::from_str(text)?;
    Ok(ListHead {
        kind: string(raw.kind),
        api_version: string(raw.api_version),
        continue_token: raw
            .metadata
            .and_then(|mut m| string(m.get_mut("continue").map(Value::take))),
    })
}

/// Hands each element of the page's `items` to `each`, in order; a missing
/// or null `items` hands over nothing.
pub fn items(text: &str, each: &mut dyn FnMut(Value)) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(ListVisitor { each })?;
    de.end()
}

struct ListVisitor<'a> {
    each: &'a mut dyn FnMut(Value),
}

impl<'de> Visitor<'de> for ListVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes list object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen_items = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "items" && !seen_items {
                seen_items = true;
                map.next_value_seed(ItemsSeed { each: self.each })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct ItemsSeed<'a> {
    each: &'a mut dyn FnMut(Value),
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of items or null")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            (self.each)(item);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn all_items(text: &str) -> Result<Vec<Value>, serde_json::Error> {
        let mut out = Vec::new();
        items(text, &mut |v| out.push(v))?;
        Ok(out)
    }

    #[test]
    fn reads_the_head_and_every_item_in_order() {
        let page = json!({
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "42", "continue": "abc", "remainingItemCount": 7},
            "items": [
                {"metadata": {"name": "a"}},
                {"metadata": {"name": "b"}, "spec": {"nodeName": "n1"}}
            ]
        })
        .to_string();
        let h = head(&page).unwrap();
        assert_eq!(h.item_kind(), Some("Pod"));
        assert_eq!(h.api_version.as_deref(), Some("v1"));
        assert_eq!(h.next(), Some("abc"));
        let got = all_items(&page).unwrap();
        assert_eq!(
            got,
            vec![
                json!({"metadata": {"name": "a"}}),
                json!({"metadata": {"name": "b"}, "spec": {"nodeName": "n1"}})
            ]
        );
    }

    #[test]
    fn items_before_kind_still_read_and_typed_by_the_head() {
        // serde_json without preserve_order writes keys sorted: items first.
        let page = r#"{"apiVersion":"v1","items":[{"metadata":{"name":"x"}}],"kind":"EventList","metadata":{"continue":""}}"#;
        let h = head(page).unwrap();
        assert_eq!(h.item_kind(), Some("Event"));
        assert_eq!(h.next(), None, "an empty token is the last page");
        assert_eq!(all_items(page).unwrap().len(), 1);
    }

    #[test]
    fn odd_head_fields_count_as_absent() {
        let h = head(r#"{"kind":7,"apiVersion":null,"metadata":null,"items":[]}"#).unwrap();
        assert_eq!(h, ListHead::default());
        let h = head(r#"{"kind":"PodList","metadata":{"continue":false}}"#).unwrap();
        assert_eq!((h.item_kind(), h.next()), (Some("Pod"), None));
        let h = head(r#"{"kind":"PodList","metadata":"odd"}"#).unwrap();
        assert_eq!((h.item_kind(), h.next()), (Some("Pod"), None));
    }

    #[test]
    fn null_or_missing_items_hand_over_nothing() {
        assert!(
            all_items(r#"{"kind":"PodList","items":null}"#)
                .unwrap()
                .is_empty()
        );
        assert!(all_items(r#"{"kind":"PodList"}"#).unwrap().is_empty());
        assert_eq!(head(r#"{"kind":"PodList"}"#).unwrap().next(), None);
    }

    #[test]
    fn bad_json_is_an_error_not_a_partial_page() {
        let truncated = r#"{"kind":"PodList","items":[{"metadata":{"name":"a"}},{"meta"#;
        assert!(head(truncated).is_err());
        assert!(all_items(truncated).is_err());
        assert!(all_items(r#"{"kind":"PodList","items":{}}"#).is_err());
        assert!(all_items(r#"["not", "a", "list"]"#).is_err());
        assert!(all_items(r#"{"items":[]} trailing"#).is_err());
    }
}
