//! Reading JSON streams and YAML documents: lists, lines, errors, streaming.

use std::io::{self, BufReader, Read};

use super::{read_json_stream, read_json_stream_at, read_yaml};
use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::error::InputError;
use crate::evidence::model::*;
use crate::evidence::source::Source;

fn json(text: &str) -> (Evidence, Result<(), InputError>) {
    let mut b = EvidenceBuilder::new();
    let r = read_json_stream(text.as_bytes(), &Source::new("in.json"), &mut b);
    (b.finish(), r)
}

fn yaml(text: &str, offset: u32) -> (Evidence, Result<(), InputError>) {
    let mut b = EvidenceBuilder::new();
    let r = read_yaml(text, &Source::new("in.yaml"), offset, &mut b);
    (b.finish(), r)
}

/// 1-based numbers of the lines equal to `line`.
fn lines_equal(text: &str, line: &str) -> Vec<u32> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| *l == line)
        .map(|(i, _)| i as u32 + 1)
        .collect()
}

fn pod_line(ev: &Evidence, name: &str) -> Option<u32> {
    ev.pods.iter().find(|p| p.meta.name == name)?.sources[0].line
}

/// `kubectl cluster-info dump`'s pods.json: `json.MarshalIndent` with four
/// spaces, kind first, items without kind or apiVersion.
const DUMP_PODS: &str = r#"{
    "kind": "PodList",
    "apiVersion": "v1",
    "metadata": {
        "resourceVersion": "987654"
    },
    "items": [
        {
            "metadata": {
                "name": "activator-7c8d9f5b4-abcde",
                "generateName": "activator-7c8d9f5b4-",
                "namespace": "knative-serving",
                "uid": "11111111-2222-3333-4444-555555555555",
                "resourceVersion": "1001",
                "creationTimestamp": "2024-03-27T18:00:00Z",
                "labels": {
                    "app": "activator"
                },
                "managedFields": [
                    {
                        "manager": "kube-controller-manager",
                        "operation": "Update",
                        "apiVersion": "v1",
                        "time": "2024-03-27T18:00:00Z",
                        "fieldsType": "FieldsV1",
                        "fieldsV1": {
                            "f:metadata": {
                                "f:generateName": {}
                            }
                        }
                    }
                ]
            },
            "spec": {
                "containers": [
                    {
                        "name": "activator",
                        "image": "gcr.io/knative-releases/knative.dev/serving/cmd/activator@sha256:1",
                        "resources": {
                            "limits": {
                                "cpu": "1",
                                "memory": "600Mi"
                            }
                        }
                    }
                ],
                "restartPolicy": "Always",
                "nodeName": "worker-1"
            },
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "activator",
                        "state": {
                            "running": {
                                "startedAt": "2024-03-27T18:00:05Z"
                            }
                        },
                        "lastState": {},
                        "ready": true,
                        "restartCount": 0,
                        "image": "sha256:1",
                        "imageID": "x",
                        "started": true
                    }
                ]
            }
        },
        {
            "metadata": {
                "name": "controller-6d7f8c9b5-fghij",
                "namespace": "knative-serving",
                "creationTimestamp": "2024-03-27T18:00:00Z"
            },
            "spec": {
                "containers": [
                    {
                        "name": "controller",
                        "image": "ctrl"
                    }
                ]
            },
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "controller",
                        "state": {
                            "waiting": {
                                "reason": "CrashLoopBackOff",
                                "message": "back-off 5m0s restarting failed container=controller pod=controller-6d7f8c9b5-fghij_knative-serving(22)"
                            }
                        },
                        "lastState": {
                            "terminated": {
                                "exitCode": 137,
                                "reason": "OOMKilled",
                                "startedAt": "2024-03-27T18:29:00Z",
                                "finishedAt": "2024-03-27T18:29:40Z"
                            }
                        },
                        "ready": false,
                        "restartCount": 12,
                        "image": "ctrl",
                        "imageID": "",
                        "started": false
                    }
                ]
            }
        }
    ]
}
"#;

