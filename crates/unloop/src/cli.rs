//! Command-line syntax.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tells why a Kubernetes controller is crash-looping, proves it with
/// evidence, and plans the way out.
#[derive(Debug, Parser)]
#[command(name = "unloop", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print what was understood of the inputs: kinds, objects, problems, timeline.
    Evidence(EvidenceArgs),
    /// Find the troubled workloads and explain, for each, why; then plan the fix.
    Diagnose(DiagnoseArgs),
    /// Serve the inputs as a live Kubernetes API on 127.0.0.1 (for kubectl, k9s, kube-rs).
    Replay(ReplayArgs),
    /// Read the live cluster as `diagnose` does and write what was read as an
    /// evidence folder (`cluster-info dump` layout, with previous logs and leases).
    Snapshot(SnapshotArgs),
    /// Knative Revision garbage collection with Knative's own semantics.
    #[command(subcommand)]
    Gc(GcCommand),
    /// Carry out the plan of a diagnosis: a server-side dry run by default,
    /// `--apply` to make the changes (audited, resumable).
    Fix(FixArgs),
    /// Take a node out (cordon, drain) or back in (uncordon).
    #[command(subcommand)]
    Node(NodeCommand),
    /// Scale a workload in stages (e.g. 1 then 3), each held until stable.
    ScaleStaged(ScaleStagedArgs),
}

/// Where the cluster is: `--kubeconfig` and `--context`, as kubectl has them.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: KUBECONFIG, ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current one).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

/// Dry run or apply, and the audit trail.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Make the changes (default: a server-side dry run that changes nothing).
    #[arg(long)]
    pub apply: bool,
    /// With --apply: do not ask before each step (for automation).
    #[arg(long, short = 'y', requires = "apply")]
    pub yes: bool,
    /// The audit log (JSON lines) applied steps are written to and resumed
    /// from (default: $XDG_STATE_HOME/unloop/audit.jsonl).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Start afresh instead of resuming an unfinished run from the audit log.
    #[arg(long)]
    pub fresh: bool,
    /// Between two looks at the cluster while waiting.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = unloop_replay::units::parse_duration)]
    pub poll: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// As for `diagnose`: files to take the plan from, or none (or a
    /// `TYPE/NAME` target) to diagnose the live cluster. Changes always go
    /// to the cluster of --kubeconfig/--context.
    #[arg(value_name = "PATH|TARGET")]
    pub args: Vec<PathBuf>,
    /// Logs given without a hint belong to the previous container run.
    #[arg(long)]
    pub previous: bool,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
    /// Run only step N of the plan.
    #[arg(long, value_name = "N")]
    pub step: Option<usize>,
    /// Hold every "wait until stable" step for this long instead of the plan's window.
    #[arg(long, value_name = "DURATION", value_parser = unloop_replay::units::parse_duration)]
    pub stable_for: Option<std::time::Duration>,
    /// Longest a drain waits for PodDisruptionBudgets and pods to go.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = unloop_replay::units::parse_duration)]
    pub drain_timeout: std::time::Duration,
    /// Longest a rollout, or a workload becoming stable, may take (on top of
    /// the stable window) before the step fails.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = unloop_replay::units::parse_duration)]
    pub settle_timeout: std::time::Duration,
    /// Print the plan's patches as YAML for GitOps (change your manifests
    /// instead of the cluster) and stop.
    #[arg(long)]
    pub patches: bool,
}

#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Cordon NODE, then evict its pods through the eviction API (DaemonSet
    /// and mirror pods stay; PodDisruptionBudgets are honoured).
    Drain(NodeDrainArgs),
    /// Make NODE schedulable again.
    Uncordon(NodeArgs),
    /// Mark NODE unschedulable (no evictions).
    Cordon(NodeArgs),
}

#[derive(Debug, Args)]
pub struct NodeArgs {
    #[arg(value_name = "NODE")]
    pub node: String,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(Debug, Args)]
pub struct NodeDrainArgs {
    #[command(flatten)]
    pub node: NodeArgs,
    /// Longest to wait for evictions (PodDisruptionBudgets) and for pods to go.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = unloop_replay::units::parse_duration)]
    pub timeout: std::time::Duration,
    /// Also evict pods no controller manages (they are lost).
    #[arg(long)]
    pub force: bool,
    /// Also evict pods with emptyDir volumes (their data is lost).
    #[arg(long)]
    pub delete_emptydir_data: bool,
}

