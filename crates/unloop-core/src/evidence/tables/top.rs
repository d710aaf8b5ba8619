//! `kubectl top pods` (`-A`, `--containers`, `--sum`) and `kubectl top nodes`.

use super::cells::none_if_placeholder;
use super::grid::{Shape, by_shapes};
use super::{Segment, excerpt};
use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::model::{Container, DiagnosticLevel, Meta, Node, Pod, ResourceAmounts};
use crate::evidence::quantity::{parse_cpu_millis, parse_memory_bytes};
use crate::evidence::text::TextInput;

/// Cuts the rows of a top table; `--sum` totals (a `________` rule, then a row
/// without a name) are skipped without a warning.
fn rows<'a>(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    seg: &Segment<'a>,
    what: &str,
) -> Vec<(usize, Vec<&'a str>)> {
    let shapes = vec![Shape::One; seg.cols.names.len()];
    let cpu = seg.cols.find("CPU(cores)");
    let mut out = Vec::new();
    let mut after_rule = false;
    for &(idx, line) in &seg.rows {
        if line.contains("________") {
            after_rule = true;
            continue;
        }
        let valid = |c: &Vec<&str>| {
            c.first().is_some_and(|n| !n.is_empty())
                && cpu
                    .and_then(|i| c.get(i))
                    .is_some_and(|v| usage_cell(v, true))
        };
        let cells = seg
            .cols
            .cut(line)
            .filter(valid)
            .or_else(|| by_shapes(line, &shapes).filter(valid));
        match cells {
            Some(c) => out.push((idx, c)),
            None if after_rule => {}
            None => b.diagnostic(
                DiagnosticLevel::Warning,
                t.source_at(idx),
                format!("{what}: row not understood, skipped: {}", excerpt(line)),
            ),
        }
    }
    out
}

fn usage_cell(v: &str, cpu: bool) -> bool {
    v == "<unknown>"
        || if cpu {
            parse_cpu_millis(v).is_some()
        } else {
            parse_memory_bytes(v).is_some()
        }
}

fn usage(cpu: &str, memory: &str) -> Option<ResourceAmounts> {
    let u = ResourceAmounts {
        cpu_millis: none_if_placeholder(cpu).and_then(parse_cpu_millis),
        memory_bytes: none_if_placeholder(memory).and_then(parse_memory_bytes),
    };
    (u.cpu_millis.is_some() || u.memory_bytes.is_some()).then_some(u)
}

pub(super) fn read_pods(t: &TextInput<'_>, b: &mut EvidenceBuilder, seg: &Segment<'_>) {
    let col = |n: &str| seg.cols.find(n);
    let (c_ns, c_pod, c_name, c_cpu, c_mem) = (
        col("NAMESPACE"),
        col("POD"),
        col("NAME"),
        col("CPU(cores)"),
        col("MEMORY(bytes)"),
    );
    for (idx, cells) in rows(t, b, seg, "top pods") {
        let get = |c: Option<usize>| c.and_then(|i| cells.get(i)).copied().unwrap_or("");
        let namespace = c_ns
            .map(|_| get(c_ns).to_owned())
            .or_else(|| seg.namespace.clone());
        let amounts = usage(get(c_cpu), get(c_mem));
        let source = t.source_at(idx);
        let mut pod = Pod {
            meta: Meta {
                namespace,
                ..Default::default()
            },
            sources: vec![source.clone()],
            ..Default::default()
        };
        if c_pod.is_some() {
            // `--containers`: POD is the pod, NAME the container.
            pod.meta.name = get(c_pod).to_owned();
            pod.containers.push(Container {
                name: get(c_name).to_owned(),
                usage: amounts,
                source: Some(source),
                ..Default::default()
            });
        } else {
            pod.meta.name = get(c_name).to_owned();
            pod.usage = amounts;
        }
        b.add_pod(pod);
    }
}

