//! Container log lines in the formats controllers really print: klog text (printf and
//! structured), Knative zap JSON, controller-runtime zap console and JSON, plain app output,
//! utils/trace blocks, leader-election and throttling lines, Go panics.

use crate::rng::Rng;
use crate::time::{self, MIN, SEC};
use crate::words::*;

/// How a container logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Klog,
    KnativeZap,
    CtrlRuntimeConsole,
    CtrlRuntimeJson,
    AppText,
}

impl Style {
    /// A style, as often as it is met in real clusters.
    pub fn pick(rng: &mut Rng) -> Style {
        match rng.below(100) {
            0..=29 => Style::Klog,
            30..=49 => Style::KnativeZap,
            50..=64 => Style::CtrlRuntimeConsole,
            65..=79 => Style::CtrlRuntimeJson,
            _ => Style::AppText,
        }
    }
}

/// Who is logging: the pod, its namespace and component, and the object keys it reconciles.
pub struct LogCtx<'a> {
    pub ns: &'a str,
    pub pod: &'a str,
    pub component: &'a str,
    pub keys: &'a [String],
}

/// Appends lines from `start` on, `mean_gap` microseconds apart on average, until `budget` bytes
/// are written; returns the time reached. `first` adds the process's start-up lines; with
/// `crash`, the log ends the way the process died (panic, fatal, or just stops).
#[allow(clippy::too_many_arguments)]
pub fn write_log(
    out: &mut Vec<u8>,
    rng: &mut Rng,
    style: Style,
    ctx: &LogCtx,
    start: i64,
    mean_gap: i64,
    budget: usize,
    crash: bool,
    first: bool,
) -> i64 {
    let begin = out.len();
    let mut t = start;
    if first {
        startup(out, rng, style, ctx, &mut t);
    }
    while out.len() - begin < budget {
        t += (rng.exp(mean_gap as f64) as i64).max(1);
        line(out, rng, style, ctx, &mut t);
    }
    if crash {
        ending(out, rng, style, ctx, &mut t);
    }
    t
}

fn key<'a>(rng: &mut Rng, ctx: &'a LogCtx) -> &'a str {
    if ctx.keys.is_empty() {
        ctx.pod
    } else {
        rng.pick(ctx.keys).as_str()
    }
}