#[derive(Debug, Args)]
pub struct ScaleStagedArgs {
    /// `deployment/NAME` or `statefulset/NAME`.
    #[arg(value_name = "KIND/NAME")]
    pub target: String,
    /// Namespace (default: the context's).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Replica counts to go through, in order.
    #[arg(long, value_name = "N,N,...", value_delimiter = ',', required = true)]
    pub steps: Vec<u32>,
    /// How long each step must stay ready with no restarts (and, for
    /// leader-elected controllers, with its Lease held and renewed).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = unloop_replay::units::parse_duration)]
    pub stable_for: std::time::Duration,
    /// Longest a step may take to become stable, on top of --stable-for.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = unloop_replay::units::parse_duration)]
    pub settle_timeout: std::time::Duration,
    /// If a step does not become stable, scale back to the replicas it had.
    #[arg(long)]
    pub rollback: bool,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(Debug, Subcommand)]
pub enum GcCommand {
    /// Show what config-gc would delete and keep, per Configuration, and why.
    Plan(GcPlanArgs),
    /// Collect old Revisions on the live cluster: patch config-gc so
    /// Knative's GC does it (default), or delete them directly (--direct).
    Apply(GcApplyArgs),
}

#[derive(Debug, Args)]
pub struct GcApplyArgs {
    /// Set a config-gc key, e.g. `--set max-non-active-revisions=5`
    /// (repeatable; default: unloop's recommendation, min 2 and max 5).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Delete the Revisions GC would delete directly, for when Knative's
    /// own controller is down (batched, rate-limited, resumable).
    #[arg(long)]
    pub direct: bool,
    /// With --direct: Revisions deleted before a pause.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub batch: usize,
    /// With --direct: Revisions deleted per second at most.
    #[arg(long, default_value_t = 10.0, value_name = "N")]
    pub rate: f64,
    /// Knative Serving's namespace (where config-gc lives).
    #[arg(long, default_value = "knative-serving", value_name = "NS")]
    pub knative_namespace: String,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(Debug, Args)]
pub struct GcPlanArgs {
    /// Revisions (with Configurations, Routes and config-gc) as files or
    /// folders, e.g. `kubectl get revisions -A -o json` output; with none,
    /// the live cluster is read.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Knative Serving's namespace (where config-gc lives), for a live cluster.
    #[arg(long, default_value = "knative-serving", value_name = "NS")]
    pub knative_namespace: String,
    #[command(flatten)]
    pub term: TermArgs,
    /// A file holding the config-gc ConfigMap (YAML or JSON) to use instead of the one in PATH.
    #[arg(long, value_name = "FILE")]
    pub config_gc: Option<PathBuf>,
    /// What-if: override a config-gc key, e.g. `--set max-non-active-revisions=50` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Reference time (RFC 3339); default: when the evidence was taken, or
    /// the cluster's clock for a live cluster.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = GcFormat::Text)]
    pub output: GcFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GcFormat {
    /// A summary table, the traps, and why Revisions are kept.
    Text,
    /// Every Revision considered: namespace, name, configuration, action and reason.
    Json,
}

/// Inputs shared by the commands that read evidence.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files, directories (read recursively) or `-` for stdin: describe output,
    /// events, `kubectl get` tables, YAML/JSON objects, cluster-info dumps, logs.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Logs given without a hint belong to the previous container run (`kubectl logs --previous`).
    #[arg(long)]
    pub previous: bool,
}

/// Colour and width of terminal output.
#[derive(Debug, Args)]
pub struct TermArgs {
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Fold terminal output to this many columns.
    #[arg(long, default_value_t = 80)]
    pub width: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub term: TermArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = EvidenceFormat::Text)]
    pub output: EvidenceFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvidenceFormat {
    /// Inputs, objects, problems and the timeline.
    Text,
    /// Inputs and counts only.
    Summary,
    /// The whole evidence model and timeline as JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Files, directories (read recursively) or `-` for stdin, as for
    /// `unloop evidence`. With none, the live cluster is read (kubeconfig
    /// context, or the in-cluster service account). An argument of the form
    /// `pod/NAME`, `deployment/NAME` or `namespace/NAME` (also `po/`,
    /// `deploy/`, `ns/`) that is not an existing file is a live target.
    #[arg(value_name = "PATH|TARGET")]
    pub args: Vec<PathBuf>,
    /// Logs given without a hint belong to the previous container run (`kubectl logs --previous`).
    #[arg(long)]
    pub previous: bool,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub term: TermArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = DiagnoseFormat::Text)]
    pub output: DiagnoseFormat,
    /// Reference time (RFC 3339) for ages and lease expiry; default: when the evidence was taken.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