pub(super) fn read_nodes(t: &TextInput<'_>, b: &mut EvidenceBuilder, seg: &Segment<'_>) {
    let col = |n: &str| seg.cols.find(n);
    let (c_name, c_cpu, c_mem) = (col("NAME"), col("CPU(cores)"), col("MEMORY(bytes)"));
    for (idx, cells) in rows(t, b, seg, "top nodes") {
        let get = |c: Option<usize>| c.and_then(|i| cells.get(i)).copied().unwrap_or("");
        b.add_node(Node {
            meta: Meta {
                name: get(c_name).to_owned(),
                ..Default::default()
            },
            usage: usage(get(c_cpu), get(c_mem)),
            sources: vec![t.source_at(idx)],
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::evidence::builder::EvidenceBuilder;
    use crate::evidence::model::Evidence;
    use crate::evidence::source::Source;
    use crate::evidence::tables::{read_top_nodes, read_top_pods};
    use crate::evidence::text::TextInput;

    fn read(text: &str, nodes: bool) -> Evidence {
        let mut b = EvidenceBuilder::new();
        let t = TextInput::new(text, Source::new("top.txt"));
        if nodes {
            read_top_nodes(&t, &mut b).unwrap();
        } else {
            read_top_pods(&t, &mut b).unwrap();
        }
        b.finish()
    }

    const MI: u64 = 1024 * 1024;

    #[test]
    fn top_pods_with_sum() {
        // Real kubectl 1.32 output: cells are tab-terminated, so lines end in spaces.
        let text = "\
NAME                                   CPU(cores)   MEMORY(bytes)   
net-istio-controller-5d9c7f6b8-x2kqp   290m         430Mi           
                                       ________     ________        
                                       290m         430Mi           
";
        let ev = read(text, false);
        assert_eq!(ev.pods.len(), 1);
        let u = ev.pods[0].usage.unwrap();
        assert_eq!(u.cpu_millis, Some(290));
        assert_eq!(u.memory_bytes, Some(430 * MI));
        assert_eq!(ev.pods[0].meta.namespace, None);
        assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
    }

    #[test]
    fn top_pods_containers_all_namespaces() {
        let text = "\
NAMESPACE         POD                                    NAME          CPU(cores)   MEMORY(bytes)   
knative-serving   net-istio-controller-5d9c7f6b8-x2kqp   controller    287m         389Mi           
knative-serving   net-istio-controller-5d9c7f6b8-x2kqp   istio-proxy   3m           41Mi            
";
        let ev = read(text, false);
        assert_eq!(ev.pods.len(), 1);
        let p = &ev.pods[0];
        assert_eq!(p.meta.namespace.as_deref(), Some("knative-serving"));
        assert_eq!(p.containers.len(), 2);
        let c = p.container("controller").unwrap();
        assert_eq!(c.usage.unwrap().memory_bytes, Some(389 * MI));
        assert_eq!(
            p.container("istio-proxy")
                .unwrap()
                .usage
                .unwrap()
                .cpu_millis,
            Some(3)
        );
    }

    #[test]
    fn top_nodes_old_and_new_headers() {
        let new = "\
NAME     CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)   
node-1   1843m        95%         7012Mi          98%         
node-3   <unknown>    <unknown>   <unknown>       <unknown>   
";
        let ev = read(new, true);
        assert_eq!(ev.nodes.len(), 2);
        assert_eq!(ev.nodes[0].usage.unwrap().cpu_millis, Some(1843));
        assert_eq!(ev.nodes[0].usage.unwrap().memory_bytes, Some(7012 * MI));
        assert_eq!(ev.nodes[1].usage, None);
        let old = "NAME     CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%\nnode-2   120m   6%   1012Mi   14%\n";
        let ev = read(old, true);
        assert_eq!(ev.nodes[0].meta.name, "node-2");
        assert_eq!(ev.nodes[0].usage.unwrap().cpu_millis, Some(120));
    }

    #[test]
    fn top_nodes_read_even_when_routed_as_top_pods() {
        let text = "NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)\nnode-1   1843m   95%   7012Mi   98%\n";
        let ev = read(text, false);
        assert_eq!(ev.nodes.len(), 1);
        assert!(ev.pods.is_empty());
    }

    #[test]
    fn bad_rows_warn() {
        let ev = read(
            "NAME   CPU(cores)   MEMORY(bytes)\np   lots   400Mi\nq   5m   4Mi\n",
            false,
        );
        assert_eq!(ev.pods.len(), 1);
        assert_eq!(ev.diagnostics.len(), 1);
        assert_eq!(ev.diagnostics[0].source.line, Some(2));
    }
}