fn startup(out: &mut Vec<u8>, rng: &mut Rng, style: Style, ctx: &LogCtx, t: &mut i64) {
    match style {
        Style::KnativeZap => {
            for what in [
                "Registering 3 clients",
                "Registering 5 informer factories",
                "Registering 9 informers",
                "Registering 4 controllers",
            ] {
                time::stdlog(out, *t);
                out.push(b' ');
                out.extend_from_slice(what.as_bytes());
                out.push(b'\n');
            }
            *t += 300_000 + rng.below(600_000) as i64;
            for (caller, msg, pause) in [
                ("profiling/server.go:65", "Profiling enabled: false", 20_000),
                (
                    "leaderelection/context.go:47",
                    "Running with Standard leader election",
                    40_000,
                ),
                (
                    "sharedmain/main.go:283",
                    "Starting configuration manager...",
                    100_000,
                ),
            ] {
                zap(out, rng, *t, "INFO", ctx.component, caller, msg, ctx, &[]);
                *t += pause;
            }
            out.extend_from_slice(b"{\"level\":\"info\",\"ts\":");
            time::epoch_float(out, *t);
            out.extend_from_slice(b",\"logger\":\"fallback\",\"caller\":\"injection/injection.go:63\",\"msg\":\"Starting informers...\"}\n");
        }
        Style::Klog => {
            *t += 10_000;
            time::klog(out, b'I', *t, 1, "main.go:88");
            out.extend_from_slice(b"Starting ");
            out.extend_from_slice(ctx.component.as_bytes());
            out.extend_from_slice(b" version v1.8.");
            time::push_u64(out, rng.below(20));
            out.push(b'\n');
            time::klog(out, b'I', *t + 2_000, 1, "leaderelection.go:245");
            out.extend_from_slice(b"attempting to acquire leader lease ");
            out.extend_from_slice(ctx.ns.as_bytes());
            out.push(b'/');
            out.extend_from_slice(ctx.component.as_bytes());
            out.extend_from_slice(b"...\n");
        }
        Style::CtrlRuntimeConsole => {
            time::iso_millis(out, *t);
            out.extend_from_slice(b"\tINFO\tsetup\tstarting manager\n");
            time::iso_millis(out, *t + 1_500);
            out.extend_from_slice(b"\tINFO\tStarting server\t{\"path\": \"/metrics\", \"kind\": \"metrics\", \"addr\": \"[::]:8080\"}\n");
            time::iso_millis(out, *t + 2_100);
            out.extend_from_slice(
                b"\tINFO\tStarting server\t{\"kind\": \"health probe\", \"addr\": \"[::]:8081\"}\n",
            );
        }
        Style::CtrlRuntimeJson => {
            out.extend_from_slice(b"{\"level\":\"info\",\"ts\":\"");
            time::iso_millis(out, *t);
            out.extend_from_slice(b"\",\"logger\":\"setup\",\"msg\":\"starting manager\"}\n");
        }
        Style::AppText => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn zap(
    out: &mut Vec<u8>,
    rng: &mut Rng,
    t: i64,
    sev: &str,
    logger: &str,
    caller: &str,
    msg: &str,
    ctx: &LogCtx,
    extra: &[(&str, &str)],
) {
    out.extend_from_slice(b"{\"severity\":\"");
    out.extend_from_slice(sev.as_bytes());
    out.extend_from_slice(b"\",\"timestamp\":\"");
    time::rfc3339nano(out, t, rng.below(1000) as u32);
    out.extend_from_slice(b"\",\"logger\":\"");
    out.extend_from_slice(logger.as_bytes());
    out.extend_from_slice(b"\",\"caller\":\"");
    out.extend_from_slice(caller.as_bytes());
    out.extend_from_slice(b"\",\"message\":");
    crate::json::escape(out, msg.as_bytes());
    out.extend_from_slice(b",\"commit\":\"4f1c2b9-dirty\",\"knative.dev/pod\":\"");
    out.extend_from_slice(ctx.pod.as_bytes());
    out.push(b'"');
    for (k, v) in extra {
        out.push(b',');
        crate::json::escape(out, k.as_bytes());
        out.push(b':');
        crate::json::escape(out, v.as_bytes());
    }
    out.extend_from_slice(b"}\n");
}

fn line(out: &mut Vec<u8>, rng: &mut Rng, style: Style, ctx: &LogCtx, t: &mut i64) {
    let roll = rng.below(1000);
    // rare cross-style lines any Go controller prints through klog
    if roll < 6 && style != Style::AppText {
        trace(out, rng, ctx, t);
        return;
    }
    if roll < 10 && style != Style::AppText {
        time::klog(out, b'I', *t, 1, "request.go:690");
        out.extend_from_slice(b"Waited for 1.");
        time::push_u64(out, 100_000_000 + rng.below(899_999_999));
        out.extend_from_slice(b"s due to client-side throttling, not priority and fairness, request: GET:https://10.96.0.1:443/apis/apps/v1/namespaces/");
        out.extend_from_slice(ctx.ns.as_bytes());
        out.extend_from_slice(b"/deployments?limit=500\n");
        return;
    }
    match style {
        Style::Klog => klog_line(out, rng, ctx, *t, roll),
        Style::KnativeZap => {
            let k = key(rng, ctx);
            if roll < 940 {
                let mut tid = Vec::with_capacity(36);
                rng.uuid(&mut tid);
                let mut dur = Vec::with_capacity(12);
                dur.extend_from_slice(b"0.00");
                time::push_u64(&mut dur, rng.below(9_999_999));
                // duration is a number in the real logs; encoded as a raw value below
                out.extend_from_slice(b"{\"severity\":\"INFO\",\"timestamp\":\"");
                time::rfc3339nano(out, *t, rng.below(1000) as u32);
                out.extend_from_slice(b"\",\"logger\":\"");
                out.extend_from_slice(ctx.component.as_bytes());
                out.extend_from_slice(b"\",\"caller\":\"controller/controller.go:550\",\"message\":\"Reconcile succeeded\",\"commit\":\"4f1c2b9-dirty\",\"knative.dev/pod\":\"");
                out.extend_from_slice(ctx.pod.as_bytes());
                out.extend_from_slice(b"\",\"knative.dev/controller\":\"knative.dev.serving.pkg.reconciler.revision.Reconciler\",\"knative.dev/kind\":\"serving.knative.dev.Revision\",\"knative.dev/traceid\":\"");
                out.extend_from_slice(&tid);
                out.extend_from_slice(b"\",\"knative.dev/key\":\"");
                out.extend_from_slice(k.as_bytes());
                out.extend_from_slice(b"\",\"duration\":");
                out.extend_from_slice(&dur);
                out.extend_from_slice(b"}\n");
            } else if roll < 985 {
                let e = *rng.pick(ERRORS);
                zap(
                    out,
                    rng,
                    *t,
                    "ERROR",
                    ctx.component,
                    "controller/controller.go:566",
                    "Reconcile error",
                    ctx,
                    &[("knative.dev/key", k), ("error", e)],
                );
            } else {
                zap(
                    out,
                    rng,
                    *t,
                    "WARNING",
                    ctx.component,
                    "logging/warning_handler.go:32",
                    "API Warning: spec.template.spec.containers[0].resources.limits: cpu limit is lower than request",
                    ctx,
                    &[],
                );
            }
        }
        Style::CtrlRuntimeConsole => {
            let k = key(rng, ctx);
            let (ns, name) = k.split_once('/').unwrap_or((ctx.ns, k));
            time::iso_millis(out, *t);
            let ok = roll < 900;
            out.extend_from_slice(if ok {
                b"\tINFO\tReconciling\t{\"controller\": \""
            } else {
                b"\tERROR\tReconciler error\t{\"controller\": \""
            });
            out.extend_from_slice(ctx.component.as_bytes());
            out.extend_from_slice(b"\", \"namespace\": \"");
            out.extend_from_slice(ns.as_bytes());
            out.extend_from_slice(b"\", \"name\": \"");
            out.extend_from_slice(name.as_bytes());
            if ok {
                out.extend_from_slice(b"\", \"reconcileID\": \"");
                rng.uuid(out);
                out.extend_from_slice(b"\"}\n");
            } else {
                out.extend_from_slice(b"\", \"error\": ");
                crate::json::escape(out, rng.pick(ERRORS).as_bytes());
                out.extend_from_slice(b"}\nsigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).reconcileHandler\n\t/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.17.2/pkg/internal/controller/controller.go:329\nsigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).processNextWorkItem\n\t/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.17.2/pkg/internal/controller/controller.go:266\n");
            }
        }
        Style::CtrlRuntimeJson => {
            let k = key(rng, ctx);
            let (ns, name) = k.split_once('/').unwrap_or((ctx.ns, k));
            let lvl: &[u8] = if roll < 930 { b"info" } else { b"error" };
            out.extend_from_slice(b"{\"level\":\"");
            out.extend_from_slice(lvl);
            out.extend_from_slice(b"\",\"ts\":\"");
            time::iso_millis(out, *t);
            out.extend_from_slice(b"\",\"logger\":\"controllers.");
            out.extend_from_slice(ctx.component.as_bytes());
            if roll < 930 {
                out.extend_from_slice(b"\",\"msg\":\"reconcile done\",\"namespace\":\"");
            } else {
                out.extend_from_slice(b"\",\"msg\":\"Reconciler error\",\"namespace\":\"");
            }
            out.extend_from_slice(ns.as_bytes());
            out.extend_from_slice(b"\",\"name\":\"");
            out.extend_from_slice(name.as_bytes());
            if roll >= 930 {
                out.extend_from_slice(b"\",\"error\":");
                crate::json::escape(out, rng.pick(ERRORS).as_bytes());
                out.extend_from_slice(b"}\n");
            } else {
                out.extend_from_slice(b"\",\"requeueAfter\":\"");
                time::push_u64(out, 10 + rng.below(290));
                out.extend_from_slice(b"s\"}\n");
            }
        }
        Style::AppText => {
            // nginx-like access log
            out.extend_from_slice(b"10.48.");
            time::push_u64(out, rng.below(64));
            out.push(b'.');
            time::push_u64(out, 2 + rng.below(250));
            out.extend_from_slice(b" - - [");
            time::clf(out, *t);
            out.extend_from_slice(b"] \"GET ");
            out.extend_from_slice(rng.pick(HTTP_PATHS).as_bytes());
            out.extend_from_slice(b" HTTP/1.1\" ");
            let status: &[u8] = match rng.below(100) {
                0..=88 => b"200",
                89..=93 => b"304",
                94..=97 => b"404",
                _ => b"503",
            };
            out.extend_from_slice(status);
            out.push(b' ');
            time::push_u64(out, rng.below(40_000));
            out.extend_from_slice(b" \"-\" \"");
            out.extend_from_slice(rng.pick(USER_AGENTS).as_bytes());
            out.extend_from_slice(b"\"\n");
        }
    }
}

fn klog_line(out: &mut Vec<u8>, rng: &mut Rng, ctx: &LogCtx, t: i64, roll: u64) {
    let k = key(rng, ctx);
    let kind = *rng.pick(KINDS);
    if roll < 700 {
        time::klog(out, b'I', t, 1, "controller.go:266");
        out.extend_from_slice(b"\"Reconciling\" ");
        out.extend_from_slice(kind.to_ascii_lowercase().as_bytes());
        out.extend_from_slice(b"=\"");
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"\" generation=");
        time::push_u64(out, 1 + rng.below(400));
        out.push(b'\n');
    } else if roll < 850 {
        let fileline: &str = SYNC_FILES[rng.below(SYNC_FILES.len() as u64) as usize];
        time::klog(out, b'I', t, 1, fileline);
        out.extend_from_slice(b"Successfully synced '");
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"'\n");
    } else if roll < 930 {
        time::klog(out, b'W', t, 1, "reflector.go:535");
        out.extend_from_slice(
            b"k8s.io/client-go@v0.28.4/tools/cache/reflector.go:229: failed to list *v1.",
        );
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(rng.pick(ERRORS).as_bytes());
        out.push(b'\n');
    } else if roll < 990 {
        time::klog(out, b'E', t, 1, "controller.go:329");
        out.extend_from_slice(b"error syncing '");
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"': ");
        out.extend_from_slice(rng.pick(ERRORS).as_bytes());
        out.extend_from_slice(b", requeuing\n");
    } else {
        time::klog(out, b'I', t, 1, "leaderelection.go:255");
        out.extend_from_slice(b"successfully acquired lease ");
        out.extend_from_slice(ctx.ns.as_bytes());
        out.push(b'/');
        out.extend_from_slice(ctx.component.as_bytes());
        out.push(b'\n');
    }
}

