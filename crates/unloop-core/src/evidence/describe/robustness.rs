//! No input makes a describe or table reader panic: arbitrary text, and real
//! samples cut, shuffled and corrupted the way pastes are.

use proptest::prelude::*;

use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::source::Source;
use crate::evidence::tables;
use crate::evidence::text::TextInput;

const SAMPLES: &[&str] = &[
    include_str!("testdata/pod-net-istio-1.32.txt"),
    include_str!("testdata/pod-net-istio-1.37.txt"),
    include_str!("testdata/pods-multi-1.32.txt"),
    include_str!("testdata/node-npd-1.32.txt"),
    include_str!("testdata/deployment-net-istio-1.32.txt"),
    "NAMESPACE   LAST SEEN   TYPE   REASON   OBJECT   SUBOBJECT   SOURCE   MESSAGE   FIRST SEEN   COUNT   NAME\n\
     ns   5m   Warning   BackOff   pod/p   spec.containers{c}   kubelet, n   Back-off   10m   3   p.1\n",
    "NAME   READY   STATUS   RESTARTS   AGE   IP   NODE   NOMINATED NODE   READINESS GATES\n\
     p   0/1   CrashLoopBackOff   7 (2m ago)   15m   10.0.0.1   n   <none>   <none>\n",
    "NAME   CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)\nn   1843m   95%   7012Mi   98%\n",
    "POD   NAME   CPU(cores)   MEMORY(bytes)\np   c   3m   41Mi\n",
];

/// Every reader, on the same text; none may panic, and whatever it reports
/// must point inside the text.
fn read_all(text: &str) {
    let t = TextInput::new(text, Source::new("fuzz.txt"));
    let mut b = EvidenceBuilder::new();
    let _ = super::read_describe_pod(&t, &mut b);
    let _ = super::read_describe_node(&t, &mut b);
    let _ = super::read_describe_deployment(&t, &mut b);
    let _ = tables::read_events_table(&t, &mut b);
    let _ = tables::read_pods_table(&t, &mut b);
    let _ = tables::read_top_pods(&t, &mut b);
    let _ = tables::read_top_nodes(&t, &mut b);
    let _ = super::describe_kind(text);
    let _ = tables::find_table(text);
    let _ = tables::is_kubectl_events(text);
    let lines = text.split('\n').count() as u32;
    let ev = b.finish();
    for d in &ev.diagnostics {
        assert!(d.source.line.is_some_and(|l| l >= 1 && l <= lines), "{d:?}");
    }
    for e in &ev.events {
        assert!(e.source.line.is_some_and(|l| l >= 1 && l <= lines));
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Truncate(usize),
    DropLine(usize),
    DupLine(usize),
    Dedent(usize),
    Collapse(usize),
    Insert(usize, String),
    Replace(usize, char),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    for e in edits {
        let n = lines.len().max(1);
        match e {
            Edit::Truncate(i) => {
                let l = &mut lines[i % n];
                let cut = l
                    .char_indices()
                    .nth(i % (l.chars().count() + 1))
                    .map_or(l.len(), |(b, _)| b);
                l.truncate(cut);
            }
            Edit::DropLine(i) if lines.len() > 1 => {
                lines.remove(i % n);
            }
            Edit::DropLine(_) => {}
            Edit::DupLine(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Dedent(i) => {
                let l = &mut lines[i % n];
                *l = l.trim_start().to_owned();
            }
            Edit::Collapse(i) => {
                let l = &mut lines[i % n];
                *l = l.split_whitespace().collect::<Vec<_>>().join(" ");
            }
            Edit::Insert(i, s) => lines.insert(i % (n + 1), s.clone()),
            Edit::Replace(i, c) => {
                let l = &mut lines[i % n];
                if let Some((b, ch)) = l.char_indices().nth(i % (l.chars().count().max(1))) {
                    l.replace_range(b..b + ch.len_utf8(), &c.to_string());
                }
            }
        }
    }
    lines.join("\n")
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Truncate),
        any::<usize>().prop_map(Edit::DropLine),
        any::<usize>().prop_map(Edit::DupLine),
        any::<usize>().prop_map(Edit::Dedent),
        any::<usize>().prop_map(Edit::Collapse),
        (any::<usize>(), "[ \t]{0,12}[A-Za-z :/()=.<>…\\-]{0,40}")
            .prop_map(|(i, s)| Edit::Insert(i, s)),
        (
            any::<usize>(),
            prop_oneof![
                Just(' '),
                Just('\t'),
                Just(':'),
                Just('é'),
                Just('…'),
                Just('(')
            ]
        )
            .prop_map(|(i, c)| Edit::Replace(i, c)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "(?s)[ -~\t\n\u{a0}é…]{0,600}") {
        read_all(&s);
    }

    #[test]
    fn mutilated_samples_never_panic(
        which in 0..SAMPLES.len(),
        edits in proptest::collection::vec(edit(), 0..12),
    ) {
        read_all(&apply(SAMPLES[which], &edits));
    }
}

#[test]
fn deep_indentation_does_not_overflow_the_stack() {
    // Each line one column deeper than the last: a recursive tree builder would
    // recurse once per line.
    let text: String = (0..3_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    read_all(&text);
}
