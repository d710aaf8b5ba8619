//! Log scanning throughput: MB/s of the log reader on generated logs of each
//! shape. `cargo bench -p unloop-core --bench log_scan` (prints figures; asserts nothing).

use std::time::Instant;

use unloop_core::evidence::Source;
use unloop_core::evidence::logs::{LogHint, parse_log_text};

fn main() {
    let mixed = [
        "I0412 09:14:07.381522       1 reflector.go:535] k8s.io/client-go/informers/factory.go:150: watch of *v1.Pod ended with: an error on the server (\"unable to decode an event from the watch stream\")",
        r#"I0327 18:30:29.624270       1 request.go:752] "Waited before sending request" delay="1.193s" reason="client-side throttling, not priority and fairness" verb="GET" URL="https://10.96.0.1:443/apis/apps/v1/namespaces/x/deployments?limit=500""#,
        r#"{"severity":"INFO","timestamp":"2024-03-27T18:30:29.224431Z","logger":"net-istio-controller","caller":"controller/controller.go:550","message":"Reconcile succeeded","commit":"a1b2c3d-dirty","knative.dev/traceid":"6f1c","knative.dev/key":"shop/checkout","duration":"1.2ms"}"#,
        "2021-08-24T13:44:01.158Z\tINFO\tcontroller-runtime.metrics\tmetrics server is starting to listen\t{\"addr\": \"127.0.0.1:8080\"}",
        r#"time="2024-03-27T18:30:28Z" level=info msg="All records are already up to date" provider=aws"#,
    ];
    let quiet = [
        "I0412 09:14:07.381522       1 controller.go:120] reconciled shop/checkout in 3ms",
        "2024/03/27 18:30:28 handled request GET /healthz 200",
        "2024-04-12T09:14:07.381600000Z plain text line from an application that logs prose",
        "W0412 09:14:07.381522       1 reflector.go:535] failed to list *v1.Secret: the server could not find the requested resource",
    ];
    let size: usize = std::env::var("UNLOOP_BENCH_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
        << 20;
    for (name, samples) in [("mixed", &mixed[..]), ("quiet+warnings", &quiet[..])] {
        let mut text = String::new();
        let mut n = 0;
        while text.len() < size {
            text.push_str(samples[n % samples.len()]);
            text.push('\n');
            n += 1;
        }
        let start = Instant::now();
        let s = parse_log_text(&text, Source::new("bench"), LogHint::default());
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{name:>16}: {:>7.1} MB in {secs:>6.2} s = {:>6.0} MB/s ({} records, {} kept)",
            text.len() as f64 / 1e6,
            text.len() as f64 / secs / 1e6,
            s.total_records,
            s.records.len()
        );
    }
}