const SYNC_FILES: &[&str] = &[
    "controller.go:197",
    "handler.go:91",
    "worker.go:77",
    "reconciler.go:123",
    "sync.go:58",
];

fn trace(out: &mut Vec<u8>, rng: &mut Rng, ctx: &LogCtx, t: &mut i64) {
    let total_ms = 100 + rng.below(900);
    let start = *t;
    *t += total_ms as i64 * 1000 + rng.below(1000) as i64;
    let id = rng.below(1 << 31);
    time::klog(out, b'I', *t, 1, "trace.go:236");
    out.extend_from_slice(b"Trace[");
    time::push_u64(out, id);
    out.extend_from_slice(b"]: \"DeltaFIFO Pop Process\" ID:");
    out.extend_from_slice(key(rng, ctx).as_bytes());
    out.extend_from_slice(b",Depth:");
    time::push_u64(out, 11 + rng.below(5000));
    out.extend_from_slice(b",Reason:slow event handlers blocking the queue (");
    time::trace_start(out, start);
    out.extend_from_slice(b") (total time: ");
    time::push_u64(out, total_ms);
    let mut dur = Vec::with_capacity(24);
    time::push_u64(&mut dur, total_ms);
    dur.push(b'.');
    let mut frac = 100_000 + rng.below(899_999);
    if frac.is_multiple_of(10) {
        frac += 1;
    }
    time::push_u64(&mut dur, frac);
    dur.extend_from_slice(b"ms");
    out.extend_from_slice(b"ms):\nTrace[");
    time::push_u64(out, id);
    out.extend_from_slice(b"]: [");
    out.extend_from_slice(&dur);
    out.extend_from_slice(b"] [");
    out.extend_from_slice(&dur);
    out.extend_from_slice(b"] END\n");
}