/// Where the live cluster is and how gently to read it (used when no PATH is given).
#[derive(Debug, Args)]
pub struct LiveArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Namespace (default: the context's).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Every namespace.
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: usize,
    /// Sustained requests per second.
    #[arg(long, default_value_t = 20.0, value_name = "N")]
    pub qps: f64,
    /// Requests allowed in a burst above --qps.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub burst: u32,
    /// Overall deadline; past it the diagnosis runs on what was read and names what was not.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = unloop_replay::units::parse_duration)]
    pub timeout: std::time::Duration,
    /// Log lines per container run (`tailLines`).
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub tail_lines: i64,
    /// Log bytes per container run (`limitBytes`).
    #[arg(long, default_value_t = 4 * 1024 * 1024, value_name = "BYTES")]
    pub limit_bytes: i64,
    /// Troubled pods read in detail.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_pods: usize,
    /// Print requests, retries, bytes received and time taken on stderr.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// What to read: `pod/NAME`, `deployment/NAME` or `namespace/NAME`
    /// (default: the namespace flags, as for `diagnose`).
    #[arg(value_name = "TARGET")]
    pub target: Option<String>,
    /// The folder to write (created if missing; it must be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnoseFormat {
    /// A terminal report (colour on a TTY).
    Text,
    /// Versioned JSON (docs/diagnosis-schema.md).
    Json,
    /// Markdown for a ticket.
    Markdown,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Files or directories (read recursively): cluster-info dumps, `kubectl get
    /// -o yaml|json` output, `<pod>.log` and `<pod>-previous.log` files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Write a kubeconfig for the server here (context `unloop-replay`).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Simulate controllers and kubelets: scaling creates or removes pods on
    /// schedulable nodes, evicted pods are replaced, pods on bad nodes keep
    /// crash-looping while others become Ready, leases are renewed.
    #[arg(long)]
    pub simulate: bool,
    /// With --simulate: how often crash-looping containers restart (and
    /// leases are renewed), e.g. 5s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = unloop_replay::units::parse_duration)]
    pub tick: std::time::Duration,
    /// With --simulate: how long a new pod takes to become Running.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = unloop_replay::units::parse_duration)]
    pub start_delay: std::time::Duration,
    /// With --simulate: treat this node as bad (its new pods crash-loop) even
    /// if the snapshot shows it healthy (repeatable). Nodes the snapshot shows
    /// NotReady or with a problem condition are bad anyway.
    #[arg(long = "bad-node", value_name = "NAME")]
    pub bad_nodes: Vec<String>,
    /// Inject faults, for tests: comma-separated `latency=50ms..200ms`,
    /// `VERB:CODE=RATE` (VERB one of get, list, watch, create, update, patch,
    /// delete, log, eviction, discovery or *; CODE 500, 503 or 429 with
    /// Retry-After; RATE 0..1),
    /// `retry-after=SECS`, `watch-close=30s` or `watch-close=N` (events),
    /// `log-rate=4KiB/s`, `seed=N`. `/version` and discovery are never
    /// faulted unless a `discovery:` rule asks. Example:
    /// `latency=50ms..200ms,get:500=0.1,list:429=0.2,patch:503=0.05,watch-close=30s,log-rate=4KiB/s,seed=7`
    #[arg(long, value_name = "SPEC", value_parser = parse_faults)]
    pub faults: Option<unloop_replay::faults::FaultSpec>,
    /// Append one line per request to FILE: method, path and query, status,
    /// and body bytes sent (to measure clients side by side).
    #[arg(long, value_name = "FILE")]
    pub access_log: Option<PathBuf>,
}

fn parse_faults(s: &str) -> Result<unloop_replay::faults::FaultSpec, String> {
    s.parse()
        .map_err(|e: unloop_replay::faults::FaultSpecError| e.to_string())
}