#[test]
fn typed_list_items_without_kind_become_pods_with_their_lines() {
    let (ev, r) = json(DUMP_PODS);
    r.unwrap();
    assert_eq!(ev.pods.len(), 2);
    assert_eq!(ev.count_of("Pod"), 2);
    let starts = lines_equal(DUMP_PODS, "        {");
    assert_eq!(starts.len(), 2);
    assert_eq!(pod_line(&ev, "activator-7c8d9f5b4-abcde"), Some(starts[0]));
    assert_eq!(pod_line(&ev, "controller-6d7f8c9b5-fghij"), Some(starts[1]));
    let p = ev
        .pod(Some("knative-serving"), "controller-6d7f8c9b5-fghij")
        .unwrap();
    assert_eq!(
        p.sources[0].to_string(),
        format!(
            "in.json:{} (Pod knative-serving/controller-6d7f8c9b5-fghij)",
            starts[1]
        )
    );
    let c = &p.containers[0];
    assert_eq!(c.restart_count, Some(12));
    assert_eq!(c.last_state.as_ref().unwrap().reason(), Some("OOMKilled"));
    assert_eq!(c.last_state.as_ref().unwrap().exit_code(), Some(137));
    assert_eq!(
        ev.pods[0].containers[0].resources.limits.memory_bytes,
        Some(600 << 20)
    );
}

/// `kubectl get pods,events -o json`: keys sorted, so `kind` follows `items`;
/// the items of a `List` carry their own kinds.
const GET_LIST: &str = r#"{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web-0",
                "namespace": "shop"
            },
            "spec": {
                "containers": [
                    {
                        "name": "web"
                    }
                ]
            }
        },
        {
            "apiVersion": "v1",
            "count": 3,
            "involvedObject": {
                "kind": "Pod",
                "name": "web-0",
                "namespace": "shop"
            },
            "kind": "Event",
            "lastTimestamp": "2024-03-27T18:30:00Z",
            "message": "Liveness probe failed: HTTP probe failed with statuscode: 503",
            "metadata": {
                "name": "web-0.17c1",
                "namespace": "shop"
            },
            "reason": "Unhealthy",
            "type": "Warning"
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}"#;

#[test]
fn list_with_kind_after_items_reads_each_item_kind() {
    let (ev, r) = json(GET_LIST);
    r.unwrap();
    assert_eq!(ev.pods.len(), 1);
    assert_eq!(ev.events.len(), 1);
    assert_eq!(ev.events[0].count, 3);
    assert_eq!(ev.events[0].source.line, Some(19));
    assert_eq!(ev.pods[0].sources[0].line, Some(4));
    assert_eq!(ev.count_of("List"), 0);
}

#[test]
fn typed_list_with_kind_after_items_waits_for_the_kind() {
    // jq or a client that sorts keys: items lack kind, the list kind comes last.
    let text = r#"{"apiVersion": "apps/v1", "items": [
  {"metadata": {"name": "a", "namespace": "ns"}, "spec": {"replicas": 2}},
  {"metadata": {"name": "b", "namespace": "ns"}, "spec": {"replicas": 3}}
], "kind": "DeploymentList", "metadata": {}}"#;
    let (ev, r) = json(text);
    r.unwrap();
    assert_eq!(ev.workloads.len(), 2);
    assert!(
        ev.workloads
            .iter()
            .all(|w| w.kind == WorkloadKind::Deployment)
    );
    assert_eq!(ev.workloads[1].replicas, Some(3));
    assert_eq!(ev.workloads[1].sources[0].line, Some(3));
    assert_eq!(ev.count_of("Deployment"), 2);
}

#[test]
fn concatenated_documents_are_all_read() {
    let text = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\"}}\n\
                {\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"l\",\"namespace\":\"ns\"},\"spec\":{\"holderIdentity\":\"a_1\"}}{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\"}}\n\n\
                [{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"}}]\n";
    let (ev, r) = json(text);
    r.unwrap();
    assert_eq!(ev.pods.len(), 2);
    assert_eq!(ev.leases.len(), 1);
    assert_eq!(ev.nodes.len(), 1);
    assert_eq!(pod_line(&ev, "a"), Some(1));
    assert_eq!(pod_line(&ev, "b"), Some(2));
    assert_eq!(ev.nodes[0].sources[0].line, Some(4));
}

#[test]
fn truncated_json_keeps_what_came_before_and_names_the_place() {
    // Cut inside the second item's status.
    let cut = DUMP_PODS.find("\"reason\": \"OOMKilled\"").unwrap();
    let text = &DUMP_PODS[..cut + 14];
    let (ev, r) = json(text);
    let Err(InputError::Json {
        origin,
        line,
        column,
        message,
    }) = r
    else {
        panic!("expected a JSON error, got {r:?}");
    };
    assert_eq!(origin, "in.json");
    assert_eq!(line as usize, text.lines().count());
    assert!(column > 0);
    assert!(message.contains("EOF"), "{message}");
    assert_eq!(ev.pods.len(), 1, "the complete first item is kept");
    assert_eq!(ev.pods[0].meta.name, "activator-7c8d9f5b4-abcde");
}