fn ending(out: &mut Vec<u8>, rng: &mut Rng, style: Style, ctx: &LogCtx, t: &mut i64) {
    *t += SEC;
    match (style, rng.below(3)) {
        (Style::AppText, _) => {
            out.extend_from_slice(b"Traceback (most recent call last):\n  File \"/app/main.py\", line 41, in <module>\n    app.run()\n  File \"/app/server.py\", line 212, in run\n    self.pool = create_pool(self.dsn)\nConnectionRefusedError: [Errno 111] Connection refused\n");
        }
        (Style::KnativeZap, 0) => {
            out.extend_from_slice(b"{\"level\":\"fatal\",\"ts\":");
            time::epoch_float(out, *t);
            out.extend_from_slice(b",\"logger\":\"fallback\",\"caller\":\"injection/injection.go:65\",\"msg\":\"Failed to start informers\",\"error\":\"failed to wait for cache at index 8 to sync\",\"stacktrace\":\"knative.dev/pkg/injection.EnableInjectionOrDie.func1\\n\\tknative.dev/pkg@v0.0.0-20231023151236-29775d7c9e5c/injection/injection.go:65\\nknative.dev/pkg/injection/sharedmain.MainWithConfig\\n\\tknative.dev/pkg@v0.0.0-20231023151236-29775d7c9e5c/injection/sharedmain/main.go:308\"}\n");
        }
        (Style::CtrlRuntimeConsole, 0) | (Style::CtrlRuntimeJson, 0) => {
            time::iso_millis(out, *t);
            out.extend_from_slice(
                b"\tERROR\tsetup\tproblem running manager\t{\"error\": \"leader election lost\"}\n",
            );
        }
        (_, 1) => {
            time::klog(out, b'E', *t, 1, "leaderelection.go:369");
            out.extend_from_slice(b"Failed to update lock: Put \"https://10.96.0.1:443/apis/coordination.k8s.io/v1/namespaces/");
            out.extend_from_slice(ctx.ns.as_bytes());
            out.extend_from_slice(b"/leases/");
            out.extend_from_slice(ctx.component.as_bytes());
            out.extend_from_slice(b"\": context deadline exceeded\n");
            time::klog(out, b'I', *t + 2 * MIN / 60, 1, "leaderelection.go:285");
            out.extend_from_slice(b"failed to renew lease ");
            out.extend_from_slice(ctx.ns.as_bytes());
            out.push(b'/');
            out.extend_from_slice(ctx.component.as_bytes());
            out.extend_from_slice(b": timed out waiting for the condition\n");
            time::klog(out, b'F', *t + 2 * MIN / 60 + 300, 1, "main.go:141");
            out.extend_from_slice(b"leaderelection lost\n");
        }
        _ => {
            out.extend_from_slice(b"panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x");
            rng.hex(out, 7);
            out.extend_from_slice(b"]\n\ngoroutine ");
            time::push_u64(out, 100 + rng.below(5000));
            out.extend_from_slice(b" [running]:\n");
            for (f, l) in [
                ("reconciler.(*Reconciler).reconcileStatus", 211u64),
                ("reconciler.(*Reconciler).Reconcile", 97),
                ("controller.(*Controller).processNextWorkItem", 266),
            ] {
                out.extend_from_slice(b"example.com/");
                out.extend_from_slice(ctx.component.as_bytes());
                out.extend_from_slice(b"/pkg/");
                out.extend_from_slice(f.as_bytes());
                out.extend_from_slice(b"(0xc000");
                rng.hex(out, 6);
                out.extend_from_slice(b", {0x1f2a3c8, 0xc0004b2f60})\n\t/workspace/pkg/");
                out.extend_from_slice(f.split('.').next().unwrap_or("x").as_bytes());
                out.extend_from_slice(b".go:");
                time::push_u64(out, l);
                out.extend_from_slice(b" +0x");
                rng.hex(out, 3);
                out.push(b'\n');
            }
            out.extend_from_slice(b"created by example.com/");
            out.extend_from_slice(ctx.component.as_bytes());
            out.extend_from_slice(b"/pkg/controller.(*Controller).Start.func2 in goroutine 1\n\t/workspace/pkg/controller/controller.go:220 +0x6b\n");
        }
    }
}