#[test]
fn garbage_after_a_document_is_an_error_at_its_line() {
    let text = "{\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"p\"}}\n\ngarbage here\n";
    let (ev, r) = json(text);
    match r {
        Err(InputError::Json { line, column, .. }) => assert_eq!((line, column), (3, 1)),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(ev.pods.len(), 1);
}

#[test]
fn json_inside_a_larger_input_cites_lines_of_the_whole_input() {
    let mut b = EvidenceBuilder::new();
    let r = read_json_stream_at(GET_LIST.as_bytes(), &Source::new("paste.txt"), 101, &mut b);
    r.unwrap();
    let ev = b.finish();
    assert_eq!(ev.pods[0].sources[0].line, Some(104));

    let mut b = EvidenceBuilder::new();
    let r = read_json_stream_at(&b"\n\n{\"a\": tru"[..], &Source::new("p"), 10, &mut b);
    assert!(matches!(r, Err(InputError::Json { line: 12, .. })), "{r:?}");
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let text = "\u{feff}{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n\"}}";
    let (ev, r) = json(text);
    r.unwrap();
    assert_eq!(ev.nodes.len(), 1);
}

/// `kubectl get -o yaml` documents (two-space indent), a broken one in the middle.
const MULTI_YAML: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: first
  namespace: shop
spec:
  containers:
  - name: web
    image: nginx:1.25
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
data:
  key: \"unterminated
  other: value
---
# a comment-only document is skipped
---
apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: second
    namespace: shop
  spec:
    containers:
    - name: web
- apiVersion: coordination.k8s.io/v1
  kind: Lease
  metadata:
    name: shop-controller
    namespace: shop
  spec:
    holderIdentity: shop-controller-0_7d2c
    leaseDurationSeconds: 15
    renewTime: \"2024-03-27T18:30:51.102345Z\"
kind: List
metadata:
  resourceVersion: \"\"
...
apiVersion: v1
kind: Secret
metadata:
  name: api-token
  namespace: shop
data:
  token: c2VjcmV0LXl6MXg=
stringData:
  raw: plain-yz1x
";

#[test]
fn multi_document_yaml_survives_a_broken_document() {
    let (ev, r) = yaml(MULTI_YAML, 100);
    let Err(InputError::Yaml { origin, line, .. }) = &r else {
        panic!("expected a YAML error, got {r:?}");
    };
    assert_eq!(origin, "in.yaml");
    // The bad document spans lines 10..=17 of the text, so 110..=117 of the input.
    assert!((110..=117).contains(line), "line {line}");
    assert_eq!(ev.pods.len(), 2, "documents after the broken one are read");
    assert_eq!(pod_line(&ev, "first"), Some(101));
    // List items cite their own `- ` lines.
    assert_eq!(pod_line(&ev, "second"), Some(100 + 23));
    assert_eq!(ev.leases[0].source.line, Some(100 + 31));
    assert_eq!(
        ev.leases[0].renew_time,
        Some("2024-03-27T18:30:51.102345Z".parse().unwrap())
    );
    assert!(ev.config_maps.is_empty());
    assert_eq!(ev.count_of("Secret"), 1);
    let all = serde_json::to_string(&ev).unwrap();
    assert!(!all.contains("yz1x") && !all.contains("c2VjcmV0LXl6MXg="));
}

#[test]
fn every_broken_yaml_document_is_reported() {
    let text = "a: [1\n---\nkind: Pod\napiVersion: v1\nmetadata: {name: ok}\n---\nb: {\n";
    let (ev, r) = yaml(text, 0);
    assert!(
        matches!(r, Err(InputError::Yaml { line: 1 | 2, .. })),
        "{r:?}"
    );
    assert_eq!(ev.pods.len(), 1);
    let later: Vec<_> = ev
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .collect();
    assert_eq!(later.len(), 1, "{:?}", ev.diagnostics);
    assert!(later[0].source.line.unwrap() >= 6);
}

#[test]
fn yaml_error_messages_carry_no_relative_location() {
    let (_, r) = yaml("---\nkind: Pod\nmetadata:\n  name: [\n", 0);
    let Err(InputError::Yaml { message, line, .. }) = r else {
        panic!()
    };
    assert!(!message.contains("line"), "{message}");
    assert!(!message.is_empty());
    assert!((4..=5).contains(&line), "{line}");
}

#[test]
fn a_large_yaml_list_exceeds_the_default_budget_and_still_reads() {
    // 3000 pods × ~100 nodes is beyond serde-saphyr's default 250 000 nodes.
    let mut text = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..3000 {
        text.push_str(&format!(
            "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{i}\n    namespace: ns\n    labels:\n"
        ));
        for l in 0..40 {
            text.push_str(&format!("      l{l}: v{l}\n"));
        }
        text.push_str("  spec:\n    containers:\n    - name: c\n      args:\n");
        for a in 0..40 {
            text.push_str(&format!("      - --flag{a}\n"));
        }
    }
    let (ev, r) = yaml(&text, 0);
    r.unwrap();
    assert_eq!(ev.pods.len(), 3000);
    assert_eq!(ev.pods[2999].sources[0].line, Some(4 + 2999 * 90));
}

// ---- streaming -------------------------------------------------------------

/// Generates a `PodList` as `cluster-info dump` writes it, item by item,
/// without ever holding it: reading it proves the reader streams.
struct PodListGen {
    items: usize,
    next: usize,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
    pad: String,
}

const GEN_HEADER: &str = "{\n    \"kind\": \"PodList\",\n    \"apiVersion\": \"v1\",\n    \"metadata\": {\n        \"resourceVersion\": \"1\"\n    },\n    \"items\": [\n";

impl PodListGen {
    fn new(items: usize, pad_entries: usize) -> Self {
        // managedFields are the bulk of real pods in big clusters, and the
        // reader skips them without building them.
        let entry = "                    {\n                        \"manager\": \"kubelet\",\n                        \"operation\": \"Update\",\n                        \"apiVersion\": \"v1\",\n                        \"time\": \"2024-03-27T18:00:00Z\",\n                        \"fieldsType\": \"FieldsV1\",\n                        \"fieldsV1\": {\"f:status\": {\"f:conditions\": {\"k:{\\\"type\\\":\\\"Ready\\\"}\": {\".\": {}, \"f:lastProbeTime\": {}, \"f:status\": {}}}}}\n                    }";
        let pad = vec![entry; pad_entries].join(",\n");
        PodListGen {
            items,
            next: 0,
            chunk: GEN_HEADER.as_bytes().to_vec(),
            pos: 0,
            done: false,
            pad,
        }
    }

    fn item(&self, i: usize) -> String {
        format!(
            "        {{\n            \"metadata\": {{\n                \"name\": \"pod-{}\",\n                \"namespace\": \"ns-{}\",\n                \"managedFields\": [\n{}\n                ]\n            }},\n            \"spec\": {{\n                \"containers\": [\n                    {{\n                        \"name\": \"c\",\n                        \"image\": \"img:{i}\"\n                    }}\n                ]\n            }},\n            \"status\": {{\n                \"phase\": \"Running\"\n            }}\n        }}",
            i % 500,
            i % 7,
            self.pad
        )
    }

    fn lines_per_item(&self) -> u32 {
        self.item(0).lines().count() as u32
    }
}

impl Read for PodListGen {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.chunk.len() {
            if self.done {
                return Ok(0);
            }
            self.pos = 0;
            self.chunk.clear();
            if self.next < self.items {
                let mut s = self.item(self.next);
                self.next += 1;
                s.push_str(if self.next < self.items { ",\n" } else { "\n" });
                self.chunk = s.into_bytes();
            } else {
                self.chunk = b"    ]\n}\n".to_vec();
                self.done = true;
            }
        }
        let n = out.len().min(self.chunk.len() - self.pos);
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn a_generated_pod_list_streams_item_by_item() {
    // The reader pulls from a generator, never from a buffer holding the whole
    // list; peak memory on a 1 GiB dump is measured by bench/evidence.sh.
    let items = 4_000;
    let generator = PodListGen::new(items, 50);
    let per_item = generator.item(0).len() + 2;
    assert!(
        per_item * items > 60_000_000,
        "generated {} bytes",
        per_item * items
    );
    let lines_per_item = generator.lines_per_item();
    let mut b = EvidenceBuilder::new();
    read_json_stream(
        BufReader::with_capacity(64 * 1024, generator),
        &Source::new("huge.json"),
        &mut b,
    )
    .unwrap();
    let ev = b.finish();
    assert_eq!(ev.count_of("Pod"), items as u64);
    // 500 names × 7 namespaces repeat every 3500 items: later items merge into
    // earlier pods.
    assert_eq!(ev.pods.len(), 3500);
    // Lines are counted exactly across the whole stream.
    let header_lines = GEN_HEADER.lines().count() as u32;
    let last = ev.pod(Some("ns-2"), "pod-499").unwrap();
    assert_eq!(
        last.sources.last().unwrap().line,
        Some(header_lines + 1 + (items as u32 - 1) * lines_per_item)
    );
}
