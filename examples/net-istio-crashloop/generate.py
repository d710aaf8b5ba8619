#!/usr/bin/env python3
"""Deterministic generator for the bundled net-istio-controller crash-loop incident.

Run:  python3 examples/net-istio-crashloop/generate.py   (writes next to this file)

Python 3 standard library only, fixed seed: running it twice gives byte-identical output.
The incident is simulated, not drawn: kubelet probe workers, the kubelet restart back-off,
the client-go event correlator (aggregation, count, spam filter) and the event TTL run on
one clock, and every file (dump, describe, get, logs, leases, Knative objects) is rendered
from that one simulation at the moment the user captured it. See README.md for the story
and for the facts each format follows.
"""

import datetime as _dt
import json
import os
import random
import re
import shutil
import sys
import uuid
import zlib

SEED = 20240412
HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------
# time helpers (all times are float seconds since the Unix epoch, UTC)
# --------------------------------------------------------------------------------------
UTC = _dt.timezone.utc


def T(s):
    """'2024-04-12T08:51:40.25Z' -> epoch seconds (float)."""
    s = s.rstrip("Z")
    if "." in s:
        base, frac = s.split(".")
    else:
        base, frac = s, ""
    d = _dt.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return d.timestamp() + (float("0." + frac) if frac else 0.0)


def _d(t):
    return _dt.datetime.fromtimestamp(int(t // 1), tz=UTC)


def _micros(t):
    return int(round((t - (t // 1)) * 1e6)) % 1000000


def rfc3339(t):
    """metav1.Time: second precision."""
    return _d(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro(t):
    """metav1.MicroTime: always 6 digits."""
    return _d(t).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % _micros(t)


def rfc3339nano(t, extra_ns=0):
    """Go time.RFC3339Nano: up to 9 digits, trailing zeros trimmed."""
    ns = _micros(t) * 1000 + extra_ns % 1000
    frac = ("%09d" % ns).rstrip("0")
    return _d(t).strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z"


def rfc1123z(t):
    return _d(t).strftime("%a, %d %b %Y %H:%M:%S +0000")


def klog_header(sev, t, fileline, pid=1):
    d = _d(t)
    return "%s%s %s.%06d %7d %s] " % (sev, d.strftime("%m%d"), d.strftime("%H:%M:%S"), _micros(t), pid, fileline)


def stdlog(t):
    return _d(t).strftime("%Y/%m/%d %H:%M:%S")


def trace_start(t):
    """utils/trace start stamp: 02-Jan-2006 15:04:05.000"""
    return _d(t).strftime("%d-%b-%Y %H:%M:%S") + ".%03d" % (_micros(t) // 1000)


def hms_milli(t):
    return _d(t).strftime("%H:%M:%S") + ".%03d" % (_micros(t) // 1000)


def go_duration(sec):
    """Go time.Duration.String() for positive durations."""
    ns = int(round(sec * 1e9))
    if ns < 1000:
        return "%dns" % ns
    if ns < 1000000:
        return _trim("%.3f" % (ns / 1e3)) + "µs"
    if ns < 1000000000:
        return _trim("%.6f" % (ns / 1e6)) + "ms"
    total = ns / 1e9
    h = int(total // 3600)
    m = int((total - h * 3600) // 60)
    s = total - h * 3600 - m * 60
    out = ""
    if h:
        out += "%dh" % h
    if h or m:
        out += "%dm" % m
    out += _trim("%.9f" % s) + "s"
    return out


def _trim(x):
    if "." in x:
        x = x.rstrip("0").rstrip(".")
    return x


def backoff_str(sec):
    """kubelet back-off as Go prints it: 10s 20s 40s 1m20s 2m40s 5m0s"""
    sec = int(sec)
    if sec < 60:
        return "%ds" % sec
    return "%dm%ds" % (sec // 60, sec % 60)


def human_duration(d):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration"""
    seconds = int(d)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return "%ds" % seconds
    minutes = int(d // 60)
    if minutes < 10:
        s = int(d) % 60
        return "%dm" % minutes if s == 0 else "%dm%ds" % (minutes, s)
    if minutes < 60 * 3:
        return "%dm" % minutes
    hours = int(d // 3600)
    if hours < 8:
        m = int(d // 60) % 60
        return "%dh" % hours if m == 0 else "%dh%dm" % (hours, m)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        return "%dd" % (hours // 24) if h == 0 else "%dd%dh" % (hours // 24, h)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    return "%dy" % (hours // 24 // 365)


def since(now, t):
    """time.Since on a second-precision metav1.Time."""
    return human_duration(now - (t // 1))


# --------------------------------------------------------------------------------------
# deterministic identifiers
# --------------------------------------------------------------------------------------
R = random.Random(SEED)
K8S_ALNUM = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand alphabet


def rstr(n, alphabet=K8S_ALNUM, rng=None):
    rng = rng or R
    return "".join(rng.choice(alphabet) for _ in range(n))


def uid(rng=None):
    rng = rng or R
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hexs(n, rng=None):
    rng = rng or R
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


class RV:
    """Monotonic etcd resourceVersions."""

    def __init__(self, start):
        self.n = start

    def __call__(self, step=None):
        self.n += step if step else R.randint(3, 900)
        return str(self.n)


rv = RV(481_200_000)

# --------------------------------------------------------------------------------------
# Go-compatible JSON (encoding/json MarshalIndent with 4 spaces, HTML escaping)
# --------------------------------------------------------------------------------------


def go_json(obj, indent=4):
    s = json.dumps(obj, indent=indent, ensure_ascii=False, separators=(",", ": "))
    # encoding/json escapes <, >, & (they only occur inside strings) and U+2028/2029
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    s = s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return s


def sort_keys(o):
    """Unstructured objects (kubectl get -o json/yaml) have sorted keys."""
    if isinstance(o, dict):
        return {k: sort_keys(o[k]) for k in sorted(o)}
    if isinstance(o, list):
        return [sort_keys(x) for x in o]
    return o


def compact_json(o):
    s = json.dumps(o, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --------------------------------------------------------------------------------------
# YAML as kubectl prints it (sigs.k8s.io/yaml -> gopkg.in/yaml.v2), for the subset we emit
# --------------------------------------------------------------------------------------
_YAML_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*|0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+)$")
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_YAML_SPECIAL = {
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "",
    ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", "<<",
}
_YAML_TS = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([Tt ].*)?$")


def _yaml_scalar(s):
    if s in _YAML_SPECIAL or _YAML_INT.match(s) or _YAML_FLOAT.match(s) or _YAML_TS.match(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    plain_ok = not (
        s[0] in "-?:,[]{}#&*!|>'\"%@`" or s[0] == " " or s[-1] == " "
        or ": " in s or " #" in s or s.endswith(":")
    )
    if plain_ok:
        return s
    return "'" + s.replace("'", "''") + "'"


def to_yaml(o, indent=0):
    """Block YAML, 2-space mappings, sequences not indented (yaml.v2 style)."""
    pad = " " * indent
    out = []
    if isinstance(o, dict):
        if not o:
            return pad + "{}\n"
        for k, v in o.items():
            key = _yaml_scalar(k)
            if isinstance(v, dict) and v:
                out.append("%s%s:\n%s" % (pad, key, to_yaml(v, indent + 2)))
            elif isinstance(v, list) and v:
                out.append("%s%s:\n%s" % (pad, key, to_yaml(v, indent)))
            else:
                out.append("%s%s: %s" % (pad, key, _yaml_inline(v, indent + 2)))
        return "".join(out)
    if isinstance(o, list):
        if not o:
            return pad + "[]\n"
        for v in o:
            if isinstance(v, dict) and v:
                body = to_yaml(v, indent + 2)
                out.append(pad + "- " + body[indent + 2:])
            else:
                out.append("%s- %s" % (pad, _yaml_inline(v, indent + 2)))
        return "".join(out)
    return pad + _yaml_inline(o, indent)


def _yaml_inline(v, indent):
    if v is None:
        return "null\n"
    if v is True:
        return "true\n"
    if v is False:
        return "false\n"
    if isinstance(v, int):
        return "%d\n" % v
    if isinstance(v, dict):
        return "{}\n"
    if isinstance(v, list):
        return "[]\n"
    s = str(v)
    if "\n" in s:
        body = s
        if s.endswith("\n") and not s.endswith("\n\n"):
            head, body = "|", s[:-1]
        elif s.endswith("\n"):
            head, body = "|+", s[:-1]
        else:
            head = "|-"
        pad = " " * indent
        lines = body.split("\n")
        return head + "\n" + "".join((pad + ln if ln else "") + "\n" for ln in lines)
    return _yaml_scalar(s) + "\n"


# --------------------------------------------------------------------------------------
# text/tabwriter (Go), as used by kubectl describe (0,8,2,' ',0) and kubectl get (6,4,3,' ',0)
# --------------------------------------------------------------------------------------


def tabwriter(text, minwidth, padding):
    lines = [ln.split("\t") for ln in text.split("\n")]
    out = []
    widths = []

    def write_lines(l0, l1):
        for i in range(l0, l1):
            cells = lines[i]
            buf = []
            for j, c in enumerate(cells):
                if j < len(widths):
                    buf.append(c + " " * (widths[j] - len(c)))
                else:
                    buf.append(c)
            out.append("".join(buf))

    def fmt(l0, l1):
        column = len(widths)
        this = l0
        while this < l1:
            line = lines[this]
            if column >= len(line) - 1:
                this += 1
                continue
            write_lines(l0, this)
            l0 = this
            width = minwidth
            while this < l1:
                line = lines[this]
                if column >= len(line) - 1:
                    break
                w = len(line[column]) + padding
                if w > width:
                    width = w
                this += 1
            widths.append(width)
            fmt(l0, this)
            widths.pop()
            l0 = this
        write_lines(l0, l1)

    fmt(0, len(lines))
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# resource.Quantity canonical strings (enough for cpu millis and memory Mi/Ki/bytes)
# --------------------------------------------------------------------------------------


def cpu_str(milli):
    if milli == 0:
        return "0"
    return "%d" % (milli // 1000) if milli % 1000 == 0 else "%dm" % milli


def mem_str(b):
    if b == 0:
        return "0"
    for suf, f in (("Ei", 1 << 60), ("Pi", 1 << 50), ("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if b % f == 0:
            return "%d%s" % (b // f, suf)
    return "%d" % b


def parse_cpu(s):
    return int(s[:-1]) if s.endswith("m") else int(float(s) * 1000)


def parse_mem(s):
    for suf, f in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if s.endswith(suf):
            return int(s[:-2]) * f
    return int(s)


# ======================================================================================
# THE WORLD
# ======================================================================================
PROJECT = "acme-prod"
ZONE = "us-central1-a"
KUBELET_VERSION = "v1.26.12-gke.1111000"
CONTAINERD = "containerd://1.7.10"
KERNEL = "6.1.58+"
OS_IMAGE = "Container-Optimized OS from Google"
API_SERVER = "https://10.52.0.1:443"

# capture moments (what the user ran, and when)
CAP_GET_PODS = T("2024-04-12T10:04:48.310Z")
CAP_DESCRIBE_POD = T("2024-04-12T10:05:03.772Z")
CAP_DESCRIBE_NODE = T("2024-04-12T10:05:16.204Z")
CAP_DUMP = T("2024-04-12T10:05:41.118Z")
CAP_PREVIOUS = T("2024-04-12T10:06:20.951Z")
CAP_LEASES = T("2024-04-12T10:06:52.447Z")
CAP_CM = T("2024-04-12T10:07:05.090Z")
CAP_REVISIONS = T("2024-04-12T10:07:31.602Z")
CAP_CONFIGS = T("2024-04-12T10:07:58.284Z")
CAP_ROUTES = T("2024-04-12T10:08:06.733Z")
SIM_END = T("2024-04-12T10:09:00Z")

KNATIVE_INSTALL = T("2024-04-04T13:27:09Z")  # upgrade to 1.12.3 (new ReplicaSets)
CLUSTER_CREATED = T("2023-06-14T09:12:44Z")


class Node:
    def __init__(self, name, ip, cidr, pool, created, bad=False):
        self.name, self.ip, self.cidr, self.pool, self.created, self.bad = name, ip, cidr, pool, created, bad
        self.uid = uid()
        self.machine_id = hexs(32)
        self.system_uuid = hexs(8) + "-" + hexs(4) + "-" + hexs(4) + "-" + hexs(4) + "-" + hexs(12)
        self.boot_id = uid()
        self.instance_id = str(R.randint(10 ** 18, 9 * 10 ** 18))
        self._ip_next = 2

    def pod_ip(self):
        base = self.cidr.split("/")[0].rsplit(".", 1)[0]
        self._ip_next += R.randint(1, 4)
        return "%s.%d" % (base, self._ip_next)


NODES = [
    Node("gke-prod-pool-1-3f9c2a1b-m2vd", "10.128.0.19", "10.48.0.0/24", "pool-1", T("2024-03-02T11:40:17Z")),
    Node("gke-prod-pool-1-3f9c2a1b-q8zt", "10.128.0.21", "10.48.1.0/24", "pool-1", T("2024-03-02T11:40:21Z")),
    Node("gke-prod-pool-1-3f9c2a1b-x7kq", "10.128.0.23", "10.48.2.0/24", "pool-1", T("2024-03-02T11:40:19Z"), bad=True),
    Node("gke-prod-pool-1-3f9c2a1b-w4hn", "10.128.0.26", "10.48.3.0/24", "pool-1", T("2024-03-18T07:02:55Z")),
    Node("gke-prod-pool-2-8e41d0c7-b5nw", "10.128.0.31", "10.48.4.0/24", "pool-2", T("2024-02-21T15:17:03Z")),
    Node("gke-prod-pool-2-8e41d0c7-t9jc", "10.128.0.33", "10.48.5.0/24", "pool-2", T("2024-02-21T15:17:06Z")),
]
NODE = {n.name: n for n in NODES}
BAD = NODE["gke-prod-pool-1-3f9c2a1b-x7kq"]
M2VD, Q8ZT, W4HN = NODE["gke-prod-pool-1-3f9c2a1b-m2vd"], NODE["gke-prod-pool-1-3f9c2a1b-q8zt"], NODE["gke-prod-pool-1-3f9c2a1b-w4hn"]
B5NW, T9JC = NODE["gke-prod-pool-2-8e41d0c7-b5nw"], NODE["gke-prod-pool-2-8e41d0c7-t9jc"]

# The bad node: hung tasks (I/O stalls on the boot disk), the NPD health-checker repairs
# containerd by restarting it, PLEG goes unhealthy, the kubelet posts NotReady for ~40-50 s.
FLAPS = [
    (T("2024-04-12T08:52:05.4Z"), T("2024-04-12T08:52:51.2Z")),
    (T("2024-04-12T09:14:33.1Z"), T("2024-04-12T09:15:20.6Z")),
    (T("2024-04-12T09:41:02.8Z"), T("2024-04-12T09:41:47.3Z")),
    (T("2024-04-12T09:58:10.2Z"), T("2024-04-12T09:58:49.9Z")),
]
# ...and during the last flap the NPD health-checker restarts the kubelet itself
KUBELET_RESTART = T("2024-04-12T09:58:41.37Z")
CONTAINERD_RESTARTS = [T(x) for x in (
    "2024-04-12T08:41:37Z", "2024-04-12T08:44:52Z", "2024-04-12T08:47:13Z", "2024-04-12T08:49:40Z",
    "2024-04-12T08:52:09Z", "2024-04-12T09:13:58Z", "2024-04-12T09:14:37Z", "2024-04-12T09:40:51Z",
    "2024-04-12T09:41:06Z", "2024-04-12T09:47:20Z", "2024-04-12T09:52:05Z", "2024-04-12T09:57:48Z",
    "2024-04-12T09:58:14Z", "2024-04-12T10:01:10Z")]
TASKHUNG = [  # kernel hung_task_timeout_secs=120 -> the kernel reports 2 min after the stall began
    (T("2024-04-12T08:51:12.6Z"), "INFO: task jbd2/sda1-8:412 blocked for more than 120 seconds."),
    (T("2024-04-12T08:51:12.6Z"), "INFO: task containerd:1873 blocked for more than 120 seconds."),
    (T("2024-04-12T08:53:15.1Z"), "INFO: task kworker/u8:3:28914 blocked for more than 120 seconds."),
    (T("2024-04-12T09:13:41.9Z"), "INFO: task jbd2/sda1-8:412 blocked for more than 120 seconds."),
    (T("2024-04-12T09:13:41.9Z"), "INFO: task containerd-shim:4127 blocked for more than 120 seconds."),
    (T("2024-04-12T09:40:37.4Z"), "INFO: task jbd2/sda1-8:412 blocked for more than 120 seconds."),
    (T("2024-04-12T09:40:37.4Z"), "INFO: task otelsvc:9120 blocked for more than 120 seconds."),
    (T("2024-04-12T09:57:52.0Z"), "INFO: task containerd:1873 blocked for more than 120 seconds."),
    (T("2024-04-12T09:57:52.0Z"), "INFO: task fluent-bit:7731 blocked for more than 120 seconds."),
]


def in_flap(t, node=BAD):
    if not node.bad:
        return None
    for a, b in FLAPS:
        if a <= t < b:
            return (a, b)
    return None


def after_flap(t, node):
    w = in_flap(t, node)
    if w:
        return w[1] + R.uniform(0.9, 2.6)
    return t


# ======================================================================================
# client-go event correlator + apiserver event TTL
# ======================================================================================
EVENT_TTL = 3600.0


class Recorder:
    """tools/record: aggregator (10 similar/600 s), logger (count), spam filter (25, 1/300 s)."""

    def __init__(self, component, host="", burst=25, qps=1.0 / 300):
        self.component, self.host, self.burst, self.qps = component, host, burst, qps
        self.buckets = {}
        self.aggr = {}
        self.cache = {}
        self.restart_at = None

    def _maybe_restart(self, t):
        if self.restart_at is not None and t >= self.restart_at:
            self.buckets, self.aggr, self.cache = {}, {}, {}
            self.restart_at = None

    def emit(self, t, obj, etype, reason, message, field_path=None):
        PENDING.append((t, len(PENDING), self, obj, etype, reason, message, field_path))

    def _emit(self, t, obj, etype, reason, message, field_path=None):
        self._maybe_restart(t)
        src = (self.component, self.host)
        okey = (obj["kind"], obj.get("namespace", ""), obj["name"], obj["uid"])
        akey = (src, okey, etype, reason)
        rec = self.aggr.get(akey)
        if rec is None or t - rec["last"] > 600:
            rec = {"keys": set(), "last": t}
            self.aggr[akey] = rec
        rec["last"] = t
        rec["keys"].add((field_path, message))
        if len(rec["keys"]) >= 10:
            message = "(combined from similar events): " + message
            ekey = (src, okey, etype, reason, "__aggregate__")
        else:
            ekey = (src, okey, etype, reason, field_path, message)
        ev = self.cache.get(ekey)
        if ev is None:
            ns = obj.get("namespace") or "default"
            ev = {
                "name": "%s.%x" % (obj["name"], int(t * 1e9) + R.randint(0, 999)),
                "namespace": ns, "obj": obj, "field_path": field_path, "type": etype, "reason": reason,
                "message": message, "first": t, "last": t, "count": 1, "source": src, "written": None,
                "created": None, "stored": None,
            }
            self.cache[ekey] = ev
        else:
            ev["count"] += 1
            ev["last"] = t
            ev["message"] = message
        b = self.buckets.get(okey)
        if b is None:
            b = self.buckets[okey] = [float(self.burst), t]
        b[0] = min(self.burst, b[0] + (t - b[1]) * self.qps)
        b[1] = t
        if b[0] >= 1.0:
            b[0] -= 1.0
            ALL_WRITES.append((t, ev, {"count": ev["count"], "first": ev["first"], "last": ev["last"], "message": ev["message"]}))
        return ev


ALL_WRITES = []  # (time, event, snapshot) in emission order
PENDING = []


def flush_events():
    for t, _, rec, obj, etype, reason, message, fp in sorted(PENDING, key=lambda x: (x[0], x[1])):
        rec._emit(t, obj, etype, reason, message, fp)
    PENDING.clear()


def stored_events(now, namespace):
    """What `kubectl get events` / the dump sees at `now`: last write within the TTL."""
    latest = {}
    created = {}
    writes = sorted(ALL_WRITES, key=lambda w: w[0])
    for t, ev, snap in writes:
        if t > now:
            break
        key = id(ev)
        prev = latest.get(key)
        if prev is None or t - prev[0] > EVENT_TTL:
            created[key] = t
        latest[key] = (t, ev, snap)
    out = []
    for key, (t, ev, snap) in latest.items():
        if now - t > EVENT_TTL or ev["namespace"] != namespace:
            continue
        out.append((t, created[key], ev, snap))
    out.sort(key=lambda x: (x[2]["first"], x[2]["name"]))
    return out


KUBELET = {n.name: Recorder("kubelet", n.name) for n in NODES}
KUBELET[BAD.name].restart_at = KUBELET_RESTART
NODE_CTRL = Recorder("node-controller")
KERNEL_MON = Recorder("kernel-monitor", BAD.name)
SYSTEMD_MON = Recorder("systemd-monitor", BAD.name)
HEALTH_CHK = Recorder("health-checker", BAD.name)
HPA_REC = Recorder("horizontal-pod-autoscaler")
DEPLOY_REC = Recorder("deployment-controller")
RS_REC = Recorder("replicaset-controller")
NEW_API_EVENTS = []  # events.k8s.io recorder (kube-scheduler): series-less single events


# ======================================================================================
# Knative images, pods
# ======================================================================================
def digest():
    return "sha256:" + hexs(64)


IMG = {
    "net-istio-controller": "gcr.io/knative-releases/knative.dev/net-istio/cmd/controller@" + digest(),
    "net-istio-webhook": "gcr.io/knative-releases/knative.dev/net-istio/cmd/webhook@" + digest(),
    "controller": "gcr.io/knative-releases/knative.dev/serving/cmd/controller@" + digest(),
    "activator": "gcr.io/knative-releases/knative.dev/serving/cmd/activator@" + digest(),
    "autoscaler": "gcr.io/knative-releases/knative.dev/serving/cmd/autoscaler@" + digest(),
    "webhook": "gcr.io/knative-releases/knative.dev/serving/cmd/webhook@" + digest(),
}
NET_ISTIO_COMMIT = "916ac51-dirty"
SERVING_COMMIT = "7ec6d2c-dirty"
PKG_VERSION = "knative.dev/pkg@v0.0.0-20231023151236-29775d7c9e5c"


class Pod:
    """A pod and (for simulated containers) its container instances."""

    def __init__(self, ns, name, node, owner_kind, owner_name, owner_uid, created, labels, annotations=None,
                 ip=None, host_network=False):
        self.ns, self.name, self.node = ns, name, node
        self.uid = uid()
        self.owner = (owner_kind, owner_name, owner_uid)
        self.created = created
        self.labels = labels
        self.annotations = annotations or {}
        self.host_network = host_network
        self.ip = node.ip if host_network else (ip or node.pod_ip())
        self.containers = []  # spec dicts (Go order)
        self.sim = {}  # container name -> ContainerSim
        self.deleted = None
        self.rv = rv()
        self.volume = "kube-api-access-" + rstr(5)
        self.extra = {}

    def ref(self, field_path=None):
        d = {"kind": "Pod", "namespace": self.ns, "name": self.name, "uid": self.uid, "apiVersion": "v1",
             "resourceVersion": self.rv}
        if field_path:
            d["fieldPath"] = field_path
        return d


class Instance:
    """One container instance (one 'run')."""

    def __init__(self, start):
        self.start = start
        self.finish = None
        self.exit_code = None
        self.reason = None
        self.cid = "containerd://" + hexs(64)
        self.logs = []  # (time, line)


class ContainerSim:
    def __init__(self, pod, name, baseline_restarts=0):
        self.pod, self.name = pod, name
        self.baseline = baseline_restarts
        self.instances = []
        self.backoff_at = []  # (from, to, value) waiting windows with their back-off message value

    def state_at(self, now):
        """(running Instance or None, last finished Instance or None, restartCount, waiting backoff value)"""
        started = [i for i in self.instances if i.start <= now]
        if not started:
            return None, None, self.baseline, None
        cur = started[-1]
        restarts = self.baseline + len(started) - 1
        finished = [i for i in started if i.finish is not None and i.finish <= now]
        last = finished[-1] if finished else None
        if cur.finish is None or cur.finish > now:
            return cur, last, restarts, None
        value = None
        for a, b, v in self.backoff_at:
            if a <= now < b:
                value = v
        return None, last, restarts, value


def ev_kubelet(pod, t, etype, reason, msg, container=None):
    fp = "spec.containers{%s}" % container if container else None
    return KUBELET[pod.node.name].emit(t, pod.ref(fp), etype, reason, msg, fp)


# ======================================================================================
# net-istio-controller: the crash loop
# ======================================================================================
class NetIstioPod(Pod):
    pass


RS_NETISTIO = "net-istio-controller-5f7c9d8b46"
RS_NETISTIO_UID = uid()
NETISTIO_LABELS = {"app": "net-istio-controller", "app.kubernetes.io/component": "net-istio",
                   "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3",
                   "pod-template-hash": "5f7c9d8b46"}


def mk_netistio(suffix, node, created):
    p = Pod("knative-serving", RS_NETISTIO + "-" + suffix, node, "ReplicaSet", RS_NETISTIO, RS_NETISTIO_UID, created,
            dict(NETISTIO_LABELS), {"sidecar.istio.io/inject": "false"})
    return p


NI_A = mk_netistio("k8x2p", BAD, KNATIVE_INSTALL + 41.3)
NI_B = mk_netistio("zq4wn", BAD, KNATIVE_INSTALL + 41.3)
NI_C = mk_netistio("7m9tr", M2VD, KNATIVE_INSTALL + 41.4)
NETISTIO_PODS = [NI_C, NI_A, NI_B]

LEASE_INGRESS = "net-istio-controller.knative.dev.net-istio.pkg.reconciler.ingress.reconciler.00-of-01"
LEASE_SKS = "net-istio-controller.knative.dev.net-istio.pkg.reconciler.serverlessservice.reconciler.00-of-01"


def zap(t, sev, logger, caller, msg, fields=None, commit=NET_ISTIO_COMMIT, ns_extra=0):
    d = {"severity": sev, "timestamp": rfc3339nano(t, ns_extra or R.randint(0, 999)), "logger": logger,
         "caller": caller, "message": msg, "commit": commit}
    if fields:
        for k, v in fields:
            d[k] = v
    return _zap_encode(d)


def _zap_encode(d):
    # zap writes keys in insertion order and happily repeats a key (knative.dev/controller)
    parts = []
    for k, v in (d.items() if isinstance(d, dict) else d):
        parts.append(json.dumps(k) + ":" + json.dumps(v, ensure_ascii=False))
    s = "{" + ",".join(parts) + "}"
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def zap_fields(t, sev, logger, caller, msg, pairs, commit=NET_ISTIO_COMMIT):
    items = [("severity", sev), ("timestamp", rfc3339nano(t, R.randint(0, 999))), ("logger", logger),
             ("caller", caller), ("message", msg), ("commit", commit)] + list(pairs)
    return _zap_encode(items)


INGRESS_CTRL_FIELDS = [("knative.dev/controller", "istio-ingress-controller"),
                       ("knative.dev/controller", "knative.dev.net-istio.pkg.reconciler.ingress.Reconciler"),
                       ("knative.dev/kind", "networking.internal.knative.dev.Ingress")]
SKS_CTRL_FIELDS = [("knative.dev/controller", "knative.dev.net-istio.pkg.reconciler.serverlessservice.reconciler"),
                   ("knative.dev/kind", "networking.internal.knative.dev.ServerlessService")]

HEALTH_STACK = (
    "knative.dev/pkg/injection.newDefaultProbesHandle.func1\n\t" + PKG_VERSION + "/injection/health_check.go:73\n"
    "net/http.HandlerFunc.ServeHTTP\n\tnet/http/server.go:2136\n"
    "net/http.(*ServeMux).ServeHTTP\n\tnet/http/server.go:2514\n"
    "net/http.serverHandler.ServeHTTP\n\tnet/http/server.go:2938\n"
    "net/http.(*conn).serve\n\tnet/http/server.go:2009")


# ======================================================================================
# Knative Services, Configurations, Revisions (what config-gc with defaults leaves behind)
# ======================================================================================
NOW_GC = T("2024-04-12T10:00:52Z")  # last GC pass of the CI configurations (the 10:00 deploys)
GC_CREATE = 48 * 3600
GC_ACTIVE = 15 * 3600
GC_MIN = 20

KSVC_NAMES = {
    "shop": ["storefront", "checkout", "cart", "pricing", "promotions", "wishlist", "reviews", "order-history",
             "gift-cards", "store-locator", "recommendations", "shop-bff", "inventory-sync"],
    "payments": ["payments-gateway", "refunds", "fraud-score", "ledger-writer", "payout-scheduler", "invoice-pdf",
                 "tax-calc", "card-vault-proxy", "settlement-report", "chargeback-intake", "fx-rates", "billing-events"],
    "search": ["search-api", "autocomplete", "indexer", "synonyms-admin", "query-rewrite", "facet-service",
               "spellcheck", "ranking-features", "search-analytics", "typeahead-cache", "crawler-webhook", "geo-search"],
    "catalog": ["catalog-api", "product-images", "category-tree", "attributes", "bulk-import", "catalog-export",
                "variant-resolver", "brand-pages", "seo-metadata", "catalog-events", "size-charts", "pim-sync"],
    "ml-inference": ["inference-pricing", "inference-ranking", "embedding-service", "feature-store-api",
                     "churn-model", "demand-forecast", "image-tagger", "text-classifier", "anomaly-detector",
                     "reco-two-tower", "model-gateway", "shadow-eval"],
    "notifications": ["email-sender", "sms-sender", "push-gateway", "template-renderer", "digest-builder",
                      "unsubscribe", "webhook-dispatcher", "notification-prefs", "bounce-handler", "in-app-feed",
                      "slack-bridge", "delivery-metrics"],
    "identity": ["auth-api", "token-exchange", "session-store", "mfa-service", "user-profile", "sso-bridge",
                 "password-reset", "consent-service", "audit-writer", "scim-provisioner", "risk-engine", "login-ui"],
    "analytics": ["event-collector", "sessionizer", "attribution", "funnel-api", "report-scheduler",
                  "dashboard-api", "ab-assign", "metrics-export", "clickstream-enricher", "cohort-builder",
                  "kpi-alerts", "query-proxy"],
    "partner-api": ["partner-gateway", "partner-onboarding", "rate-limiter", "partner-webhooks", "catalog-feed",
                    "order-feed", "partner-portal-bff", "api-keys", "sandbox-api", "usage-billing", "partner-docs",
                    "edi-translator", "sftp-bridge"],
    "media": ["image-resizer", "video-transcode-api", "thumbnailer", "cdn-purge", "media-upload", "watermark",
              "asset-metadata", "ocr-service", "media-gallery", "avatar-service", "pdf-render", "media-events"],
    "preview": ["storefront-pr-preview", "checkout-pr-preview", "docs-preview", "design-system-preview",
                "api-mock", "e2e-fixtures", "feature-flags-preview", "visual-diff", "qa-dashboard",
                "staging-proxy", "load-test-target", "preview-router"],
    "legacy-apps": ["legacy-orders", "legacy-reports", "legacy-crm-sync", "soap-adapter", "legacy-auth-shim",
                    "ftp-ingest", "mainframe-bridge", "csv-exporter", "legacy-admin", "batch-status",
                    "old-storefront-redirects", "printing-service"],
}
CI_HOURLY = {("shop", "storefront"), ("payments", "payments-gateway"), ("search", "search-api"),
             ("ml-inference", "inference-pricing")}
CI_FAST = {("preview", "storefront-pr-preview"), ("preview", "checkout-pr-preview")}
NO_GC = {("legacy-apps", "legacy-orders"): 62, ("legacy-apps", "legacy-reports"): 87,
         ("legacy-apps", "mainframe-bridge"): 118}
HUMAN_DEPLOY_DURING_OUTAGE = {("catalog", "catalog-api"): T("2024-04-12T09:22:41Z"),
                              ("identity", "auth-api"): T("2024-04-12T09:48:09Z"),
                              ("notifications", "email-sender"): T("2024-04-12T09:05:33Z")}
CANARY = {("shop", "checkout"), ("payments", "fraud-score"), ("media", "image-resizer"), ("analytics", "attribution")}
TAGGED = {("identity", "token-exchange"), ("partner-api", "partner-gateway"), ("search", "ranking-features")}
OUTAGE_START = T("2024-04-12T08:52:14Z")  # the last moment an Ingress got reconciled

CREATORS = ["system:serviceaccount:ci:argo-deployer", "system:serviceaccount:ci:argo-deployer",
            "system:serviceaccount:ci:argo-deployer", "system:serviceaccount:flux-system:kustomize-controller",
            "maria.kowalski@acme.example", "dev.patel@acme.example", "j.okafor@acme.example",
            "system:serviceaccount:ci:tekton-deployer"]


class KService:
    def __init__(self, ns, name):
        self.ns, self.name = ns, name
        self.svc_uid, self.cfg_uid, self.route_uid = uid(), uid(), uid()
        self.key = (ns, name)
        self.image = "us-docker.pkg.dev/%s/%s/%s" % (PROJECT, ns, name)
        self.creator = R.choice(CREATORS)
        self.revisions = []  # retained, oldest first: dict(n, created, routing, modified, ...)
        self.kind = "mature"
        self.port = R.choice([8080, None, None, None, None, 3000, 9000, None])
        self.min_scale = 1 if R.random() < 0.15 else None
        self.created = None
        self.route_ready = True
        self.traffic = []
        self.status_traffic = []


def _walk_back(last, n, lo, hi):
    ts = [last]
    for _ in range(n - 1):
        ts.append(ts[-1] - R.uniform(lo, hi))
    return list(reversed(ts))


def build_ksvcs():
    out = []
    kinds_pool = []
    for ns, names in KSVC_NAMES.items():
        for name in names:
            out.append(KService(ns, name))
    # pick young services deterministically (not CI, not no-gc)
    candidates = [k for k in out if k.key not in CI_HOURLY | CI_FAST and k.key not in NO_GC
                  and k.key not in HUMAN_DEPLOY_DURING_OUTAGE and k.key not in CANARY | TAGGED]
    young = set(k.key for k in R.sample(candidates, 46))
    for k in out:
        if k.key in CI_HOURLY:
            k.kind = "ci-hourly"
            minute = R.randint(0, 4) * 60 + R.uniform(20, 50)
            start = T("2024-02-26T09:00:00Z") + R.randint(0, 20) * 86400
            first_slot = int((start - T("2024-02-26T00:00:00Z")) // 3600)
            slots = int((T("2024-04-12T10:00:00Z") - T("2024-02-26T00:00:00Z")) // 3600)
            times = [T("2024-02-26T00:00:00Z") + h * 3600 + minute + R.uniform(-4, 9) for h in range(first_slot, slots + 1)]
            k.gen_total = len(times)
            k.created = times[0] - 3600 * 30
            keep_from = NOW_GC - GC_CREATE
            k.all_times = times
            k.kept = [(i + 1, t) for i, t in enumerate(times) if t >= keep_from]
        elif k.key in CI_FAST:
            k.kind = "ci-fast"
            start = T("2024-03-20T00:00:00Z")
            times = []
            t = start + R.uniform(60, 400)
            while t < T("2024-04-12T10:01:00Z"):
                times.append(t)
                t += 900 + R.uniform(-20, 40)
            k.gen_total = len(times)
            k.created = start - 86400 * 3
            keep_from = NOW_GC - GC_CREATE
            k.all_times = times
            k.kept = [(i + 1, t) for i, t in enumerate(times) if t >= keep_from]
        elif k.key in NO_GC:
            k.kind = "no-gc"
            n = NO_GC[k.key]
            first = T("2023-06-20T10:00:00Z") + R.uniform(0, 40) * 86400
            last = T("2024-04-12T07:30:00Z") - R.uniform(2, 30) * 86400
            times = sorted(R.uniform(first, last) for _ in range(n))
            k.gen_total = n
            k.created = first - 3600
            k.all_times = times
            k.kept = [(i + 1, t) for i, t in enumerate(times)]
        elif k.key in young:
            k.kind = "young"
            n = R.choice([1, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 17, 19, 20])
            first = T("2024-04-12T06:00:00Z") - R.uniform(3, 45) * 86400
            times = sorted([first] + [R.uniform(first, T("2024-04-12T08:40:00Z")) for _ in range(n - 1)])
            k.gen_total = n
            k.created = first - R.uniform(5, 60)
            k.all_times = times
            k.kept = [(i + 1, t) for i, t in enumerate(times)]
        else:
            k.kind = "mature"
            g = R.randint(26, 420)
            last = T("2024-04-12T08:30:00Z") - R.expovariate(1 / (4 * 86400))
            if k.key in HUMAN_DEPLOY_DURING_OUTAGE:
                last = HUMAN_DEPLOY_DURING_OUTAGE[k.key]
            times = _walk_back(last, 21, 3 * 3600, 6 * 86400)
            k.gen_total = g
            k.created = times[0] - R.uniform(30, 200) * 86400
            k.all_times = times
            k.kept = [(g - 20 + i, t) for i, t in enumerate(times)]
        _assign_routing(k)
    return out


def _ready_delay():
    return R.uniform(11, 75)


def _assign_routing(k):
    """routingState / routingStateModified / routes, as the labeler leaves them."""
    kept = k.kept
    revs = []
    names = ["%s-%05d" % (k.name, n) for n, _ in kept]
    # the revision after each one (to know when it stopped being routed)
    alltimes = k.all_times
    idx_of = {n: i for i, (n, _) in enumerate(kept)}
    for i, (n, t) in enumerate(kept):
        r = {"n": n, "name": names[i], "created": t, "ready": t + _ready_delay(), "routing": "reserve",
             "modified": None, "routes": None, "uid": uid(), "rv": rv(R.randint(1, 40)),
             "digest": digest(), "active_scale": 0}
        revs.append(r)
    latest = revs[-1]
    # everything but the newest was moved to reserve when the next one took the traffic
    for i, r in enumerate(revs[:-1]):
        nxt = revs[i + 1]
        if nxt["created"] >= OUTAGE_START and k.kind in ("ci-hourly", "ci-fast", "mature"):
            # the Route never became Ready again: the labeler does not clear old targets
            r["routing"] = "active"
            r["modified"] = r["ready"]
            r["routes"] = k.name
        else:
            r["routing"] = "reserve"
            r["modified"] = nxt["ready"] + R.uniform(0.2, 2.5)
    latest["routing"] = "active"
    latest["modified"] = latest["ready"] + R.uniform(0.2, 2.5)
    latest["routes"] = k.name
    # was the route touched after net-istio went down?
    k.route_ready = latest["created"] < OUTAGE_START
    k.outage_revs = [r for r in revs if r["created"] >= OUTAGE_START]
    # traffic spec and status
    if k.key in CANARY and len(revs) >= 2:
        prev = revs[-2]
        prev["routing"], prev["routes"] = "active", k.name
        prev["modified"] = latest["ready"] + R.uniform(0.2, 2.5) if prev["routing"] == "active" else prev["modified"]
        k.traffic = [{"percent": 90, "revisionName": prev["name"]}, {"latestRevision": True, "percent": 10}]
        k.status_traffic = [{"latestRevision": False, "percent": 90, "revisionName": prev["name"]},
                            {"latestRevision": True, "percent": 10, "revisionName": latest["name"]}]
    elif k.key in TAGGED and len(revs) >= 4:
        pinned = revs[-4]
        pinned["routing"], pinned["routes"] = "active", k.name
        k.traffic = [{"latestRevision": True, "percent": 100}, {"percent": 0, "revisionName": pinned["name"], "tag": "stable"}]
        k.status_traffic = [{"latestRevision": True, "percent": 100, "revisionName": latest["name"]},
                            {"latestRevision": False, "percent": 0, "revisionName": pinned["name"], "tag": "stable",
                             "url": "http://stable-%s.%s.apps.acme.example" % (k.name, k.ns)}]
    else:
        k.traffic = [{"latestRevision": True, "percent": 100}]
        served = latest
        if not k.route_ready:
            pre = [r for r in revs if r["created"] < OUTAGE_START]
            served = pre[-1] if pre else latest
        k.status_traffic = [{"latestRevision": True, "percent": 100, "revisionName": served["name"]}]
    # scale: active+served revisions may have pods
    for r in revs:
        if r["routing"] == "active" and (k.min_scale or R.random() < 0.55):
            r["active_scale"] = k.min_scale or R.choice([1, 1, 1, 2, 2, 3, 4])
    k.revisions = revs


KSVCS = build_ksvcs()
ALL_REVS = [(k, r) for k in KSVCS for r in k.revisions]
N_REV = len(ALL_REVS)
N_KSVC = len(KSVCS)


# ======================================================================================
# The informer population net-istio-controller lists at start (cluster-wide)
# ======================================================================================
def informer_population():
    sks = ["%s/%s" % (k.ns, r["name"]) for k, r in ALL_REVS]
    svcs = []
    for k, r in ALL_REVS:
        svcs.append("%s/%s" % (k.ns, r["name"]))
        svcs.append("%s/%s-private" % (k.ns, r["name"]))
    svcs += ["%s/%s" % (k.ns, k.name) for k in KSVCS]
    vs = []
    for k in KSVCS:
        vs += ["%s/%s-ingress" % (k.ns, k.name), "%s/%s-mesh" % (k.ns, k.name)]
    secrets = []
    for k in KSVCS:
        secrets.append("%s/sh.helm.release.v1.%s.v%d" % (k.ns, k.name, R.randint(3, 90)))
    for ns in KSVC_NAMES:
        secrets += ["%s/%s" % (ns, x) for x in ("default-token-legacy", "registry-pull", "otel-agent-config", "app-secrets")]
    pods = ["%s/%s-deployment-%s-%s" % (k.ns, r["name"], rstr(10), rstr(5)) for k, r in ALL_REVS if r["active_scale"]]
    return {
        "Service": (svcs, 220), "Endpoints": (list(svcs[:-len(KSVCS)]), 190), "ServerlessService": (sks, 0),
        "VirtualService": (vs, 0), "Secret": (secrets, 1400), "Pod": (pods, 610), "Ingress": (["%s/%s" % (k.ns, k.name) for k in KSVCS], 0),
    }


POP = informer_population()
INFORMER_SIZE = {kind: len(v[0]) + v[1] for kind, v in POP.items()}


SYS_SECRETS = (["istio-system/istio.%s" % x for x in ("default", "istiod", "istio-ingressgateway-service-account", "knative-local-gateway")] +
               ["%s/%s-token-%s" % (ns, sa, rstr(5)) for ns in ("kube-system", "monitoring", "istio-system", "cert-manager", "argocd", "ci", "flux-system")
                for sa in ("default", "builder", "deployer", "replicaset-controller", "prometheus-k8s", "argocd-server") if R.random() < 0.5] +
               ["monitoring/prometheus-k8s-tls-assets-0", "monitoring/alertmanager-main-generated", "cert-manager/cert-manager-webhook-ca",
                "knative-serving/routing-serving-certs", "knative-serving/webhook-certs", "knative-serving/net-istio-webhook-server-certs",
                "argocd/argocd-secret", "ci/registry-credentials", "ci/github-app-key"] +
               ["%s/sh.helm.release.v1.%s.v%d" % (R.choice(["monitoring", "cert-manager", "argocd", "istio-system"]), n, R.randint(1, 40))
                for n in ("kube-prometheus-stack", "cert-manager", "argo-cd", "istiod", "istio-base", "loki", "tempo", "external-dns")])


def pick_id(kind, depth_frac):
    names, extra = POP[kind]
    if kind == "Secret" and R.random() < extra / (len(names) + extra + 1):
        return R.choice(SYS_SECRETS)
    if R.random() < extra / (len(names) + extra + 1):
        sysns = {"Service": ["istio-system/istiod", "kube-system/kube-dns", "monitoring/prometheus-operated",
                             "istio-system/knative-local-gateway", "cert-manager/cert-manager-webhook"],
                 "Endpoints": ["kube-system/kube-dns", "istio-system/istio-ingressgateway", "monitoring/alertmanager-operated"],
                 "Secret": ["istio-system/istio-ca-secret", "monitoring/prometheus-k8s-tls-assets-0",
                            "cert-manager/cert-manager-webhook-ca", "knative-serving/routing-serving-certs"],
                 "Pod": ["istio-system/istio-ingressgateway-6d4b7c9f8-%s" % rstr(5),
                         "monitoring/prometheus-k8s-0", "kube-system/fluentbit-gke-%s" % rstr(5)]}[kind]
        return R.choice(sysns)
    i = int((1 - depth_frac) * (len(names) - 1))
    i = max(0, min(len(names) - 1, i + R.randint(-25, 25)))
    return names[i]


# ======================================================================================
# net-istio-controller: simulation of every container instance
# ======================================================================================
class Run(Instance):
    pass


def liveness_msg(p, kind):
    if kind == "refused":
        return 'Liveness probe failed: Get "http://%s:8080/health": dial tcp %s:8080: connect: connection refused' % (p.ip, p.ip)
    return 'Liveness probe failed: Get "http://%s:8080/health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)' % p.ip


def readiness_msg(p, kind):
    if kind == "refused":
        return 'Readiness probe failed: Get "http://%s:8080/readiness": dial tcp %s:8080: connect: connection refused' % (p.ip, p.ip)
    if kind == "500":
        return "Readiness probe failed: HTTP probe failed with statuscode: 500"
    return 'Readiness probe failed: Get "http://%s:8080/readiness": context deadline exceeded (Client.Timeout exceeded while awaiting headers)' % p.ip


def next_tick(phase, t, period=5.0):
    k = -(-(t - phase) // period)
    return phase + k * period


class NetIstioSim:
    def __init__(self, pod, baseline, pre_start, sync_range, leader_uuid=None):
        self.pod = pod
        self.cs = ContainerSim(pod, "controller", baseline)
        pod.sim["controller"] = self.cs
        self.phaseL = R.uniform(0, 5)
        self.phaseR = R.uniform(0, 5)
        self.sync_range = sync_range
        self.pre = Instance(pre_start)
        self.pre.uuid = leader_uuid or uid()
        self.cs.instances.append(self.pre)
        self.entry = None  # kubelet back-off entry (value, lastUpdate)
        self.img = IMG["net-istio-controller"]

    # kubelet flowcontrol.Backoff
    def in_backoff(self, finished, now):
        if self.entry is None or finished - self.entry[1] > 600:
            return False
        return now - finished < self.entry[0]

    def next_backoff(self, finished, now):
        if self.entry is None or finished - self.entry[1] > 600:
            self.entry = (10, now)
        else:
            self.entry = (min(self.entry[0] * 2, 300), now)

    def probes_until_kill(self, first_ok, listen, t_from, slow_first=False):
        """Liveness worker: returns (kill time, list of (t_result, kind))."""
        p = self.pod
        tick = next_tick(self.phaseL, t_from)
        fails, res = 0, []
        while True:
            tick += R.uniform(-0.004, 0.012)
            if tick < listen:
                kind, tres = "refused", tick + R.uniform(0.0008, 0.004)
            elif tick >= first_ok and R.random() < 0.02 and not slow_first:
                kind, tres = "ok", tick + R.uniform(0.2, 0.95)
            else:
                kind, tres = "timeout", tick + 1.0 + R.uniform(0.0002, 0.003)
            if kind == "ok":
                fails = 0
            else:
                fails += 1
                res.append((tres, kind))
            if fails == 6:
                return tres + R.uniform(0.004, 0.03), res
            tick = next_tick(self.phaseL, tick + 0.5)

    def simulate(self, phase1):
        p = self.pod
        # ---- phase 1: the long-running instance that the node stall / promotion killed
        kill, fin, code, probes, rprobes = phase1
        self.pre.finish, self.pre.exit_code = fin, code
        self.pre.reason = "Completed" if code == 0 else "Error"
        self.pre.kill = kill
        for t, kind in probes:
            ev_kubelet(p, t, "Warning", "Unhealthy", liveness_msg(p, kind), "controller")
        for t, kind in rprobes:
            ev_kubelet(p, t, "Warning", "Unhealthy", readiness_msg(p, kind), "controller")
        ev_kubelet(p, kill, "Normal", "Killing", "Container controller failed liveness probe, will be restarted", "controller")
        finished = fin
        while True:
            t = finished + R.uniform(0.25, 1.1)
            wait_from = None
            while True:
                t = after_flap(t, p.node)
                if p.node is BAD and self.entry is not None and self.entry[1] < KUBELET_RESTART <= t:
                    if wait_from is not None:
                        self.cs.backoff_at.append((wait_from, t, self.entry[0]))
                        wait_from = None
                    self.entry = None  # the restarted kubelet has no back-off memory
                    self.phaseL, self.phaseR = R.uniform(0, 5), R.uniform(0, 5)
                if self.in_backoff(finished, t):
                    if wait_from is None:
                        wait_from = t
                    ev_kubelet(p, t, "Warning", "BackOff",
                               "Back-off restarting failed container controller in pod %s_%s(%s)" % (p.name, p.ns, p.uid),
                               "controller")
                    t += R.uniform(10, 15)
                    if t > SIM_END:
                        self.cs.backoff_at.append((wait_from, SIM_END + 1, self.entry[0]))
                        return
                    continue
                if wait_from is not None:
                    self.cs.backoff_at.append((wait_from, t, self.entry[0]))
                self.next_backoff(finished, t)
                break
            if t > SIM_END:
                return
            finished = self.run(t)

    def run(self, t_sync):
        p = self.pod
        ev_kubelet(p, t_sync, "Normal", "Pulled", 'Container image "%s" already present on machine' % self.img, "controller")
        t_created = t_sync + R.uniform(0.03, 0.12)
        ev_kubelet(p, t_created, "Normal", "Created", "Created container controller", "controller")
        S = t_created + R.uniform(0.25, 0.7)
        ev_kubelet(p, S + R.uniform(0.005, 0.02), "Normal", "Started", "Started container controller", "controller")
        run = Run(S)
        run.uuid = uid()
        self.cs.instances.append(run)
        seen = S + R.uniform(0.3, 1.1)
        lo, hi = self.sync_range
        if in_flap(S, p.node) or in_flap(S + 10, p.node):
            lo, hi = lo + 2.0, hi + 3.0
        run.sync_done = S + R.uniform(lo, hi)
        run.listen = run.sync_done + R.uniform(0.05, 0.45)
        kill, lprobes = self.probes_until_kill(run.listen + 0.5, run.listen, seen)
        if p.node is BAD and seen < KUBELET_RESTART < kill:
            # new probe workers after the kubelet restart: the failure count starts over
            self.phaseL, self.phaseR = R.uniform(0, 5), R.uniform(0, 5)
            lprobes = [x for x in lprobes if x[0] < FLAPS[-1][0]]
            kill, more = self.probes_until_kill(run.listen + 0.5, run.listen, FLAPS[-1][1] + 1.5)
            lprobes += more
        kill = after_flap(kill, p.node) if in_flap(kill, p.node) else kill
        run.kill = kill
        run.sigterm = kill + R.uniform(0.03, 0.25)
        run.finish = run.sigterm + R.uniform(0.6, 2.4)
        run.exit_code, run.reason = 0, "Completed"
        for t, kind in lprobes:
            ev_kubelet(p, t, "Warning", "Unhealthy", liveness_msg(p, kind), "controller")
        ev_kubelet(p, kill, "Normal", "Killing", "Container controller failed liveness probe, will be restarted", "controller")
        # readiness worker (continues while the container terminates)
        r = next_tick(self.phaseR, seen)
        run.r500 = []
        while r < run.finish - 0.05:
            r += R.uniform(-0.004, 0.012)
            if r < run.listen:
                ev_kubelet(p, r + R.uniform(0.0008, 0.004), "Warning", "Unhealthy", readiness_msg(p, "refused"), "controller")
            elif r < run.sigterm:
                if r + 1.0 < run.finish:
                    if R.random() < 0.05:
                        pass  # an answer made it back in time
                    else:
                        ev_kubelet(p, r + 1.0 + R.uniform(0.0002, 0.002), "Warning", "Unhealthy",
                                   readiness_msg(p, "timeout"), "controller")
            elif r < run.sigterm + 0.3:
                ev_kubelet(p, r + R.uniform(0.01, 0.09), "Warning", "Unhealthy", readiness_msg(p, "500"), "controller")
                run.r500.append(r)
            else:
                ev_kubelet(p, r + R.uniform(0.0008, 0.004), "Warning", "Unhealthy", readiness_msg(p, "refused"), "controller")
            r = next_tick(self.phaseR, r + 0.5)
        run.lprobes = lprobes
        net_istio_logs(self, run)
        return run.finish


def klog_trace(t_start, total, name, fields, steps=()):
    tid = R.randint(0, 2 ** 31 - 1)
    t_end = t_start + total
    head = klog_header("I", t_end, "trace.go:236") + 'Trace[%d]: "%s" %s(%s) (total time: %dms):' % (
        tid, name, (fields + " ") if fields else "", trace_start(t_start), int(total * 1000))
    lines = [head]
    for msg, sfields, dur, at in steps:
        lines.append('Trace[%d]: ---"%s" %s%dms (%s)' % (tid, msg, (sfields + " ") if sfields else "", int(dur * 1000), hms_milli(at)))
    d = go_duration(total)
    lines.append("Trace[%d]: [%s] [%s] END" % (tid, d, d))
    return t_end, lines


def net_istio_logs(sim, run):
    p = sim.pod
    S = run.start
    L = run.logs
    ident = "%s_%s" % (p.name, run.uuid)
    t = S + R.uniform(0.004, 0.03)
    for what in ("Registering 3 clients", "Registering 5 informer factories", "Registering 8 informers",
                 "Registering 2 controllers"):
        L.append((t, "%s %s" % (stdlog(t), what)))
        t += R.uniform(0.00002, 0.0003)
    t = S + R.uniform(0.45, 1.15)
    L.append((t, zap(t, "INFO", "net-istio-controller", "profiling/server.go:65", "Profiling enabled: false")))
    t += R.uniform(0.008, 0.07)
    L.append((t, zap(t, "INFO", "net-istio-controller", "leaderelection/context.go:47", "Running with Standard leader election")))
    t += R.uniform(0.02, 0.14)
    L.append((t, zap(t, "INFO", "net-istio-controller", "sharedmain/main.go:283", "Starting configuration manager...")))
    t += R.uniform(0.06, 0.3)
    L.append((t, _zap_encode([("level", "info"), ("ts", float("%.7f" % t)), ("logger", "fallback"),
                              ("caller", "injection/injection.go:63"), ("msg", "Starting informers...")])))
    t_inf = t
    sync = run.sync_done
    span = sync - t_inf
    # when each informer's initial LIST lands and when its DeltaFIFO is drained
    plan = {
        "Ingress": (0.04, 0.10, 0.22), "VirtualService": (0.05, 0.12, 0.30), "Pod": (0.10, 0.20, 0.42),
        "Secret": (0.12, 0.25, 0.55), "ServerlessService": (0.15, 0.28, 0.70), "Service": (0.30, 0.50, 0.97),
        "Endpoints": (0.42, 0.74, 0.995),
    }
    windows = {}
    for kind, (a, b, c) in plan.items():
        land = t_inf + span * R.uniform(a, b)
        drain = t_inf + span * min(0.999, c * R.uniform(0.96, 1.0))
        windows[kind] = (land, drain)
    tr = t_inf + R.uniform(0.3, 0.7)
    traces = []
    while tr < sync - 0.08:
        live = [k for k, (a, b) in windows.items() if a <= tr < b]
        if live:
            weights = [INFORMER_SIZE[k] for k in live]
            kind = R.choices(live, weights)[0]
            a, b = windows[kind]
            frac = 1 - (tr - a) / (b - a)
            depth = int(INFORMER_SIZE[kind] * frac)
            if depth > 10:
                total = min(1.4, 0.1 + R.expovariate(1 / 0.09) + (0.25 if p.node.bad and R.random() < 0.3 else 0))
                key = pick_id(kind, frac)
                traces.append(klog_trace(tr, total, "DeltaFIFO Pop Process",
                                         "ID:%s,Depth:%d,Reason:slow event handlers blocking the queue" % (key, depth)))
                tr += total
        tr += R.expovariate(1 / (0.38 if p.node.bad else 0.5))
    # big LISTs that took more than 10s to arrive and decode (the reflector's own 10s trace threshold)
    for kind in ("Endpoints", "Service"):
        land = windows[kind][0]
        t0 = t_inf + R.uniform(0.02, 0.09)
        if land - t0 > 10.0:
            traces.append(klog_trace(t0, land - t0, "Reflector ListAndWatch", "name:k8s.io/client-go/informers/factory.go:150",
                                     [("Objects listed", "error:<nil>", land - t0 - R.uniform(0.001, 0.004), land - 0.002)]))
    for t_end, lines in traces:
        L.append((t_end, "\n".join(lines)))
    L.append((sync, zap(sync, "INFO", "net-istio-controller", "sharedmain/main.go:311", "Starting controllers...")))
    t = sync + R.uniform(0.0005, 0.01)
    order = [("ingress", LEASE_INGRESS, "net-istio-controller.istio-ingress-controller", INGRESS_CTRL_FIELDS),
             ("sks", LEASE_SKS, "net-istio-controller", SKS_CTRL_FIELDS)]
    R.shuffle(order)
    for _, lease, lname, fields in order:
        L.append((t, zap(t, "INFO", "net-istio-controller", "leaderelection/context.go:149",
                         '%s will run in leader-elected mode with id "%s"' % (lease, ident))))
        t2 = t + R.uniform(0.0001, 0.004)
        L.append((t2, klog_header("I", t2, "leaderelection.go:245") + "attempting to acquire leader lease knative-serving/%s..." % lease))
        t += R.uniform(0.0002, 0.02)
        L.append((t, zap_fields(t, "INFO", lname, "controller/controller.go:486", "Starting controller and workers", fields)))
        t += R.uniform(0.00005, 0.004)
        L.append((t, zap_fields(t, "INFO", lname, "controller/controller.go:496", "Started workers", fields)))
        t += R.uniform(0.0005, 0.03)
    L.append((run.listen, zap(run.listen, "INFO", "net-istio-controller", "injection/health_check.go:43",
                              "Probes server listening on port 8080")))
    # SIGTERM: late probe handlers see the cancelled signal context
    tt = run.sigterm + R.uniform(0.01, 0.08)
    late = len(run.r500) + (1 if R.random() < 0.35 else 0)
    for _ in range(late):
        L.append((tt, zap(tt, "INFO", "net-istio-controller", "injection/health_check.go:66", "Signal context canceled")))
        tt += R.uniform(0.00003, 0.0004)
        L.append((tt, zap_fields(tt, "ERROR", "net-istio-controller", "injection/health_check.go:73",
                                 "Healthcheck failed: received SIGTERM from kubelet", [("stacktrace", HEALTH_STACK)])))
        tt += R.uniform(0.002, 0.05)
    ends = []
    for _, lease, lname, fields in order:
        ends.append(("w", lname, fields))
        ends.append(("l", lease, None))
    R.shuffle(ends)
    ends.sort(key=lambda e: 0 if e[0] == "w" or R.random() < 0.2 else 1)
    te = max(tt, run.sigterm + R.uniform(0.02, 0.12))
    for kind, a, b in ends:
        if kind == "w":
            L.append((te, zap_fields(te, "INFO", a, "controller/controller.go:498", "Shutting down workers", b)))
        else:
            L.append((te, zap(te, "INFO", "net-istio-controller", "leaderelection/context.go:167",
                              '"%s" has stopped leading "%s"' % (ident, a))))
        te += R.uniform(0.0001, 0.01)
    assert te < run.finish, (te, run.finish)
    L.sort(key=lambda x: x[0])


def phase1(sim, stall_from, kill_grace_exit):
    """The long-running instance: probes start timing out at `stall_from`; killed at the 6th."""
    kill, probes = sim.probes_until_kill(1e18, -1e18, stall_from, slow_first=True)
    rprobes = []
    r = next_tick(sim.phaseR, stall_from)
    while r < kill:
        rprobes.append((r + 1.0 + R.uniform(0.0002, 0.002), "timeout"))
        r = next_tick(sim.phaseR, r + 0.5)
    fin = kill + 30.0 + R.uniform(0.05, 0.4) if kill_grace_exit == 137 else kill + R.uniform(0.8, 2.5)
    return kill, fin, kill_grace_exit, probes, rprobes


SIM_A = NetIstioSim(NI_A, 2, T("2024-04-11T16:24:37Z"), (13.0, 18.5))
SIM_B = NetIstioSim(NI_B, 1, T("2024-04-11T16:31:05Z"), (13.0, 18.5))
SIM_C = NetIstioSim(NI_C, 0, KNATIVE_INSTALL + 52.7, (10.8, 14.2))
C_LEADER_ACQUIRE = {LEASE_INGRESS: T("2024-04-12T08:52:14.611402Z"), LEASE_SKS: T("2024-04-12T08:52:19.930178Z")}


def simulate_netistio():
    SIM_A.simulate(phase1(SIM_A, T("2024-04-12T08:51:05.3Z"), 137))
    SIM_B.simulate(phase1(SIM_B, T("2024-04-12T08:51:09.8Z"), 137))
    SIM_C.simulate(phase1(SIM_C, T("2024-04-12T08:52:16.2Z"), 137))
    # node-controller marks the pods of the bad node NotReady at every flap
    for a, b in FLAPS:
        for p in BAD_PODS():
            NODE_CTRL.emit(a + R.uniform(0.4, 4.9), {k: v for k, v in p.ref().items() if k != "fieldPath"},
                           "Warning", "NodeNotReady", "Node is not ready")


def BAD_PODS():
    return [p for p in ALL_PODS if p.node is BAD and p.deleted is None]


# ======================================================================================
# Pod specs (Go field order, defaults filled in the way the API server stores them)
# ======================================================================================
def env_field(name, path):
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


def env_val(name, value):
    return {"name": name, "value": value}


def http_probe(path, port, period, failure, initial=0, scheme="HTTP", headers=None, timeout=1):
    hg = {"path": path, "port": port, "scheme": scheme}
    if headers:
        hg["httpHeaders"] = [{"name": k, "value": v} for k, v in headers]
    pr = {"httpGet": hg}
    if initial:
        pr["initialDelaySeconds"] = initial
    pr.update({"timeoutSeconds": timeout, "periodSeconds": period, "successThreshold": 1, "failureThreshold": failure})
    return pr


KN_SC = {"capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True, "readOnlyRootFilesystem": True,
         "allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}


def container(name, image, ports=(), env=(), limits=None, requests=None, liveness=None, readiness=None,
              mounts=(), sc=None, args=None, command=None, pull="IfNotPresent"):
    c = {"name": name, "image": image}
    if command:
        c["command"] = list(command)
    if args:
        c["args"] = list(args)
    if ports:
        c["ports"] = [dict([("name", n)] if n else []) | {"containerPort": p, "protocol": proto} for n, p, proto in ports]
    if env:
        c["env"] = list(env)
    res = {}
    if limits:
        res["limits"] = limits
    if requests:
        res["requests"] = requests
    c["resources"] = res
    if mounts:
        c["volumeMounts"] = [dict([("name", n)] + ([("readOnly", True)] if ro else []) + [("mountPath", m)]) for n, m, ro in mounts]
    if liveness:
        c["livenessProbe"] = liveness
    if readiness:
        c["readinessProbe"] = readiness
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    c["imagePullPolicy"] = pull
    if sc:
        c["securityContext"] = sc
    return c


def kn_env(component_pod_name=True, pod_ip=False, metrics="knative.dev/internal/serving", extra=()):
    e = []
    if component_pod_name:
        e.append(env_field("POD_NAME", "metadata.name"))
    if pod_ip:
        e.append(env_field("POD_IP", "status.podIP"))
    e += [env_field("SYSTEM_NAMESPACE", "metadata.namespace"), env_val("CONFIG_LOGGING_NAME", "config-logging"),
          env_val("CONFIG_OBSERVABILITY_NAME", "config-observability")]
    e += list(extra)
    e.append(env_val("METRICS_DOMAIN", metrics))
    return e


def netistio_container():
    return container(
        "controller", IMG["net-istio-controller"],
        ports=[("metrics", 9090, "TCP"), ("profiling", 8008, "TCP"), ("probes", 8080, "TCP")],
        env=kn_env(False, metrics="knative.dev/net-istio",
                   extra=[env_val("ENABLE_SECRET_INFORMER_FILTERING_BY_CERT_UID", "false")]),
        limits={"cpu": "300m", "memory": "400Mi"}, requests={"cpu": "30m", "memory": "40Mi"},
        liveness=http_probe("/health", "probes", 5, 6), readiness=http_probe("/readiness", "probes", 5, 3),
        sc=KN_SC)


def with_mount(c, vol):
    c = dict(c)
    items = list(c.items())
    out = {}
    for k, v in items:
        if k == "livenessProbe" or k == "readinessProbe" or k == "terminationMessagePath":
            if "volumeMounts" not in out:
                out["volumeMounts"] = list(c.get("volumeMounts", [])) + [
                    {"name": vol, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
        if k == "volumeMounts":
            continue
        out[k] = v
    return out


def kube_api_volume(name):
    return {"name": name, "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ], "defaultMode": 420}}


DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]
DS_TOLERATIONS = [
    {"operator": "Exists", "effect": "NoExecute"}, {"operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


ALL_PODS = []
WORKLOADS = []  # (kind, ns, name, dict)


def add_pod(p, containers, sa="default", grace=30, priority=0, priority_class=None, tolerations=None,
            host_network=False, volumes=(), node_selector=None, dns="ClusterFirst", api_volume=True, sc=None):
    vols = list(volumes)
    cs = []
    for c in containers:
        cs.append(with_mount(c, p.volume) if api_volume else c)
    if api_volume:
        vols.append(kube_api_volume(p.volume))
    spec = {"volumes": vols, "containers": cs, "restartPolicy": "Always", "terminationGracePeriodSeconds": grace,
            "dnsPolicy": dns}
    if node_selector:
        spec["nodeSelector"] = node_selector
    spec["serviceAccountName"] = sa
    spec["serviceAccount"] = sa
    spec["nodeName"] = p.node.name
    if host_network:
        spec["hostNetwork"] = True
    spec["securityContext"] = sc or {}
    spec["schedulerName"] = "default-scheduler"
    spec["tolerations"] = tolerations if tolerations is not None else DEFAULT_TOLERATIONS
    if priority_class:
        spec["priorityClassName"] = priority_class
    spec["priority"] = priority
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerThanOrEqual"
    p.spec = spec
    for c in cs:
        if c["name"] not in p.sim:
            cs_ = ContainerSim(p, c["name"])
            inst = Instance(p.created + R.uniform(2.0, 9.0))
            cs_.instances.append(inst)
            p.sim[c["name"]] = cs_
    ALL_PODS.append(p)
    return p


def kn_pod(deploy, rs_hash, rs_uid, suffix, node, created, extra_labels=None):
    labels = {"app": deploy, "app.kubernetes.io/component": {"activator": "activator", "autoscaler": "autoscaler",
              "controller": "controller", "webhook": "webhook", "net-istio-webhook": "net-istio"}.get(deploy, deploy),
              "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3",
              "pod-template-hash": rs_hash}
    if extra_labels:
        labels.update(extra_labels)
    ann = {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"} if deploy in ("activator",) else {}
    return Pod("knative-serving", "%s-%s-%s" % (deploy, rs_hash, suffix), node, "ReplicaSet", "%s-%s" % (deploy, rs_hash),
               rs_uid, created, labels, ann)


KN_RS = {}


def kn_rs(deploy):
    h = rstr(10)
    if deploy == "net-istio-controller":
        h = "5f7c9d8b46"
    KN_RS[deploy] = (h, RS_NETISTIO_UID if deploy == "net-istio-controller" else uid(), uid())
    return KN_RS[deploy]


for _dep in ("activator", "autoscaler", "controller", "webhook", "net-istio-webhook", "net-istio-controller"):
    kn_rs(_dep)


def activator_container():
    return container("activator", IMG["activator"],
                     ports=[("metrics", 9090, "TCP"), ("profiling", 8008, "TCP"), ("http1", 8012, "TCP"), ("h2c", 8013, "TCP")],
                     env=[env_val("GOGC", "500")] + kn_env(True, True),
                     limits={"cpu": "1", "memory": "600Mi"}, requests={"cpu": "300m", "memory": "60Mi"},
                     liveness=http_probe("/", 8012, 10, 12, initial=15, headers=[("k-kubelet-probe", "activator")]),
                     readiness=http_probe("/", 8012, 5, 5, headers=[("k-kubelet-probe", "activator")]), sc=KN_SC)


def build_knative_pods():
    h, rsu, _ = KN_RS["activator"]
    act1 = kn_pod("activator", h, rsu, rstr(5), BAD, KNATIVE_INSTALL + 38.2)
    act2 = kn_pod("activator", h, rsu, rstr(5), Q8ZT, KNATIVE_INSTALL + 38.2)
    act3 = kn_pod("activator", h, rsu, rstr(5), W4HN, T("2024-04-12T09:31:07.9Z"))
    act3.deleted = T("2024-04-12T09:47:24.3Z")
    for p in (act1, act2, act3):
        add_pod(p, [activator_container()], sa="activator", grace=600)
    h, rsu, _ = KN_RS["autoscaler"]
    au = kn_pod("autoscaler", h, rsu, rstr(5), T9JC, KNATIVE_INSTALL + 37.5)
    add_pod(au, [container("autoscaler", IMG["autoscaler"],
                           ports=[("metrics", 9090, "TCP"), ("profiling", 8008, "TCP"), ("websocket", 8080, "TCP")],
                           env=kn_env(True, True), limits={"cpu": "1", "memory": "1000Mi"},
                           requests={"cpu": "100m", "memory": "100Mi"},
                           liveness=http_probe("/", "websocket", 10, 6, headers=[("k-kubelet-probe", "autoscaler")]),
                           readiness=http_probe("/", "websocket", 10, 3, headers=[("k-kubelet-probe", "autoscaler")]),
                           sc=KN_SC)], sa="controller")
    h, rsu, _ = KN_RS["controller"]
    ct = kn_pod("controller", h, rsu, rstr(5), B5NW, KNATIVE_INSTALL + 39.0)
    add_pod(ct, [container("controller", IMG["controller"],
                           ports=[("metrics", 9090, "TCP"), ("profiling", 8008, "TCP"), ("probes", 8080, "TCP")],
                           env=kn_env(True), limits={"cpu": "1", "memory": "1000Mi"},
                           requests={"cpu": "100m", "memory": "100Mi"},
                           liveness=http_probe("/health", "probes", 5, 6), readiness=http_probe("/readiness", "probes", 5, 3),
                           sc=KN_SC)], sa="controller")
    h, rsu, _ = KN_RS["webhook"]
    wh = kn_pod("webhook", h, rsu, rstr(5), Q8ZT, KNATIVE_INSTALL + 39.6, {"role": "webhook"})
    add_pod(wh, [container("webhook", IMG["webhook"],
                           ports=[("metrics", 9090, "TCP"), ("profiling", 8008, "TCP"), ("https-webhook", 8443, "TCP")],
                           env=kn_env(True, extra=[env_val("WEBHOOK_NAME", "webhook"), env_val("WEBHOOK_PORT", "8443")]),
                           limits={"cpu": "500m", "memory": "500Mi"}, requests={"cpu": "100m", "memory": "100Mi"},
                           liveness=http_probe("/", 8443, 1, 6, initial=20, scheme="HTTPS", headers=[("k-kubelet-probe", "webhook")]),
                           readiness=http_probe("/", 8443, 1, 3, scheme="HTTPS", headers=[("k-kubelet-probe", "webhook")]),
                           sc=KN_SC)], sa="controller", grace=300)
    h, rsu, _ = KN_RS["net-istio-webhook"]
    nw = kn_pod("net-istio-webhook", h, rsu, rstr(5), W4HN, KNATIVE_INSTALL + 41.0, {"role": "net-istio-webhook"})
    nw.labels.pop("app.kubernetes.io/component", None)
    nw.labels = {"app": "net-istio-webhook", "app.kubernetes.io/component": "net-istio",
                 "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3",
                 "pod-template-hash": h, "role": "net-istio-webhook"}
    nw.annotations = {"sidecar.istio.io/inject": "false"}
    add_pod(nw, [container("webhook", IMG["net-istio-webhook"],
                           ports=[("metrics", 9090, "TCP"), ("profiling", 8008, "TCP"), ("https-webhook", 8443, "TCP")],
                           env=kn_env(False, metrics="knative.dev/net-istio",
                                      extra=[env_val("WEBHOOK_NAME", "net-istio-webhook"), env_val("WEBHOOK_PORT", "8443")]),
                           limits={"cpu": "200m", "memory": "200Mi"}, requests={"cpu": "20m", "memory": "20Mi"},
                           liveness=http_probe("/", 8443, 1, 6, initial=20, scheme="HTTPS", headers=[("k-kubelet-probe", "webhook")]),
                           readiness=http_probe("/", 8443, 1, 3, scheme="HTTPS", headers=[("k-kubelet-probe", "webhook")]),
                           sc=KN_SC)], sa="controller")
    for p in NETISTIO_PODS:
        add_pod(p, [netistio_container()], sa="controller")
    return {"activator": [act1, act2, act3], "autoscaler": au, "controller": ct, "webhook": wh, "net-istio-webhook": nw}


KN = build_knative_pods()


# ======================================================================================
# kube-system (GKE 1.26 add-ons) and, for `describe node` only, pods of other namespaces
# ======================================================================================
GKE_IMG = {
    "kube-proxy": "gke.gcr.io/kube-proxy-amd64:v1.26.12-gke.1111000",
    "fluentbit": "gke.gcr.io/fluent-bit:v1.8.12-gke.25",
    "fluentbit-gke": "gke.gcr.io/fluent-bit-gke-exporter:v0.24.0-gke.1",
    "gke-metrics-agent": "gke.gcr.io/gke-metrics-agent:1.10.3-gke.2",
    "core-metrics-exporter": "gke.gcr.io/gke-metrics-agent:1.10.3-gke.2",
    "csi-driver-registrar": "gke.gcr.io/csi-node-driver-registrar:v2.9.0-gke.3",
    "gce-pd-driver": "gke.gcr.io/gcp-compute-persistent-disk-csi-driver:v1.10.1-gke.5",
    "kubedns": "gke.gcr.io/k8s-dns-kube-dns:1.22.28-gke.3",
    "dnsmasq": "gke.gcr.io/k8s-dns-dnsmasq-nanny:1.22.28-gke.3",
    "sidecar": "gke.gcr.io/k8s-dns-sidecar:1.22.28-gke.3",
    "prometheus-to-sd": "gke.gcr.io/prometheus-to-sd:v0.11.12-gke.11",
    "autoscaler": "gke.gcr.io/cluster-proportional-autoscaler:v1.8.9-gke.1",
    "konnectivity-agent": "gke.gcr.io/proxy-agent:v0.1.5-gke.0",
    "metrics-server": "gke.gcr.io/metrics-server:v0.6.3-gke.1",
    "metrics-server-nanny": "gke.gcr.io/addon-resizer:1.8.19-gke.0",
    "event-exporter": "gke.gcr.io/event-exporter:v0.4.0-gke.12",
    "default-http-backend": "gke.gcr.io/ingress-gce-404-server-with-metrics:v1.23.1",
}
KS = {}


def ks_owner(kind, name):
    key = (kind, name)
    if key not in KS:
        KS[key] = uid()
    return KS[key]


def build_kube_system():
    pods = {}
    for n in NODES:
        # kube-proxy is a static pod on GKE; its stdout goes to /var/log/kube-proxy.log
        kp = Pod("kube-system", "kube-proxy-" + n.name, n, "Node", n.name, n.uid, n.created + 31.0,
                 {"component": "kube-proxy", "tier": "node"},
                 {"kubernetes.io/config.hash": hexs(32), "kubernetes.io/config.mirror": hexs(32),
                  "kubernetes.io/config.seen": micro(n.created + 12.3).replace("Z", "") + "000+00:00",
                  "kubernetes.io/config.source": "file"}, host_network=True)
        add_pod(kp, [container("kube-proxy", GKE_IMG["kube-proxy"], command=["/bin/sh", "-c",
                     "exec kube-proxy --master=https://10.128.0.2 --kubeconfig=/var/lib/kube-proxy/kubeconfig "
                     "--cluster-cidr=10.48.0.0/14 --oom-score-adj=-998 --v=2 --iptables-sync-period=1m "
                     "--iptables-min-sync-period=10s --ipvs-sync-period=1m --ipvs-min-sync-period=10s "
                     "--detect-local-mode=NodeCIDR 1>>/var/log/kube-proxy.log 2>&1"],
                     requests={"cpu": "100m"}, sc={"privileged": True},
                     mounts=[("varlog", "/var/log", False), ("kubeconfig", "/var/lib/kube-proxy/kubeconfig", False)])],
                api_volume=False, priority=2000001000, priority_class="system-node-critical", host_network=True,
                tolerations=[{"operator": "Exists", "effect": "NoExecute"}, {"operator": "Exists", "effect": "NoSchedule"}],
                volumes=[{"name": "varlog", "hostPath": {"path": "/var/log", "type": ""}},
                         {"name": "kubeconfig", "hostPath": {"path": "/var/lib/kube-proxy/kubeconfig", "type": "FileOrCreate"}}])
        pods.setdefault("kube-proxy", []).append(kp)
        for ds, cspecs, lab in (
            ("fluentbit-gke", [container("fluentbit", GKE_IMG["fluentbit"], ports=[("metrics", 2020, "TCP")],
                                         limits={"memory": "250Mi"}, requests={"cpu": "50m", "memory": "100Mi"},
                                         liveness=http_probe("/", 2020, 60, 3, initial=120),
                                         mounts=[("varlog", "/var/log", False), ("varlibdockercontainers", "/var/lib/docker/containers", True)]),
                               container("fluentbit-gke", GKE_IMG["fluentbit-gke"], ports=[("metrics", 2021, "TCP")],
                                         args=["--exporter-port=2021", "--logtostderr", "--stackdriver-resource-model=k8s"],
                                         limits={"memory": "250Mi"}, requests={"cpu": "50m", "memory": "100Mi"},
                                         liveness=http_probe("/healthz", 2021, 60, 3, initial=120))],
             {"component": "fluentbit-gke", "k8s-app": "fluentbit-gke", "kubernetes.io/cluster-service": "true"}),
            ("gke-metrics-agent", [container("gke-metrics-agent", GKE_IMG["gke-metrics-agent"],
                                             command=["/otelsvc", "--config=/conf/gke-metrics-agent-config.yaml",
                                                      "--metrics-level=NONE", "--metrics-prefix="],
                                             env=[env_field("NODE_NAME", "spec.nodeName"), env_field("POD_NAME", "metadata.name"),
                                                  env_val("CLUSTER_NAME", "prod"), env_val("CLUSTER_LOCATION", ZONE)],
                                             limits={"memory": "50Mi"}, requests={"cpu": "8m", "memory": "50Mi"},
                                             liveness=http_probe("/", 13133, 10, 3, initial=10),
                                             mounts=[("gke-metrics-agent-config-vol", "/conf", False)]),
                                   container("core-metrics-exporter", GKE_IMG["core-metrics-exporter"],
                                             command=["/core-metrics-exporter"], limits={"memory": "5Mi"},
                                             requests={"cpu": "5m", "memory": "5Mi"})],
             {"component": "gke-metrics-agent", "k8s-app": "gke-metrics-agent"}),
            ("pdcsi-node", [container("csi-driver-registrar", GKE_IMG["csi-driver-registrar"],
                                      args=["--v=5", "--csi-address=/csi/csi.sock",
                                            "--kubelet-registration-path=/var/lib/kubelet/plugins/pd.csi.storage.gke.io/csi.sock"],
                                      requests={"cpu": "5m", "memory": "10Mi"}, limits={"memory": "50Mi"},
                                      mounts=[("plugin-dir", "/csi", False), ("registration-dir", "/registration", False)]),
                            container("gce-pd-driver", GKE_IMG["gce-pd-driver"],
                                      args=["--v=5", "--endpoint=unix:/csi/csi.sock", "--run-controller-service=false"],
                                      requests={"cpu": "5m", "memory": "10Mi"}, limits={"memory": "100Mi"},
                                      sc={"privileged": True},
                                      mounts=[("kubelet-dir", "/var/lib/kubelet", False), ("plugin-dir", "/csi", False),
                                              ("device-dir", "/dev", False)])],
             {"k8s-app": "gcp-compute-persistent-disk-csi-driver"}),
        ):
            p = Pod("kube-system", "%s-%s" % (ds, rstr(5)), n, "DaemonSet", ds, ks_owner("DaemonSet", ds),
                    (T("2024-03-21T04:12:33Z") if ds != "pdcsi-node" else T("2024-02-21T15:19:40Z")) if n.created < T("2024-03-21T00:00:00Z") else n.created + 22.0,
                    dict(lab, **{"controller-revision-hash": {"fluentbit-gke": "6d9f8b7c5", "gke-metrics-agent": "5c7bd8f96d", "pdcsi-node": "7b95c6fb4f"}[ds],
                                 "pod-template-generation": "3"}),
                    {"components.gke.io/component-name": ds, "components.gke.io/component-version": "1.0.%d" % R.randint(1, 40)},
                    host_network=ds in ("fluentbit-gke", "gke-metrics-agent", "pdcsi-node"))
            add_pod(p, cspecs, sa=ds if ds != "pdcsi-node" else "pdcsi-node-sa", priority=2000001000,
                    priority_class="system-node-critical", tolerations=DS_TOLERATIONS, host_network=p.host_network,
                    node_selector={"kubernetes.io/os": "linux"}, dns="ClusterFirstWithHostNet" if p.host_network else "ClusterFirst")
            pods.setdefault(ds, []).append(p)
    # Deployments
    def dep(name, rs_hash, node, created, cspecs, labels, sa, prio=2000000000, pclass="system-cluster-critical", n=None):
        rsname = "%s-%s" % (name, rs_hash)
        p = Pod("kube-system", "%s-%s" % (rsname, rstr(5)), node, "ReplicaSet", rsname, ks_owner("ReplicaSet", rsname),
                created, dict(labels, **{"pod-template-hash": rs_hash}),
                {"components.gke.io/component-name": name.split("-v0")[0]})
        add_pod(p, cspecs, sa=sa, priority=prio, priority_class=pclass)
        pods.setdefault(name, []).append(p)
        return p
    for node in (M2VD, T9JC):
        dep("kube-dns", "5b5dfcd97b", node, T("2024-03-21T04:14:02Z"),
            [container("kubedns", GKE_IMG["kubedns"], args=["--domain=cluster.local.", "--dns-port=10053", "--config-dir=/kube-dns-config", "--v=2"],
                       ports=[("dns-local", 10053, "UDP"), ("dns-tcp-local", 10053, "TCP"), ("metrics", 10055, "TCP")],
                       limits={"memory": "210Mi"}, requests={"cpu": "100m", "memory": "70Mi"},
                       liveness=http_probe("/healthcheck/kubedns", 10054, 10, 5, initial=60, timeout=5),
                       readiness=http_probe("/readiness", 8081, 10, 3, initial=3, timeout=5)),
             container("dnsmasq", GKE_IMG["dnsmasq"], args=["-v=2", "-logtostderr", "-configDir=/etc/k8s/dns/dnsmasq-nanny", "-restartDnsmasq=true", "--", "-k", "--cache-size=1000"],
                       ports=[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")], requests={"cpu": "150m", "memory": "20Mi"},
                       liveness=http_probe("/healthcheck/dnsmasq", 10054, 10, 5, initial=60, timeout=5)),
             container("sidecar", GKE_IMG["sidecar"], args=["--v=2", "--logtostderr", "--probe=kubedns,127.0.0.1:10053,kubernetes.default.svc.cluster.local,5,SRV",
                                                             "--probe=dnsmasq,127.0.0.1:53,kubernetes.default.svc.cluster.local,5,SRV"],
                       ports=[("metrics", 10054, "TCP")], requests={"cpu": "10m", "memory": "20Mi"},
                       liveness=http_probe("/metrics", 10054, 10, 5, initial=60, timeout=5))],
            {"k8s-app": "kube-dns"}, "kube-dns")
    dep("kube-dns-autoscaler", "5f56f8997c", Q8ZT, T("2024-03-21T04:14:05Z"),
        [container("autoscaler", GKE_IMG["autoscaler"], command=["/cluster-proportional-autoscaler", "--namespace=kube-system",
                   "--configmap=kube-dns-autoscaler", "--target=Deployment/kube-dns", "--logtostderr=true", "--v=2"],
                   requests={"cpu": "20m", "memory": "10Mi"})], {"k8s-app": "kube-dns-autoscaler"}, "kube-dns-autoscaler")
    for node in (BAD, W4HN, T9JC):
        dep("konnectivity-agent", "7f4f8d7cd9", node, T("2024-03-21T04:13:31Z"),
            [container("konnectivity-agent", GKE_IMG["konnectivity-agent"], command=["/proxy-agent"],
                       args=["--logtostderr=true", "--ca-cert=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
                             "--proxy-server-host=34.121.77.18", "--proxy-server-port=8132", "--health-server-port=8093",
                             "--admin-server-port=8094", "--sync-interval=5s", "--sync-interval-cap=30s",
                             "--probe-interval=5s", "--service-account-token-path=/var/run/secrets/tokens/konnectivity-agent-token", "--v=2"],
                       ports=[("metrics", 8093, "TCP")], limits={"memory": "125Mi"}, requests={"cpu": "10m", "memory": "30Mi"},
                       liveness=http_probe("/healthz", 8093, 10, 3, initial=15, timeout=15))],
            {"k8s-app": "konnectivity-agent"}, "konnectivity-agent")
    dep("metrics-server-v0.6.3", "6d74d9f5f9", W4HN, T("2024-03-21T04:15:48Z"),
        [container("metrics-server", GKE_IMG["metrics-server"], command=["/metrics-server", "--metric-resolution=30s",
                   "--kubelet-port=10250", "--kubelet-insecure-tls", "--kubelet-preferred-address-types=InternalIP",
                   "--cert-dir=/tmp", "--secure-port=10250"], ports=[("https", 10250, "TCP")],
                   limits={"cpu": "43m", "memory": "55Mi"}, requests={"cpu": "43m", "memory": "55Mi"},
                   liveness=http_probe("/livez", "https", 10, 3, scheme="HTTPS"),
                   readiness=http_probe("/readyz", "https", 10, 3, scheme="HTTPS")),
         container("metrics-server-nanny", GKE_IMG["metrics-server-nanny"], command=["/pod_nanny",
                   "--config-dir=/etc/config", "--cpu=40m", "--extra-cpu=0.5m", "--memory=35Mi", "--extra-memory=4Mi",
                   "--threshold=5", "--deployment=metrics-server-v0.6.3", "--container=metrics-server",
                   "--poll-period=30000", "--estimator=exponential", "--scale-down-delay=24h", "--minClusterSize=5",
                   "--use-metrics=true"], limits={"cpu": "100m", "memory": "300Mi"}, requests={"cpu": "5m", "memory": "50Mi"})],
        {"k8s-app": "metrics-server", "version": "v0.6.3"}, "metrics-server")
    dep("event-exporter-gke", "7bf6c99dcb", B5NW, T("2024-03-21T04:13:55Z"),
        [container("event-exporter", GKE_IMG["event-exporter"], command=["/event-exporter", "-sink-opts=-location=us-central1 -endpoint=https://logging.googleapis.com", "-prometheus-endpoint=:8080"],
                   ports=[("metrics", 8080, "TCP")]),
         container("prometheus-to-sd-exporter", GKE_IMG["prometheus-to-sd"], command=["/monitor",
                   "--stackdriver-prefix=container.googleapis.com/internal/addons", "--api-override=https://monitoring.googleapis.com/",
                   "--source=event_exporter:http://localhost:8080?whitelisted=stackdriver_sink_received_entry_count,stackdriver_sink_request_count,stackdriver_sink_successfully_sent_entry_count",
                   "--pod-id=$(POD_NAME)", "--namespace-id=$(POD_NAMESPACE)", "--node-name=$(NODE_NAME)"],
                   env=[env_field("POD_NAME", "metadata.name"), env_field("POD_NAMESPACE", "metadata.namespace"), env_field("NODE_NAME", "spec.nodeName")])],
        {"k8s-app": "event-exporter", "version": "v0.4.0"}, "event-exporter-sa", prio=0, pclass=None)
    dep("l7-default-backend", "6c6d87dd9b", Q8ZT, T("2024-03-21T04:13:12Z"),
        [container("default-http-backend", GKE_IMG["default-http-backend"], ports=[("http", 8080, "TCP")],
                   limits={"cpu": "10m", "memory": "20Mi"}, requests={"cpu": "10m", "memory": "20Mi"},
                   liveness=http_probe("/healthz", 8080, 10, 3, initial=30, timeout=5))],
        {"k8s-app": "glbc", "name": "glbc"}, "default", prio=0, pclass=None)
    return pods


KSP = build_kube_system()
# pods of namespaces that are not in the dump; `kubectl describe node` lists them
OTHER_ON_BAD = [
    ("istio-system", "istio-ingressgateway-6d4b7c9f8-" + rstr(5), 100, 2000, 128, 1024, T("2024-03-28T11:04:51Z")),
    ("istio-system", "istiod-7c8f5b9d6-" + rstr(5), 500, 0, 2048, 0, T("2024-03-28T11:03:37Z")),
    ("monitoring", "prometheus-node-exporter-" + rstr(5), 25, 0, 32, 64, T("2024-03-02T11:41:52Z")),
    ("monitoring", "prometheus-k8s-1", 200, 0, 512, 0, T("2024-04-09T18:22:07Z")),
    ("cert-manager", "cert-manager-cainjector-5d8798687c-" + rstr(5), 10, 0, 32, 0, T("2024-03-11T09:15:44Z")),
]
for _k, _r in ALL_REVS:
    if _r["active_scale"] and R.random() < 0.06 and len(OTHER_ON_BAD) < 19:
        OTHER_ON_BAD.append((_k.ns, "%s-deployment-%s-%s" % (_r["name"], rstr(10), rstr(5)), 25 + 100, 1000, 50 + 128, 0,
                             max(_r["created"] + 40, T("2024-04-11T12:00:00Z") + R.uniform(0, 60000))))


# ======================================================================================
# Everything else that happened in the window
# ======================================================================================
GMA = [p for p in KSP["gke-metrics-agent"] if p.node is BAD][0]
GMA_LIVENESS = 'Liveness probe failed: Get "http://%s:13133/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)' % BAD.ip


def simulate_gke_metrics_agent():
    """The OpenTelemetry-based agent blocks on its disk-backed queue when the disk stalls."""
    cs = GMA.sim["gke-metrics-agent"]
    cs.baseline = 3
    cs.instances = [Instance(T("2024-04-11T16:40:12Z"))]
    kills = []
    for a, b in FLAPS:
        kills.append(a + R.uniform(18, 26))
    # after the last flap it cannot get going again: the WAL replay hits the stalled disk
    entry = None
    t_kill_list = list(kills)
    extra = [T("2024-04-12T10:00:31Z"), T("2024-04-12T10:01:22Z"), T("2024-04-12T10:02:33Z"), T("2024-04-12T10:04:20Z")]
    for k in t_kill_list + extra:
        inst = cs.instances[-1]
        if k <= inst.start:
            continue
        for j in range(3):
            ev_kubelet(GMA, k - 20 + 10 * j + R.uniform(1.0, 1.01), "Warning", "Unhealthy", GMA_LIVENESS, "gke-metrics-agent")
        ev_kubelet(GMA, k + 1.02, "Normal", "Killing",
                   "Container gke-metrics-agent failed liveness probe, will be restarted", "gke-metrics-agent")
        inst.finish = k + 1.02 + 30.0 + R.uniform(0.05, 0.3)  # stuck in D state: SIGKILL after the grace period
        inst.exit_code, inst.reason = 137, "Error"
        inst.truncated = True
        fin = inst.finish
        t = after_flap(fin + R.uniform(0.3, 1.0), BAD)
        if entry is not None and entry[1] < KUBELET_RESTART <= t:
            entry = None
        # back-off
        if entry is None or fin - entry[1] > 600:
            entry = (10, t)
            wait_from = None
        else:
            wait_from = t
            while t - fin < entry[0]:
                ev_kubelet(GMA, t, "Warning", "BackOff", "Back-off restarting failed container gke-metrics-agent in pod %s_%s(%s)" % (GMA.name, GMA.ns, GMA.uid), "gke-metrics-agent")
                t += R.uniform(10, 15)
            cs.backoff_at.append((wait_from, t, entry[0]))
            entry = (min(entry[0] * 2, 300), t)
        if t > SIM_END:
            cs.backoff_at.append((fin, SIM_END + 1, entry[0]))
            break
        ev_kubelet(GMA, t, "Normal", "Pulled", 'Container image "%s" already present on machine' % GKE_IMG["gke-metrics-agent"], "gke-metrics-agent")
        ev_kubelet(GMA, t + 0.05, "Normal", "Created", "Created container gke-metrics-agent", "gke-metrics-agent")
        ev_kubelet(GMA, t + 0.4, "Normal", "Started", "Started container gke-metrics-agent", "gke-metrics-agent")
        cs.instances.append(Instance(t + 0.39))
    # the last instance (started ~10:03) is killed at 10:04:20; waiting in back-off at capture
    last = cs.instances[-1]
    if last.finish is None and last.start < T("2024-04-12T10:04:20Z"):
        pass


def simulate_node_and_misc():
    node_ref_kubelet = {"kind": "Node", "name": BAD.name, "uid": BAD.name}
    node_ref_ctrl = {"kind": "Node", "name": BAD.name, "uid": BAD.uid, "apiVersion": "v1"}
    for a, b in FLAPS:
        ev_n = KUBELET[BAD.name]
        ev_n.emit(a, node_ref_kubelet, "Normal", "NodeNotReady", "Node %s status is now: NodeNotReady" % BAD.name)
        NODE_CTRL.emit(a + R.uniform(0.5, 4.8), node_ref_ctrl, "Normal", "NodeNotReady", "Node %s status is now: NodeNotReady" % BAD.name)
        ev_n.emit(b, node_ref_kubelet, "Normal", "NodeReady", "Node %s status is now: NodeReady" % BAD.name)
        NODE_CTRL.emit(b + R.uniform(0.5, 4.8), node_ref_ctrl, "Normal", "NodeReady", "Node %s status is now: NodeReady" % BAD.name)
    npd_ref = {"kind": "Node", "name": BAD.name, "uid": BAD.name}
    # the kubelet restart (health-checker --component=kubelet --enable-repair=true)
    HEALTH_CHK.emit(KUBELET_RESTART - 1.2, npd_ref, "Warning", "KubeletUnhealthy",
                    "kubelet:kubelet was found unhealthy; repair flag : true")
    kr = KUBELET_RESTART + 2.91
    ev_n = KUBELET[BAD.name]
    ev_n.emit(kr, node_ref_kubelet, "Normal", "Starting", "Starting kubelet.")
    for i, what in enumerate(("NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID")):
        ev_n.emit(kr + 0.31 + 0.001 * i, node_ref_kubelet, "Normal", what, "Node %s status is now: %s" % (BAD.name, what))
    ev_n.emit(kr + 0.47, node_ref_kubelet, "Normal", "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods")
    HEALTH_CHK.emit(KUBELET_RESTART + 44.0, npd_ref, "Normal", "KubeletIsHealthy", "kubelet on the node is functioning properly")
    for t, msg in TASKHUNG:
        KERNEL_MON.emit(t + R.uniform(0.01, 0.4), npd_ref, "Warning", "TaskHung", msg)
    # health-checker (invoke every 10 s, repair = restart containerd)
    for t in CONTAINERD_RESTARTS:
        HEALTH_CHK.emit(t - R.uniform(0.5, 3.0), npd_ref, "Warning", "ContainerdUnhealthy",
                        "cri:containerd was found unhealthy; repair flag : true")
        HEALTH_CHK.emit(t + R.uniform(20, 40), npd_ref, "Normal", "ContainerRuntimeIsHealthy",
                        "Container runtime on the node is functioning properly")
    # systemd-monitor log-counter (every 5 min, lookback 20 min, threshold 5)
    state = False
    t = T("2024-04-12T08:27:31Z")
    while t < SIM_END:
        n = sum(1 for x in CONTAINERD_RESTARTS if t - 1200 <= x <= t)
        new = n >= 5
        if new != state:
            if new:
                SYSTEMD_MON.emit(t, npd_ref, "Warning", "FrequentContainerdRestart",
                                 "Found %d matching logs, which meets the threshold of 5" % n)
            else:
                SYSTEMD_MON.emit(t, npd_ref, "Normal", "NoFrequentContainerdRestart", "containerd is functioning properly")
            state = new
        NPD_STATE.append((t, n, new))
        t += 300
    # activator on the bad node: readiness blips at every flap
    act = KN["activator"][0]
    for a, b in FLAPS:
        r = a + R.uniform(1, 4)
        while r < b + 3:
            ev_kubelet(act, r + 1.0, "Warning", "Unhealthy",
                       'Readiness probe failed: Get "http://%s:8012/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)' % act.ip,
                       "activator")
            r += 5
    # HPA scales the activator up and back down
    act3 = KN["activator"][2]
    hpa_ref = {"kind": "HorizontalPodAutoscaler", "namespace": "knative-serving", "name": "activator", "uid": HPA_UID,
               "apiVersion": "autoscaling/v2", "resourceVersion": rv()}
    dep_ref = {"kind": "Deployment", "namespace": "knative-serving", "name": "activator", "uid": KN_RS["activator"][2],
               "apiVersion": "apps/v1", "resourceVersion": rv()}
    rs_ref = {"kind": "ReplicaSet", "namespace": "knative-serving", "name": "activator-" + KN_RS["activator"][0],
              "uid": KN_RS["activator"][1], "apiVersion": "apps/v1", "resourceVersion": rv()}
    up, down = T("2024-04-12T09:31:07.402Z"), T("2024-04-12T09:47:24.117Z")
    HPA_REC.emit(up, hpa_ref, "Normal", "SuccessfulRescale", "New size: 3; reason: cpu resource utilization (percentage of request) above target")
    DEPLOY_REC.emit(up + 0.02, dep_ref, "Normal", "ScalingReplicaSet", "Scaled up replica set %s to 3 from 2" % rs_ref["name"])
    RS_REC.emit(up + 0.09, rs_ref, "Normal", "SuccessfulCreate", "Created pod: " + act3.name)
    NEW_API_EVENTS.append((up + 0.41 + R.uniform(0, 0.0009), act3, "Scheduled", "Successfully assigned knative-serving/%s to %s" % (act3.name, act3.node.name)))
    ev_kubelet(act3, up + 1.9, "Normal", "Pulling", 'Pulling image "%s"' % IMG["activator"], "activator")
    ev_kubelet(act3, up + 6.2, "Normal", "Pulled", 'Successfully pulled image "%s" in 4.273158021s (4.273171355s including waiting)' % IMG["activator"], "activator")
    ev_kubelet(act3, up + 6.3, "Normal", "Created", "Created container activator", "activator")
    ev_kubelet(act3, up + 6.7, "Normal", "Started", "Started container activator", "activator")
    ev_kubelet(act3, up + 8.1, "Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 500", "activator")
    HPA_REC.emit(down, hpa_ref, "Normal", "SuccessfulRescale", "New size: 2; reason: All metrics below target")
    DEPLOY_REC.emit(down + 0.02, dep_ref, "Normal", "ScalingReplicaSet", "Scaled down replica set %s to 2 from 3" % rs_ref["name"])
    RS_REC.emit(down + 0.07, rs_ref, "Normal", "SuccessfulDelete", "Deleted pod: " + act3.name)
    ev_kubelet(act3, down + 0.3, "Normal", "Killing", "Stopping container activator", "activator")
    act3.sim["activator"].instances[0].start = up + 6.65
    act3.sim["activator"].instances[0].finish = down + 31.2
    act3.sim["activator"].instances[0].exit_code = 0


NPD_STATE = []
HPA_UID = uid()


def simulate_all():
    simulate_netistio()
    simulate_gke_metrics_agent()
    simulate_node_and_misc()
    flush_events()


simulate_all()


# ======================================================================================
# Object rendering (typed objects, Go struct field order, as `cluster-info dump` prints)
# ======================================================================================
def owner_ref(api, kind, name, u, block=True):
    d = {"apiVersion": api, "kind": kind, "name": name, "uid": u, "controller": True}
    if block:
        d["blockOwnerDeletion"] = True
    return d


def mf(manager, t, fields, sub=None, op="Update", api="v1"):
    d = {"manager": manager, "operation": op, "apiVersion": api, "time": rfc3339(t), "fieldsType": "FieldsV1",
         "fieldsV1": fields}
    if sub:
        d["subresource"] = sub
    return d


def not_ready_since(p):
    """When the pod's Ready condition last went False / True (for the simulated containers)."""
    if p in NETISTIO_PODS:
        return p.sim["controller"].instances[0].kill - 9.0
    return None


def pod_status(p, now):
    cstats = []
    all_ready = True
    for c in p.spec["containers"]:
        cs = p.sim[c["name"]]
        cur, last, restarts, bo = cs.state_at(now)
        st = {"name": c["name"]}
        if cur is not None:
            ready = not (p in NETISTIO_PODS)
            st["state"] = {"running": {"startedAt": rfc3339(cur.start)}}
        else:
            ready = False
            st["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                       "message": "back-off %s restarting failed container=%s pod=%s_%s(%s)" % (
                                           backoff_str(bo or 300), c["name"], p.name, p.ns, p.uid)}}
        if last is not None:
            term = {"exitCode": last.exit_code}
            if last.exit_code == 137 and False:
                term["signal"] = 9
            term.update({"reason": last.reason, "startedAt": rfc3339(last.start), "finishedAt": rfc3339(last.finish),
                         "containerID": last.cid})
            st["lastState"] = {"terminated": term}
        else:
            st["lastState"] = {}
        st["ready"] = ready
        st["restartCount"] = restarts
        st["image"] = c["image"]
        img = c["image"]
        st["imageID"] = img if "@sha256:" in img else img.split(":")[0] + "@" + IMAGE_IDS.setdefault(img, digest())
        st["containerID"] = (cur or last).cid
        st["started"] = cur is not None
        all_ready = all_ready and ready
        cstats.append(st)
    sched = p.created + R.uniform(0.01, 0.3)
    init = sched + R.uniform(0.3, 2.0)
    if all_ready:
        rt = READY_TRANSITION.setdefault(p.name, (FLAPS[-1][1] + R.uniform(6, 25)) if p.node is BAD else
                                         max(i.start for cs_ in p.sim.values() for i in cs_.instances if i.start <= now) + R.uniform(1, 12))
        ready_c = {"type": "Ready", "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(rt)}
        cready_c = {"type": "ContainersReady", "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(rt)}
    else:
        rt = not_ready_since(p) or now - 30
        names = "[" + " ".join(c["name"] for c in p.spec["containers"] if not [s for s in cstats if s["name"] == c["name"]][0]["ready"]) + "]"
        ready_c = {"type": "Ready", "status": "False", "lastProbeTime": None, "lastTransitionTime": rfc3339(rt),
                   "reason": "ContainersNotReady", "message": "containers with unready status: " + names}
        cready_c = {"type": "ContainersReady", "status": "False", "lastProbeTime": None, "lastTransitionTime": rfc3339(rt),
                    "reason": "ContainersNotReady", "message": "containers with unready status: " + names}
    conds = [{"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(init)},
             ready_c, cready_c,
             {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(sched)}]
    qos = qos_class(p)
    return {"phase": "Running", "conditions": conds, "hostIP": p.node.ip, "podIP": p.ip, "podIPs": [{"ip": p.ip}],
            "startTime": rfc3339(init - 0.5), "containerStatuses": cstats, "qosClass": qos}


IMAGE_IDS = {}
READY_TRANSITION = {}


def qos_class(p):
    guaranteed = True
    any_req = False
    for c in p.spec["containers"]:
        res = c["resources"]
        lim, req = res.get("limits", {}), res.get("requests", {})
        if lim or req:
            any_req = True
        for k in ("cpu", "memory"):
            if k not in lim or (k in req and req[k] != lim[k]):
                guaranteed = False
    if guaranteed and any_req:
        return "Guaranteed"
    return "Burstable" if any_req else "BestEffort"


def pod_json(p, now):
    md = {"name": p.name}
    kind, oname, ouid = p.owner
    if kind in ("ReplicaSet", "DaemonSet"):
        md["generateName"] = oname + "-"
    md["namespace"] = p.ns
    md["uid"] = p.uid
    md["resourceVersion"] = p.rv
    md["creationTimestamp"] = rfc3339(p.created)
    md["labels"] = p.labels
    if p.annotations:
        md["annotations"] = p.annotations
    if kind == "Node":
        md["ownerReferences"] = [owner_ref("v1", "Node", oname, ouid, block=False)]
    else:
        md["ownerReferences"] = [owner_ref("apps/v1", kind, oname, ouid)]
    status = pod_status(p, now)
    last_status = max([now - R.uniform(20, 200)] + [i.finish for cs in p.sim.values() for i in cs.instances if i.finish and i.finish < now])
    md["managedFields"] = [
        mf("kube-controller-manager" if kind != "Node" else "kubelet", p.created,
           {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}}, "f:ownerReferences": {".": {}}},
            "f:spec": {"f:containers": {}, "f:dnsPolicy": {}, "f:restartPolicy": {}, "f:schedulerName": {},
                       "f:securityContext": {}, "f:serviceAccount": {}, "f:serviceAccountName": {},
                       "f:terminationGracePeriodSeconds": {}, "f:volumes": {}}} if kind != "Node" else
           {"f:metadata": {"f:annotations": {".": {}}, "f:labels": {".": {}}, "f:ownerReferences": {".": {}}},
            "f:spec": {"f:containers": {}, "f:hostNetwork": {}, "f:nodeName": {}}}),
        mf("kubelet", last_status, {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:hostIP": {},
                                                  "f:phase": {}, "f:podIP": {}, "f:podIPs": {}, "f:startTime": {}}},
           sub="status"),
    ]
    return {"metadata": md, "spec": p.spec, "status": status}


def typed_list(kind, api, items, rv_=None):
    return {"kind": kind, "apiVersion": api, "metadata": {"resourceVersion": rv_ or rv(R.randint(1, 50))}, "items": items}


def strip_defaults(c):
    """The container as written in the release manifest (what last-applied-configuration holds)."""
    out = {}
    for k, v in c.items():
        if k in ("terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy", "volumeMounts"):
            continue
        if k == "ports":
            v = [{kk: vv for kk, vv in pp.items() if kk != "protocol"} for pp in v]
        if k in ("livenessProbe", "readinessProbe"):
            v = {kk: vv for kk, vv in v.items() if kk not in ("timeoutSeconds", "successThreshold")}
        out[k] = v
    return out


def template_spec(p, strip=False):
    s = dict(p.spec)
    s.pop("nodeName", None)
    s.pop("serviceAccount", None)
    s.pop("priority", None)
    s.pop("enableServiceLinks", None)
    s.pop("preemptionPolicy", None)
    if s.get("tolerations") == DEFAULT_TOLERATIONS:
        s.pop("tolerations")
    s["volumes"] = [v for v in s["volumes"] if not v["name"].startswith("kube-api-access-")]
    if not s["volumes"]:
        s.pop("volumes")
    cs = []
    for c in s["containers"]:
        c2 = dict(c)
        if "volumeMounts" in c2:
            vm = [m for m in c2["volumeMounts"] if not m["name"].startswith("kube-api-access-")]
            if vm:
                c2["volumeMounts"] = vm
            else:
                c2.pop("volumeMounts")
        cs.append(strip_defaults(c2) if strip else c2)
    s["containers"] = cs
    if strip:
        for k in ("restartPolicy", "terminationGracePeriodSeconds", "dnsPolicy", "securityContext", "schedulerName"):
            if k == "terminationGracePeriodSeconds" and s.get(k) != 30:
                continue
            s.pop(k, None)
    return s


DEPLOYMENTS = {}  # ns -> list of (deployment dict, [replicaset dicts])


def deployment_objects(ns, name, pods, labels, replicas, ready, created, rs_hash, rs_uid, dep_uid, revision,
                       old_rs=(), last_applied=True, unavailable_since=None, extra_ann=None, hpa=False, now=CAP_DUMP):
    tmpl_labels = dict(pods[0].labels)
    tmpl_labels.pop("pod-template-hash", None)
    sel = {"app": name} if ns == "knative-serving" else {k: v for k, v in tmpl_labels.items() if k in ("k8s-app", "version", "app", "name")}
    tmpl_ann = dict(pods[0].annotations)
    tmeta = {"creationTimestamp": None, "labels": tmpl_labels}
    if tmpl_ann:
        tmeta["annotations"] = tmpl_ann
    tspec = template_spec(pods[0])
    md = {"name": name, "namespace": ns, "uid": dep_uid, "resourceVersion": rv(), "generation": revision + (1 if hpa else 0),
          "creationTimestamp": rfc3339(created), "labels": labels,
          "annotations": {"deployment.kubernetes.io/revision": str(revision)}}
    if last_applied:
        la = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"annotations": {}, "labels": labels, "name": name, "namespace": ns},
              "spec": {"selector": {"matchLabels": sel},
                       "template": {"metadata": dict(({"annotations": tmpl_ann} if tmpl_ann else {}), labels=tmpl_labels),
                                    "spec": template_spec(pods[0], strip=True)}}}
        if name == "net-istio-controller":
            la["spec"]["replicas"] = 3
        md["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = compact_json(la) + "\n"
    if extra_ann:
        md["annotations"].update(extra_ann)
    md["managedFields"] = [mf("kubectl-client-side-apply", KNATIVE_INSTALL if ns == "knative-serving" else created,
                              {"f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                                              "f:labels": {".": {}}}, "f:spec": {"f:selector": {}, "f:template": {}}}, api="apps/v1"),
                           mf("kube-controller-manager", now - R.uniform(60, 900),
                              {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}},
                               "f:status": {"f:conditions": {}, "f:observedGeneration": {}, "f:replicas": {},
                                            "f:unavailableReplicas": {}, "f:updatedReplicas": {}}}, sub="status", api="apps/v1")]
    spec = {"replicas": replicas, "selector": {"matchLabels": sel}, "template": {"metadata": tmeta, "spec": tspec},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600}
    st = {"observedGeneration": md["generation"], "replicas": replicas, "updatedReplicas": replicas}
    if ready:
        st["readyReplicas"] = ready
        st["availableReplicas"] = ready
    if replicas - ready:
        st["unavailableReplicas"] = replicas - ready
    avail_ok = ready >= replicas - int(replicas * 0.25)
    rsname = "%s-%s" % (name, rs_hash)
    st["conditions"] = [
        {"type": "Available", "status": "True" if avail_ok else "False",
         "lastUpdateTime": rfc3339(unavailable_since or created + 60), "lastTransitionTime": rfc3339(unavailable_since or created + 60),
         "reason": "MinimumReplicasAvailable" if avail_ok else "MinimumReplicasUnavailable",
         "message": "Deployment has minimum availability." if avail_ok else "Deployment does not have minimum availability."},
        {"type": "Progressing", "status": "True", "lastUpdateTime": rfc3339(KNATIVE_INSTALL + 71 if ns == "knative-serving" else created + 40),
         "lastTransitionTime": rfc3339(created + 2), "reason": "NewReplicaSetAvailable",
         "message": 'ReplicaSet "%s" has successfully progressed.' % rsname},
    ]
    dep = {"metadata": md, "spec": spec, "status": st}
    rss = []
    for h, u, rev, rs_created, reps, tmpl in [(rs_hash, rs_uid, revision, KNATIVE_INSTALL if ns == "knative-serving" else created, replicas, None)] + list(old_rs):
        rmd = {"name": "%s-%s" % (name, h), "namespace": ns, "uid": u, "resourceVersion": rv(), "generation": 2 if reps else 4,
               "creationTimestamp": rfc3339(rs_created), "labels": dict(tmpl_labels, **{"pod-template-hash": h}),
               "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                               "deployment.kubernetes.io/max-replicas": str(replicas + max(1, -(-replicas // 4))),
                               "deployment.kubernetes.io/revision": str(rev)},
               "ownerReferences": [owner_ref("apps/v1", "Deployment", name, dep_uid)],
               "managedFields": [mf("kube-controller-manager", rs_created, {"f:metadata": {"f:annotations": {}, "f:labels": {}, "f:ownerReferences": {}},
                                                                       "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {}}}, api="apps/v1")]}
        rspec_t = tspec if tmpl is None else tmpl
        rlabels = dict(tmpl_labels, **{"pod-template-hash": h})
        if tmpl is not None:
            rlabels["app.kubernetes.io/version"] = "1.11.5" if "app.kubernetes.io/version" in rlabels else rlabels.get("app.kubernetes.io/version")
            rlabels = {k: v for k, v in rlabels.items() if v is not None}
        rs = {"metadata": rmd, "spec": {"replicas": reps, "selector": {"matchLabels": dict(sel, **{"pod-template-hash": h})},
                                        "template": {"metadata": dict(tmeta, labels=rlabels), "spec": rspec_t}},
              "status": {"replicas": reps}}
        if reps:
            rs["status"]["fullyLabeledReplicas"] = reps
            if ready:
                rs["status"]["readyReplicas"] = ready
                rs["status"]["availableReplicas"] = ready
        rs["status"]["observedGeneration"] = rmd["generation"]
        rss.append(rs)
    DEPLOYMENTS.setdefault(ns, []).append((dep, rss))


def old_netistio_template():
    p = NI_C
    s = template_spec(p)
    s = json.loads(json.dumps(s))
    s["containers"][0]["image"] = "gcr.io/knative-releases/knative.dev/net-istio/cmd/controller@" + digest()
    return s


def build_workloads():
    kn = KN
    dep_labels = {
        "activator": {"app.kubernetes.io/component": "activator", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3"},
        "autoscaler": {"app.kubernetes.io/component": "autoscaler", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3"},
        "controller": {"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3"},
        "webhook": {"app.kubernetes.io/component": "webhook", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3"},
        "net-istio-webhook": {"app.kubernetes.io/component": "net-istio", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3", "networking.knative.dev/ingress-provider": "istio"},
        "net-istio-controller": {"app.kubernetes.io/component": "net-istio", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3", "networking.knative.dev/ingress-provider": "istio"},
    }
    pods_of = {"activator": kn["activator"][:2], "autoscaler": [kn["autoscaler"]], "controller": [kn["controller"]],
               "webhook": [kn["webhook"]], "net-istio-webhook": [kn["net-istio-webhook"]], "net-istio-controller": NETISTIO_PODS}
    for name in ("activator", "autoscaler", "controller", "net-istio-controller", "net-istio-webhook", "webhook"):
        h, rsu, du = KN_RS[name]
        pods = pods_of[name]
        reps = len(pods)
        ready = 0 if name == "net-istio-controller" else reps
        old = [(rstr(10), uid(), 2, CLUSTER_CREATED + 86400 * 240, 0,
                old_netistio_template() if name == "net-istio-controller" else template_spec(pods[0]))]
        deployment_objects("knative-serving", name, pods, dep_labels[name], reps, ready, CLUSTER_CREATED + 86400 * 150, h, rsu,
                           du, 3, old_rs=old, unavailable_since=T("2024-04-12T08:52:49Z") if name == "net-istio-controller" else None,
                           hpa=name == "activator")
    # kube-system
    for name, hash_ in (("event-exporter-gke", "7bf6c99dcb"), ("konnectivity-agent", "7f4f8d7cd9"), ("kube-dns", "5b5dfcd97b"),
                        ("kube-dns-autoscaler", "5f56f8997c"), ("l7-default-backend", "6c6d87dd9b"),
                        ("metrics-server-v0.6.3", "6d74d9f5f9")):
        pods = KSP[name]
        labels = {"addonmanager.kubernetes.io/mode": "Reconcile", "k8s-app": pods[0].labels.get("k8s-app", name)}
        if name == "metrics-server-v0.6.3":
            labels["version"] = "v0.6.3"
        rsname = "%s-%s" % (name, hash_)
        deployment_objects("kube-system", name, pods, labels, len(pods), len(pods), T("2023-06-14T09:15:02Z"), hash_,
                           ks_owner("ReplicaSet", rsname), ks_owner("Deployment", name), 4, last_applied=False)


build_workloads()


def daemonsets_json():
    items = []
    for ds in ("fluentbit-gke", "gke-metrics-agent", "pdcsi-node"):
        pods = KSP[ds]
        p0 = pods[0]
        ready = sum(1 for p in pods if all(s["ready"] for s in pod_status(p, CAP_DUMP)["containerStatuses"]))
        labels = dict(p0.labels)
        labels.pop("controller-revision-hash")
        labels.pop("pod-template-generation")
        md = {"name": ds, "namespace": "kube-system", "uid": ks_owner("DaemonSet", ds), "resourceVersion": rv(), "generation": 3,
              "creationTimestamp": rfc3339(T("2023-06-14T09:14:41Z")), "labels": dict(labels, **{"addonmanager.kubernetes.io/mode": "Reconcile"}),
              "annotations": {"deprecated.daemonset.template.generation": "3"},
              "managedFields": [mf("kube-addon-manager", T("2024-03-21T04:12:30Z"), {"f:metadata": {"f:labels": {}}, "f:spec": {}}, op="Apply", api="apps/v1"),
                                mf("kube-controller-manager", CAP_DUMP - R.uniform(30, 300), {"f:status": {"f:numberReady": {}, "f:numberAvailable": {}, "f:numberUnavailable": {}}}, sub="status", api="apps/v1")]}
        tm = {"creationTimestamp": None, "labels": {k: v for k, v in p0.labels.items() if k not in ("controller-revision-hash", "pod-template-generation")},
              "annotations": p0.annotations}
        spec = {"selector": {"matchLabels": {k: v for k, v in labels.items() if k in ("k8s-app",)}},
                "template": {"metadata": tm, "spec": template_spec(p0)},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%" if ds != "pdcsi-node" else 1, "maxSurge": 0}},
                "revisionHistoryLimit": 10}
        st = {"currentNumberScheduled": len(pods), "numberMisscheduled": 0, "desiredNumberScheduled": len(pods),
              "numberReady": ready, "observedGeneration": 3, "updatedNumberScheduled": len(pods), "numberAvailable": ready}
        if len(pods) - ready:
            st["numberUnavailable"] = len(pods) - ready
        items.append({"metadata": md, "spec": spec, "status": st})
    return items


def svc(ns, name, ports, selector, cluster_ip, created, labels=None, annotations=None, typ="ClusterIP"):
    md = {"name": name, "namespace": ns, "uid": uid(), "resourceVersion": rv(), "creationTimestamp": rfc3339(created)}
    if labels:
        md["labels"] = labels
    if annotations:
        md["annotations"] = annotations
    md["managedFields"] = [mf("kubectl-client-side-apply" if ns == "knative-serving" else "kube-addon-manager", created,
                              {"f:metadata": {"f:labels": {}}, "f:spec": {"f:ports": {}, "f:selector": {}, "f:type": {}}})]
    sp = {"ports": [dict({"name": n} if n else {}, protocol=proto, port=port, targetPort=tp) for n, proto, port, tp in ports]}
    if selector:
        sp["selector"] = selector
    sp.update({"clusterIP": cluster_ip, "clusterIPs": [cluster_ip], "type": typ, "sessionAffinity": "None",
               "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"})
    return {"metadata": md, "spec": sp, "status": {"loadBalancer": {}}}


def services_json(ns):
    c = CLUSTER_CREATED + 86400 * 150
    kl = lambda comp: {"app.kubernetes.io/component": comp, "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3"}
    if ns == "knative-serving":
        return [
            svc(ns, "activator-service", [("http-metrics", "TCP", 9090, 9090), ("http-profiling", "TCP", 8008, 8008), ("http", "TCP", 80, 8012),
                                          ("http2", "TCP", 81, 8013), ("https", "TCP", 443, 8112)], {"app": "activator"}, "10.52.3.118", c, dict(kl("activator"), app="activator")),
            svc(ns, "autoscaler", [("http-metrics", "TCP", 9090, 9090), ("http-profiling", "TCP", 8008, 8008), ("http", "TCP", 8080, 8080)],
                {"app": "autoscaler"}, "10.52.9.40", c, dict(kl("autoscaler"), app="autoscaler")),
            svc(ns, "autoscaler-bucket-00-of-01", [("http", "TCP", 8080, 8080)], None, "10.52.12.201", c,
                {"app": "autoscaler", "serving.knative.dev/release": "v1.12.3"}),
            svc(ns, "controller", [("http-metrics", "TCP", 9090, 9090), ("http-profiling", "TCP", 8008, 8008)],
                {"app": "controller"}, "10.52.7.9", c, dict(kl("controller"), app="controller")),
            svc(ns, "net-istio-webhook", [("http-metrics", "TCP", 9090, 9090), ("http-profiling", "TCP", 8008, 8008), ("https-webhook", "TCP", 443, 8443)],
                {"app": "net-istio-webhook", "role": "net-istio-webhook"}, "10.52.14.77", c,
                {"app.kubernetes.io/component": "net-istio", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3",
                 "networking.knative.dev/ingress-provider": "istio", "role": "net-istio-webhook"}),
            svc(ns, "webhook", [("http-metrics", "TCP", 9090, 9090), ("http-profiling", "TCP", 8008, 8008), ("https-webhook", "TCP", 443, 8443)],
                {"role": "webhook"}, "10.52.2.215", c, dict(kl("webhook"), role="webhook")),
        ]
    if ns == "kube-system":
        am = {"addonmanager.kubernetes.io/mode": "Reconcile"}
        return [
            svc(ns, "default-http-backend", [("http", "TCP", 80, 8080)], {"k8s-app": "glbc"}, "10.52.8.32", CLUSTER_CREATED + 180,
                dict(am, **{"k8s-app": "glbc", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "GLBCDefaultBackend"}), typ="NodePort"),
            svc(ns, "kube-dns", [("dns", "UDP", 53, 53), ("dns-tcp", "TCP", 53, 53)], {"k8s-app": "kube-dns"}, "10.52.0.10", CLUSTER_CREATED + 170,
                dict(am, **{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "KubeDNS"})),
            svc(ns, "metrics-server", [(None, "TCP", 443, "https")], {"k8s-app": "metrics-server"}, "10.52.6.144", CLUSTER_CREATED + 175,
                dict(am, **{"k8s-app": "metrics-server", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "Metrics-server"})),
        ]
    return [svc(ns, "kubernetes", [("https", "TCP", 443, 443)], None, "10.52.0.1", CLUSTER_CREATED,
                {"component": "apiserver", "provider": "kubernetes"})]


# ======================================================================================
# Nodes
# ======================================================================================
ALLOC_CPU, CAP_CPU = 3920, 4000
CAP_MEM, ALLOC_MEM = 16393936 * 1024, 13292752 * 1024
CAP_EPH, ALLOC_EPH = 98831908 * 1024, 47060071478


def npd_conditions(n, now):
    hb = now - R.uniform(20, 280)
    long_ago = n.created + 95
    out = []
    if n.bad:
        st = [s for s in NPD_STATE if s[0] <= now][-1]
        trans = [s[0] for s in NPD_STATE if s[0] <= now and s[2]]
        first_true = None
        for s in NPD_STATE:
            if s[0] > now:
                break
            if s[2] and first_true is None:
                first_true = s[0]
            if not s[2]:
                first_true = None
        if st[2]:
            fcr = ("True", "FrequentContainerdRestart", "Found %d matching logs, which meets the threshold of 5" % st[1], first_true)
        else:
            fcr = ("False", "NoFrequentContainerdRestart", "containerd is functioning properly", long_ago)
    else:
        fcr = ("False", "NoFrequentContainerdRestart", "containerd is functioning properly", long_ago)
    rows = [
        ("FrequentUnregisterNetDevice", "False", "NoFrequentUnregisterNetDevice", "node is functioning properly", long_ago),
        ("FrequentKubeletRestart", "False", "NoFrequentKubeletRestart", "kubelet is functioning properly", long_ago),
        ("FrequentDockerRestart", "False", "NoFrequentDockerRestart", "docker is functioning properly", long_ago),
        ("FrequentContainerdRestart",) + fcr,
        ("KernelDeadlock", "False", "KernelHasNoDeadlock", "kernel has no deadlock", long_ago),
        ("ReadonlyFilesystem", "False", "FilesystemIsNotReadOnly", "Filesystem is not read-only", long_ago),
        ("CorruptDockerOverlay2", "False", "NoCorruptDockerOverlay2", "docker overlay2 is functioning properly", long_ago),
        ("KubeletUnhealthy", "False", "KubeletIsHealthy", "kubelet on the node is functioning properly",
         KUBELET_RESTART + 44.0 if n.bad and now > KUBELET_RESTART + 44 else long_ago),
        ("ContainerRuntimeUnhealthy", "False", "ContainerRuntimeIsHealthy", "Container runtime on the node is functioning properly",
         max([x + 31.0 for x in CONTAINERD_RESTARTS if x + 31.0 <= now]) if n.bad else long_ago),
    ]
    for typ, status, reason, msg, tt in rows:
        out.append({"type": typ, "status": status, "lastHeartbeatTime": rfc3339(hb), "lastTransitionTime": rfc3339(tt),
                    "reason": reason, "message": msg})
    return out


def kubelet_conditions(n, now):
    hb = now - R.uniform(5, 240)
    if n.bad:
        hb = max(FLAPS[-1][1], now - R.uniform(5, 200))
        ready_tt = FLAPS[-1][1]
    else:
        ready_tt = n.created + 33
    return [
        {"type": "NetworkUnavailable", "status": "False", "lastHeartbeatTime": rfc3339(n.created + 48),
         "lastTransitionTime": rfc3339(n.created + 48), "reason": "RouteCreated", "message": "NodeController create implicit route"},
        {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": rfc3339(hb), "lastTransitionTime": rfc3339(n.created + 12),
         "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available"},
        {"type": "DiskPressure", "status": "False", "lastHeartbeatTime": rfc3339(hb), "lastTransitionTime": rfc3339(n.created + 12),
         "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure"},
        {"type": "PIDPressure", "status": "False", "lastHeartbeatTime": rfc3339(hb), "lastTransitionTime": rfc3339(n.created + 12),
         "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available"},
        {"type": "Ready", "status": "True", "lastHeartbeatTime": rfc3339(hb), "lastTransitionTime": rfc3339(ready_tt),
         "reason": "KubeletReady", "message": "kubelet is posting ready status. AppArmor enabled"},
    ]


NODE_IMAGES = [
    (["gke.gcr.io/gke-metrics-agent@sha256:" + hexs(64), GKE_IMG["gke-metrics-agent"]], 102358237),
    (["gke.gcr.io/fluent-bit@sha256:" + hexs(64), GKE_IMG["fluentbit"]], 91443821),
    (["gke.gcr.io/kube-proxy-amd64:v1.26.12-gke.1111000"], 70113521),
    (["gke.gcr.io/gcp-compute-persistent-disk-csi-driver@sha256:" + hexs(64), GKE_IMG["gce-pd-driver"]], 65170941),
    (["docker.io/istio/proxyv2@sha256:" + hexs(64), "docker.io/istio/proxyv2:1.20.3"], 98220458),
    (["gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + hexs(64)], 21102744),
    ([IMG["activator"]], 28413301),
    ([IMG["net-istio-controller"]], 28913562),
    (["gke.gcr.io/fluent-bit-gke-exporter@sha256:" + hexs(64), GKE_IMG["fluentbit-gke"]], 39806212),
    (["gke.gcr.io/proxy-agent@sha256:" + hexs(64), GKE_IMG["konnectivity-agent"]], 9961044),
    (["gke.gcr.io/csi-node-driver-registrar@sha256:" + hexs(64), GKE_IMG["csi-driver-registrar"]], 9433117),
    (["quay.io/prometheus/node-exporter@sha256:" + hexs(64), "quay.io/prometheus/node-exporter:v1.7.0"], 11354721),
    (["registry.k8s.io/pause@sha256:" + hexs(64), "registry.k8s.io/pause:3.8"], 311286),
]


def node_json(n, now):
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": "e2-standard-4", "beta.kubernetes.io/os": "linux",
        "cloud.google.com/gke-boot-disk": "pd-balanced", "cloud.google.com/gke-container-runtime": "containerd",
        "cloud.google.com/gke-cpu-scaling-level": "4", "cloud.google.com/gke-logging-variant": "DEFAULT",
        "cloud.google.com/gke-max-pods-per-node": "110", "cloud.google.com/gke-nodepool": n.pool,
        "cloud.google.com/gke-os-distribution": "cos", "cloud.google.com/gke-provisioning": "standard",
        "cloud.google.com/gke-stack-type": "IPV4", "cloud.google.com/machine-family": "e2",
        "cloud.google.com/private-node": "false", "failure-domain.beta.kubernetes.io/region": "us-central1",
        "failure-domain.beta.kubernetes.io/zone": ZONE, "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": n.name,
        "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "e2-standard-4", "topology.gke.io/zone": ZONE,
        "topology.kubernetes.io/region": "us-central1", "topology.kubernetes.io/zone": ZONE,
    }
    ann = {
        "container.googleapis.com/instance_id": n.instance_id,
        "csi.volume.kubernetes.io/nodeid": '{"pd.csi.storage.gke.io":"projects/%s/zones/%s/instances/%s"}' % (PROJECT, ZONE, n.name),
        "node.alpha.kubernetes.io/ttl": "0",
        "node.gke.io/last-applied-node-labels": "cloud.google.com/gke-boot-disk=pd-balanced,cloud.google.com/gke-container-runtime=containerd,"
                                                "cloud.google.com/gke-cpu-scaling-level=4,cloud.google.com/gke-logging-variant=DEFAULT,"
                                                "cloud.google.com/gke-max-pods-per-node=110,cloud.google.com/gke-nodepool=%s,"
                                                "cloud.google.com/gke-os-distribution=cos,cloud.google.com/gke-provisioning=standard,"
                                                "cloud.google.com/gke-stack-type=IPV4,cloud.google.com/machine-family=e2,"
                                                "cloud.google.com/private-node=false" % n.pool,
        "node.gke.io/last-applied-node-taints": "",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    md = {"name": n.name, "uid": n.uid, "resourceVersion": rv(), "creationTimestamp": rfc3339(n.created), "labels": labels,
          "annotations": ann,
          "managedFields": [
              mf("kubelet", n.created, {"f:metadata": {"f:annotations": {".": {}, "f:node.alpha.kubernetes.io/ttl": {}}, "f:labels": {".": {}}},
                                        "f:spec": {"f:providerID": {}}}),
              mf("node-problem-detector", now - R.uniform(10, 280), {"f:status": {"f:conditions": {"k:{\"type\":\"FrequentContainerdRestart\"}": {}}}}, sub="status"),
              mf("kubelet", now - R.uniform(5, 120), {"f:status": {"f:conditions": {}, "f:images": {}, "f:nodeInfo": {}}}, sub="status"),
          ]}
    spec = {"podCIDR": n.cidr, "podCIDRs": [n.cidr], "providerID": "gce://%s/%s/%s" % (PROJECT, ZONE, n.name)}
    cap = {"cpu": "4", "ephemeral-storage": "%dKi" % (CAP_EPH // 1024), "hugepages-1Gi": "0", "hugepages-2Mi": "0",
           "memory": "%dKi" % (CAP_MEM // 1024), "pods": "110"}
    alloc = {"cpu": "3920m", "ephemeral-storage": str(ALLOC_EPH), "hugepages-1Gi": "0", "hugepages-2Mi": "0",
             "memory": "%dKi" % (ALLOC_MEM // 1024), "pods": "110"}
    images = [{"names": names, "sizeBytes": size} for names, size in NODE_IMAGES]
    st = {"capacity": cap, "allocatable": alloc, "conditions": npd_conditions(n, now) + kubelet_conditions(n, now),
          "addresses": [{"type": "InternalIP", "address": n.ip}, {"type": "ExternalIP", "address": "34.%d.%d.%d" % (R.randint(60, 180), R.randint(1, 254), R.randint(1, 254))},
                        {"type": "Hostname", "address": n.name}],
          "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
          "nodeInfo": {"machineID": n.machine_id, "systemUUID": n.system_uuid, "bootID": n.boot_id, "kernelVersion": KERNEL,
                       "osImage": OS_IMAGE, "containerRuntimeVersion": CONTAINERD, "kubeletVersion": KUBELET_VERSION,
                       "kubeProxyVersion": KUBELET_VERSION, "operatingSystem": "linux", "architecture": "amd64"},
          "images": images}
    n.addresses = st["addresses"]
    return {"metadata": md, "spec": spec, "status": st}


# ======================================================================================
# Events as stored (core/v1 JSON)
# ======================================================================================
EVENT_META = {}


def event_json(write_t, created_t, ev, snap):
    key = id(ev)
    if key not in EVENT_META:
        EVENT_META[key] = uid()
    src = {"component": ev["source"][0]}
    if ev["source"][1]:
        src["host"] = ev["source"][1]
    obj = dict(ev["obj"])
    mgr = {"kubelet": "kubelet", "node-controller": "kube-controller-manager", "horizontal-pod-autoscaler": "kube-controller-manager",
           "deployment-controller": "kube-controller-manager", "replicaset-controller": "kube-controller-manager"}.get(ev["source"][0], "node-problem-detector")
    fields = {"f:count": {}, "f:firstTimestamp": {}, "f:involvedObject": {}, "f:lastTimestamp": {}, "f:message": {}, "f:reason": {},
              "f:source": {"f:component": {}} if not ev["source"][1] else {"f:component": {}, "f:host": {}}, "f:type": {}}
    md = {"name": ev["name"], "namespace": ev["namespace"], "uid": EVENT_META[key], "resourceVersion": rv(R.randint(1, 30)),
          "creationTimestamp": rfc3339(created_t), "managedFields": [mf(mgr, write_t, fields)]}
    return {"metadata": md, "involvedObject": obj, "reason": ev["reason"], "message": snap["message"], "source": src,
            "firstTimestamp": rfc3339(snap["first"]), "lastTimestamp": rfc3339(snap["last"]), "count": snap["count"],
            "type": ev["type"], "eventTime": None, "reportingComponent": "", "reportingInstance": ""}


def new_api_event_json(t, p, reason, msg):
    """kube-scheduler uses events.k8s.io: eventTime set, legacy fields empty."""
    md = {"name": "%s.%x" % (p.name, int(t * 1e9) + 417), "namespace": p.ns, "uid": uid(), "resourceVersion": rv(),
          "creationTimestamp": rfc3339(t),
          "managedFields": [mf("kube-scheduler", t, {"f:action": {}, "f:eventTime": {}, "f:note": {}, "f:reason": {}, "f:regarding": {},
                                                     "f:reportingController": {}, "f:reportingInstance": {}, "f:type": {}}, api="events.k8s.io/v1")]}
    obj = {k: v for k, v in p.ref().items()}
    return {"metadata": md, "involvedObject": obj, "reason": reason, "message": msg, "source": {}, "firstTimestamp": None,
            "lastTimestamp": None, "type": "Normal", "eventTime": micro(t), "action": "Binding",
            "reportingComponent": "default-scheduler", "reportingInstance": "default-scheduler-gke-5c1e9a7b3d2f4e6a8b0c-9d1e-vm"}


def events_for(ns, now):
    items = []
    for write_t, created_t, ev, snap in stored_events(now, ns):
        items.append((snap["first"], event_json(write_t, created_t, ev, snap)))
    for t, p, reason, msg in NEW_API_EVENTS:
        if p.ns == ns and now - t <= EVENT_TTL and t <= now:
            items.append((t, new_api_event_json(t, p, reason, msg)))
    items.sort(key=lambda x: x[1]["metadata"]["name"])
    return [x[1] for x in items]


# ======================================================================================
# Logs of everything that is not crash-looping (tails of long-running containers)
# ======================================================================================
LOG_TAIL_FROM = T("2024-04-12T07:58:00Z")


def _times(a, b, mean_gap):
    t = a + R.expovariate(1 / mean_gap)
    while t < b:
        yield t
        t += R.expovariate(1 / mean_gap)


def kn_zap(t, logger, caller, msg, pod, pairs=(), sev="INFO", commit=SERVING_COMMIT):
    items = [("severity", sev), ("timestamp", rfc3339nano(t, R.randint(0, 999))), ("logger", logger), ("caller", caller),
             ("message", msg), ("commit", commit), ("knative.dev/pod", pod)] + list(pairs)
    return _zap_encode(items)


SERVING_CTRL = [
    ("route", "knative.dev.serving.pkg.reconciler.route.Reconciler", "serving.knative.dev.Route"),
    ("configuration", "knative.dev.serving.pkg.reconciler.configuration.Reconciler", "serving.knative.dev.Configuration"),
    ("revision", "knative.dev.serving.pkg.reconciler.revision.Reconciler", "serving.knative.dev.Revision"),
    ("labeler", "knative.dev.serving.pkg.reconciler.labeler.Reconciler", "serving.knative.dev.Route"),
    ("service", "knative.dev.serving.pkg.reconciler.service.Reconciler", "serving.knative.dev.Service"),
    ("sks", "knative.dev.serving.pkg.reconciler.serverlessservice.reconciler", "networking.internal.knative.dev.ServerlessService"),
    ("gc", "knative.dev.serving.pkg.reconciler.gc.reconciler", "serving.knative.dev.Configuration"),
]


def serving_controller_log(p, a, b):
    out = []
    pod = p.name
    deploys = []
    for k in KSVCS:
        for t in getattr(k, "all_times", []):
            if a <= t <= b:
                deploys.append((t, k))
    deploys.sort(key=lambda x: x[0])
    for t, k in deploys:
        n = [i for i, tt in enumerate(k.all_times) if tt == t][0] + 1
        rev = "%s-%05d" % (k.name, n if k.kind != "mature" else k.gen_total - 20 + n - 1)
        for ctrl in ("service", "configuration", "revision", "labeler", "route", "sks", "revision", "route"):
            c = [x for x in SERVING_CTRL if x[0] == ctrl][0]
            key = "%s/%s" % (k.ns, rev if ctrl in ("revision", "sks") else k.name)
            t += R.uniform(0.005, 4.0)
            out.append((t, kn_zap(t, "controller", "controller/controller.go:550", "Reconcile succeeded", pod,
                                  [("knative.dev/controller", c[1]), ("knative.dev/kind", c[2]),
                                   ("knative.dev/traceid", uid()), ("knative.dev/key", key),
                                   ("duration", round(R.uniform(0.0003, 0.3 if t < OUTAGE_START else 1.9), 9))])))
        if k.kind in ("ci-hourly", "ci-fast"):
            old = [x for x in k.all_times if x < t - GC_CREATE]
            if old:
                i = len(old)
                tt = t + R.uniform(1.5, 6)
                name = "%s-%05d" % (k.name, i)
                out.append((tt, kn_zap(tt, "controller", "gc/gc.go:79",
                                       'Detected stale revision "%s" with creation time %s and last active time %s.' % (
                                           name, _d(old[-1]).strftime("%Y-%m-%d %H:%M:%S +0000 UTC"),
                                           _d(k.all_times[i] + 40).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")), pod,
                                       [("knative.dev/controller", SERVING_CTRL[6][1]), ("knative.dev/kind", SERVING_CTRL[6][2]),
                                        ("knative.dev/traceid", uid()), ("knative.dev/key", "%s/%s" % (k.ns, k.name))])))
                out.append((tt + 0.002, kn_zap(tt + 0.002, "controller", "gc/gc.go:128", "Deleting stale revision: " + name, pod,
                                               [("knative.dev/controller", SERVING_CTRL[6][1]), ("knative.dev/kind", SERVING_CTRL[6][2]),
                                                ("knative.dev/traceid", uid()), ("knative.dev/key", "%s/%s" % (k.ns, k.name))])))
    # periodic resync traffic and client-side throttling while thousands of revisions are listed
    for t in _times(a, b, 9.0):
        k, r = R.choice(ALL_REVS)
        c = R.choice(SERVING_CTRL[:6])
        key = "%s/%s" % (k.ns, r["name"] if c[0] in ("revision", "sks") else k.name)
        out.append((t, kn_zap(t, "controller", "controller/controller.go:550", "Reconcile succeeded", pod,
                              [("knative.dev/controller", c[1]), ("knative.dev/kind", c[2]), ("knative.dev/traceid", uid()),
                               ("knative.dev/key", key), ("duration", round(R.expovariate(1 / 0.04), 9))])))
    for t in _times(a, b, 600.0):
        k = R.choice(KSVCS)
        w = R.uniform(1.0, 2.4)
        out.append((t, klog_header("I", t, "request.go:690") +
                    "Waited for %s due to client-side throttling, not priority and fairness, request: GET:%s/apis/serving.knative.dev/v1/namespaces/%s/revisions?labelSelector=serving.knative.dev%%2Fconfiguration%%3D%s" % (
                        go_duration(w), API_SERVER, k.ns, k.name)))
    out.sort(key=lambda x: x[0])
    return out


def activator_log(p, a, b):
    out = []
    for t in _times(a, b, 1500.0):
        out.append((t, kn_zap(t, "activator", "net/throttler.go:327", "Updating Revision Throttler with: clusterIP = <nil>, trackers = %d, backends = %d" % (
            R.randint(1, 3), R.randint(1, 3)), p.name, [("knative.dev/key", "%s/%s" % R.choice([(k.ns, r["name"]) for k, r in ALL_REVS if r["active_scale"]]))])))
    if p.node is BAD:
        for fa, fb in FLAPS:
            if a <= fa <= b:
                t = fa + R.uniform(3, 12)
                out.append((t, kn_zap(t, "activator", "websocket/connection.go:195", "Error reading from websocket", p.name,
                                      [("error", "read tcp %s:51732->10.52.9.40:8080: i/o timeout" % p.ip)], sev="ERROR")))
                out.append((t + 0.4, kn_zap(t + 0.4, "activator", "websocket/connection.go:159", "Connecting to ws://autoscaler.knative-serving.svc.cluster.local:8080", p.name)))
                out.append((fb + 2.1, kn_zap(fb + 2.1, "activator", "websocket/connection.go:162", "Connected to ws://autoscaler.knative-serving.svc.cluster.local:8080", p.name)))
    out.sort(key=lambda x: x[0])
    return out


def autoscaler_log(p, a, b):
    out = []
    for t in _times(a, b, 40.0):
        k, r = R.choice(ALL_REVS)
        out.append((t, kn_zap(t, "autoscaler", "controller/controller.go:550", "Reconcile succeeded", p.name,
                              [("knative.dev/controller", "knative.dev.serving.pkg.reconciler.autoscaling.kpa.Reconciler"),
                               ("knative.dev/kind", "autoscaling.internal.knative.dev.PodAutoscaler"), ("knative.dev/traceid", uid()),
                               ("knative.dev/key", "%s/%s" % (k.ns, r["name"])), ("duration", round(R.expovariate(1 / 0.003), 9))])))
    out.sort(key=lambda x: x[0])
    return out


def webhook_log(p, a, b, logger="webhook", commit=SERVING_COMMIT):
    out = []
    if logger == "webhook":
        for k in KSVCS:
            for t in getattr(k, "all_times", []):
                if a <= t <= b:
                    t -= R.uniform(0.2, 1.5)
                    for kind, res in (("serving.knative.dev/v1, Kind=Service", "serving.knative.dev/v1, Resource=services"),
                                      ("serving.knative.dev/v1, Kind=Revision", "serving.knative.dev/v1, Resource=revisions")):
                        out.append((t, kn_zap(t, "webhook", "webhook/admission.go:151", "remote admission controller audit annotations=map[string]string(nil)",
                                              p.name, [("knative.dev/kind", kind), ("knative.dev/namespace", k.ns), ("knative.dev/name", k.name),
                                                       ("knative.dev/operation", "UPDATE" if "Service" in kind else "CREATE"),
                                                       ("knative.dev/resource", res), ("knative.dev/subresource", ""),
                                                       ("knative.dev/userinfo", k.creator), ("admissionreview/uid", uid()),
                                                       ("admissionreview/allowed", True), ("admissionreview/result", "nil")], commit=commit)))
                        t += R.uniform(0.05, 0.4)
    for t in _times(a, b, 3600.0 * 3):
        out.append((t, kn_zap(t, logger, "controller/controller.go:550", "Reconcile succeeded", p.name,
                              [("knative.dev/controller", "knative.dev.pkg.webhook.certificates.reconciler"),
                               ("knative.dev/kind", "/v1, Kind=Secret"), ("knative.dev/traceid", uid()),
                               ("knative.dev/key", "knative-serving/%s-certs" % ("webhook" if logger == "webhook" else "net-istio-webhook-server")),
                               ("duration", round(R.uniform(0.0002, 0.002), 9))], commit=commit)))
    out.sort(key=lambda x: x[0])
    return out


def klog_lines(t, sev, fl, msg, pid=1):
    return klog_header(sev, t, fl, pid) + msg


def fluentbit_log(p, a, b):
    out = []
    for t in _times(a, b, 900.0):
        out.append((t, "[%s] [ info] [input:tail:tail.0] inotify_fs_add(): inode=%d watch_fd=%d name=/var/log/containers/%s" % (
            _d(t).strftime("%Y/%m/%d %H:%M:%S"), R.randint(100000, 9999999), R.randint(20, 900),
            "%s-deployment-%s_%s_user-container-%s.log" % (R.choice(ALL_REVS)[1]["name"], rstr(10), R.choice(list(KSVC_NAMES)), hexs(64)))))
    if p.node is BAD:
        for fa, fb in FLAPS:
            for j in range(R.randint(2, 5)):
                t = fa - R.uniform(0, 90) + j * 11
                if a <= t <= b:
                    out.append((t, "[%s] [ warn] [engine] failed to flush chunk '1-%d.%09d.flb', retry in %d seconds: task_id=%d, input=tail.0 > output=stackdriver.0 (out_id=0)" % (
                        _d(t).strftime("%Y/%m/%d %H:%M:%S"), int(t) - 12, R.randint(0, 999999999), R.choice([6, 8, 9, 11, 16]), R.randint(0, 9))))
    out.sort(key=lambda x: x[0])
    return out


def gma_log(inst, a, b, bad):
    out = []
    t = inst.start + 0.02
    if inst.start >= a:
        for caller, msg in (("service/telemetry.go:84", "Setting up own telemetry..."),
                            ("service/service.go:143", "Starting otelsvc..."),
                            ("extensions/extensions.go:31", "Starting extensions..."),
                            ("healthcheckextension@v0.88.0/healthcheckextension.go:35", "Starting health_check extension"),
                            ("service/service.go:169", "Everything is ready. Begin running and processing data.")):
            out.append((t, "%s\tinfo\t%s\t%s" % (micro(t)[:-4] + "Z", caller, msg)))
            t += R.uniform(0.01, 0.3)
    for t in _times(max(a, inst.start + 5), b, 600.0 if not bad else 45.0):
        if bad and any(fa - 200 < t < fb + 600 for fa, fb in FLAPS):
            out.append((t, '%s\terror\texporterhelper/queued_retry.go:319\tExporting failed. The error is not retryable. Dropping data.\t{"kind": "exporter", "data_type": "metrics", "name": "googlecloud", "error": "rpc error: code = DeadlineExceeded desc = context deadline exceeded", "dropped_items": %d}' % (
                micro(t)[:-4] + "Z", R.randint(40, 400))))
        else:
            out.append((t, '%s\tinfo\tfilestorage/client.go:177\tcompaction done\t{"kind": "extension", "name": "file_storage", "directory": "/var/lib/gke-metrics-agent/queue"}' % (micro(t)[:-4] + "Z")))
    if getattr(inst, "truncated", False) and inst.finish and inst.finish <= b:
        # the agent blocked in write(2) on its stalled queue: the last (long) line is cut at the pipe
        # buffer and nothing follows it; the kubelet SIGKILLs it after the grace period
        t = inst.finish - 31.5 - R.uniform(5, 20)
        out = [x for x in out if x[0] < t]
        big = ",".join('{"metric": "kubernetes.io/internal/addons/workload_metrics/%s", "points": %d}' % (
            R.choice(["cpu_usage", "memory_working_set", "network_rx", "network_tx", "disk_io_time"]), R.randint(1, 9)) for _ in range(60))
        line = '%s\twarn\tbatchprocessor@v0.88.0/batch_processor.go:258\tSender failed\t{"kind": "processor", "name": "batch", "pipeline": "metrics", "error": "sending_queue is full", "pending": [%s]}' % (
            micro(t)[:-4] + "Z", big)
        out.sort(key=lambda x: x[0])
        out.append((t, line[:4096]))
        inst.no_trailing_newline = True
        return out
    out.sort(key=lambda x: x[0])
    return out


def generic_klog(p, cname, a, b):
    out = []
    if cname == "metrics-server":
        for fa, fb in FLAPS:
            for j in range(2):
                t = fa + 12 + 30 * j
                if a <= t <= b:
                    out.append((t, klog_lines(t, "E", "scraper.go:140", '"Failed to scrape node" err="Get \\"https://%s:10250/metrics/resource\\": context deadline exceeded" node="%s"' % (BAD.ip, BAD.name))))
        for t in _times(a, b, 5400):
            out.append((t, klog_lines(t, "I", "server.go:187", '"Failed probe" probe="metric-storage-ready" err="no metrics to serve"')))
    elif cname == "konnectivity-agent":
        for t in _times(a, b, 2400):
            out.append((t, klog_lines(t, "I", "client.go:440", '"Received DIAL_CLS" serverID="%s" connectionID=%d dialID=%d' % (uid(), R.randint(1, 99999), R.randint(10 ** 17, 10 ** 18)))))
        if p.node is BAD:
            for fa, fb in FLAPS:
                t = fa + R.uniform(4, 20)
                if a <= t <= b:
                    out.append((t, klog_lines(t, "E", "client.go:524", '"could not read stream" err="rpc error: code = Unavailable desc = error reading from server: read tcp %s:38410->34.121.77.18:8132: i/o timeout" serverID="%s" agentID="%s"' % (p.ip, uid(), p.name))))
                    out.append((fb + 3, klog_lines(fb + 3, "I", "client.go:307", '"Connect to server" serverID="%s"' % uid())))
    elif cname == "autoscaler":
        for t in _times(a, b, 600):
            out.append((t, klog_lines(t, "I", "autoscaler_server.go:157", "ConfigMap version change (old: %d new: %d) - rebuilding params" % (1, 1)) if R.random() < 0.02 else
                        klog_lines(t, "I", "k8sclient.go:277", "Cluster status: SchedulableNodes[6], SchedulableCores[24]")))
    elif cname in ("kubedns", "sidecar", "dnsmasq", "prometheus-to-sd", "event-exporter", "prometheus-to-sd-exporter",
                   "csi-driver-registrar", "gce-pd-driver", "fluentbit-gke", "core-metrics-exporter", "metrics-server-nanny",
                   "default-http-backend"):
        gap = {"gce-pd-driver": 60, "csi-driver-registrar": 36000, "kubedns": 7200, "dnsmasq": 5400, "sidecar": 9000,
               "prometheus-to-sd": 3600, "event-exporter": 1800, "prometheus-to-sd-exporter": 3600, "fluentbit-gke": 7200,
               "core-metrics-exporter": 7200, "metrics-server-nanny": 600, "default-http-backend": 99999}[cname]
        msg = {"gce-pd-driver": ("utils.go:66", "/csi.v1.Node/NodeGetCapabilities called with request: "),
               "csi-driver-registrar": ("main.go:102", "Received GetInfo call: &InfoRequest{}"),
               "kubedns": ("dns.go:580", "Added new service kubernetes.default.svc.cluster.local"),
               "dnsmasq": ("nanny.go:119", "dnsmasq[18]: Maximum number of concurrent DNS queries reached (max: 1500)"),
               "sidecar": ("dnsprobe.go:75", "Probe dnsmasq: ok"),
               "prometheus-to-sd": ("main.go:160", "Taking source configs from flags"),
               "event-exporter": ("sink.go:92", "Flushing 48 entries to Stackdriver"),
               "prometheus-to-sd-exporter": ("main.go:134", "Built the following source configs: [0xc0001ca0a0]"),
               "fluentbit-gke": ("exporter.go:132", "Scraped 412 metrics from fluent-bit"),
               "core-metrics-exporter": ("exporter.go:88", "Exported 37 time series"),
               "metrics-server-nanny": ("pod_nanny.go:109", "Resources are within the expected limits. Actual: {CPU: 43m, Memory: 55Mi}, accepted range: {CPU: [40m, 44m], Memory: [59Mi, 62Mi]}"),
               "default-http-backend": ("main.go:89", "Starting default backend server")}[cname]
        for t in _times(a, b, gap):
            out.append((t, klog_lines(t, "I", msg[0], msg[1])))
    out.sort(key=lambda x: x[0])
    return out


def netistio_webhook_log(p, a, b):
    """A quiet component: its log file still starts with the start-up of 04-04."""
    inst = p.sim["webhook"].instances[0]
    t = inst.start + 0.01
    out = []
    for what in ("Registering 2 clients", "Registering 2 informer factories", "Registering 3 informers",
                 "Registering 3 controllers"):
        out.append((t, "%s %s" % (stdlog(t), what)))
    t += 0.6
    for caller, msg in (("profiling/server.go:65", "Profiling enabled: false"),
                        ("leaderelection/context.go:47", "Running with Standard leader election"),
                        ("sharedmain/main.go:283", "Starting configuration manager..."),
                        ("sharedmain/main.go:311", "Starting controllers...")):
        out.append((t, zap(t, "INFO", "net-istio-webhook", caller, msg)))
        t += R.uniform(0.02, 0.4)
    out += webhook_log(p, inst.start + 30, b, logger="net-istio-webhook", commit=NET_ISTIO_COMMIT)
    return out


def container_log_text(p, cname, now):
    """What `kubectl logs` returns for the instance the kubelet picks (dump: current or last terminated)."""
    cs = p.sim[cname]
    cur, last, _, _ = cs.state_at(now)
    inst = cur or last
    return instance_log(p, cname, inst, now)


def instance_log(p, cname, inst, now):
    end = min(now, inst.finish) if inst.finish else now
    if p in NETISTIO_PODS:
        lines = [l for t, l in inst.logs if t <= end]
        return "".join(l + "\n" for l in lines)
    if p.labels.get("component") == "kube-proxy":
        return ""
    start = max(inst.start, LOG_TAIL_FROM - R.uniform(0, 3600))
    if cname == "controller" and p.ns == "knative-serving":
        lines = serving_controller_log(p, start, end)
    elif cname == "activator":
        lines = activator_log(p, start, end)
    elif cname == "autoscaler" and p.ns == "knative-serving":
        lines = autoscaler_log(p, start, end)
    elif cname == "webhook" and p.labels.get("app") == "webhook":
        lines = webhook_log(p, start, end)
    elif cname == "webhook":
        lines = netistio_webhook_log(p, inst.start, end)
    elif cname == "fluentbit":
        lines = fluentbit_log(p, start, end)
    elif cname == "gke-metrics-agent":
        lines = gma_log(inst, start if inst.start < start else inst.start, end, p.node is BAD)
    else:
        lines = generic_klog(p, cname, start, end)
    text = "".join(l + "\n" for t, l in lines)
    if getattr(inst, "no_trailing_newline", False):
        text = text[:-1]
    return text


# ======================================================================================
# Writers
# ======================================================================================
def write(path, text):
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def pods_in(ns, now):
    return sorted([p for p in ALL_PODS if p.ns == ns and p.deleted is None and p.created <= now], key=lambda p: p.name)


def write_cluster_info():
    now = CAP_DUMP
    write("cluster-info/nodes.json", go_json(typed_list("NodeList", "v1", [node_json(n, now) for n in sorted(NODES, key=lambda n: n.name)])) + "\n")
    for ns in ("knative-serving", "kube-system", "default"):
        base = "cluster-info/%s/" % ns
        write(base + "events.json", go_json(typed_list("EventList", "v1", events_for(ns, now))) + "\n")
        write(base + "replication-controllers.json", go_json(typed_list("ReplicationControllerList", "v1", [])) + "\n")
        write(base + "services.json", go_json(typed_list("ServiceList", "v1", sorted(services_json(ns), key=lambda s: s["metadata"]["name"]))) + "\n")
        write(base + "daemonsets.json", go_json(typed_list("DaemonSetList", "apps/v1", daemonsets_json() if ns == "kube-system" else [])) + "\n")
        deps = sorted(DEPLOYMENTS.get(ns, []), key=lambda d: d[0]["metadata"]["name"])
        write(base + "deployments.json", go_json(typed_list("DeploymentList", "apps/v1", [d for d, _ in deps])) + "\n")
        rss = sorted([r for _, rs in deps for r in rs], key=lambda r: r["metadata"]["name"])
        write(base + "replicasets.json", go_json(typed_list("ReplicaSetList", "apps/v1", rss)) + "\n")
        pods = pods_in(ns, now)
        write(base + "pods.json", go_json(typed_list("PodList", "v1", [pod_json(p, now) for p in pods])) + "\n")
        for p in pods:
            text = ""
            for c in p.spec["containers"]:
                body = container_log_text(p, c["name"], now)
                text += "==== START logs for container %s of pod %s/%s ====\n" % (c["name"], p.ns, p.name)
                text += body
                text += "==== END logs for container %s of pod %s/%s ====\n" % (c["name"], p.ns, p.name)
            write(base + "%s/logs.txt" % p.name, text)


def write_previous_logs():
    for p in NETISTIO_PODS:
        cs = p.sim["controller"]
        cur, last, _, _ = cs.state_at(CAP_PREVIOUS)
        write("previous-logs/%s-previous.log" % p.name, instance_log(p, "controller", last, CAP_PREVIOUS))


def get_pods_text(now):
    rows = ["NAME\tREADY\tSTATUS\tRESTARTS\tAGE\tIP\tNODE\tNOMINATED NODE\tREADINESS GATES"]
    for p in pods_in("knative-serving", now):
        st = pod_status(p, now)
        restarts, ready, reason, last_restart = 0, 0, "Running", None
        for s in reversed(st["containerStatuses"]):
            restarts += s["restartCount"]
            term = s["lastState"].get("terminated")
            if term:
                ft = T(term["finishedAt"])
                if last_restart is None or ft > last_restart:
                    last_restart = ft
            if "waiting" in s["state"]:
                reason = s["state"]["waiting"]["reason"]
            elif s["ready"] and "running" in s["state"]:
                ready += 1
        rs = str(restarts) if last_restart is None else "%d (%s ago)" % (restarts, since(now, last_restart))
        rows.append("\t".join([p.name, "%d/%d" % (ready, len(st["containerStatuses"])), reason, rs, since(now, p.created),
                               p.ip, p.node.name, "<none>", "<none>"]))
    return tabwriter("\n".join(rows) + "\n", 6, 3)


class PW:
    """kubectl describe PrefixWriter over a tabwriter(0, 8, 2, ' ', 0); Flush() splits alignment blocks."""

    def __init__(self):
        self.buf = ""
        self.out = ""

    def w(self, level, fmt, *a):
        self.buf += "  " * level + (fmt % a if a else fmt)

    def line(self, s):
        self.buf += s + "\n"

    def flush(self):
        if self.buf:
            self.out += tabwriter(self.buf, 0, 2)
        self.buf = ""

    def text(self):
        self.flush()
        return self.out


def describe_labels(pw, title, labels):
    pw.w(0, "%s:\t", title)
    if not labels:
        pw.line("<none>")
        return
    for i, k in enumerate(sorted(labels)):
        if i:
            pw.w(0, "\t")
        pw.w(0, "%s=%s\n", k, labels[k])


def describe_annotations(pw, title, ann):
    pw.w(0, "%s:\t", title)
    keys = sorted(k for k in ann if k != "kubectl.kubernetes.io/last-applied-configuration")
    if not keys:
        pw.line("<none>")
        return
    for i, k in enumerate(keys):
        if i:
            pw.w(0, "\t")
        v = ann[k].rstrip("\n")
        if len(v) + len(k) + 2 > 140 or "\n" in v:
            pw.w(0, "%s:\n", k)
            for s in v.split("\n"):
                pw.w(0, "\t  %s\n", s[:138] + "..." if len(s) > 138 else s)
        else:
            pw.w(0, "%s: %s\n", k, v)


def describe_probe(pr):
    attrs = "delay=%ds timeout=%ds period=%ds #success=%d #failure=%d" % (
        pr.get("initialDelaySeconds", 0), pr["timeoutSeconds"], pr["periodSeconds"], pr["successThreshold"], pr["failureThreshold"])
    hg = pr["httpGet"]
    return "http-get %s://%s:%s%s %s" % (hg["scheme"].lower(), hg.get("host", ""), hg["port"], hg["path"], attrs)


def describe_events(pw, events, now):
    if not events:
        pw.w(0, "Events:\t<none>\n")
        return
    pw.flush()

    def sort_key(e):
        if e.get("series"):
            return T(e["series"]["lastObservedTime"])
        if e.get("lastTimestamp"):
            return T(e["lastTimestamp"])
        return T(e["eventTime"])
    events = sorted(events, key=sort_key)
    pw.w(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    pw.w(1, "----\t------\t----\t----\t-------\n")
    for e in events:
        first = since(now, T(e["eventTime"])) if e.get("eventTime") else since(now, T(e["firstTimestamp"]))
        if e.get("count", 0) > 1:
            interval = "%s (x%d over %s)" % (since(now, T(e["lastTimestamp"])), e["count"], first)
        else:
            interval = first
        src = e["source"].get("component") or e["reportingComponent"]
        pw.w(1, "%s\t%s\t%s\t%s\t%s\n", e["type"], e["reason"], interval, src, e["message"].strip())


def describe_pod(p, now):
    pw = PW()
    st = pod_status(p, now)
    pw.w(0, "Name:\t%s\n", p.name)
    pw.w(0, "Namespace:\t%s\n", p.ns)
    pw.w(0, "Priority:\t%d\n", p.spec["priority"])
    if p.spec.get("priorityClassName"):
        pw.w(0, "Priority Class Name:\t%s\n", p.spec["priorityClassName"])
    pw.w(0, "Service Account:\t%s\n", p.spec["serviceAccountName"])
    pw.w(0, "Node:\t%s\n", p.node.name + "/" + p.node.ip)
    pw.w(0, "Start Time:\t%s\n", rfc1123z(T(st["startTime"])))
    describe_labels(pw, "Labels", p.labels)
    describe_annotations(pw, "Annotations", p.annotations)
    pw.w(0, "Status:\t%s\n", st["phase"])
    pw.w(0, "IP:\t%s\n", p.ip)
    pw.w(0, "IPs:\n")
    pw.w(1, "IP:\t%s\n", p.ip)
    pw.w(0, "Controlled By:\t%s/%s\n", p.owner[0], p.owner[1])
    pw.w(0, "Containers:\n")
    statuses = {s["name"]: s for s in st["containerStatuses"]}
    for c in p.spec["containers"]:
        s = statuses[c["name"]]
        pw.w(1, "%s:\n", c["name"])
        pw.w(2, "Container ID:\t%s\n", s["containerID"])
        pw.w(2, "Image:\t%s\n", c["image"])
        pw.w(2, "Image ID:\t%s\n", s["imageID"])
        ports = ", ".join("%d/%s" % (pp["containerPort"], pp["protocol"]) for pp in c.get("ports", []))
        hports = ", ".join("%d/%s" % (0, pp["protocol"]) for pp in c.get("ports", []))
        pw.w(2, ("Ports:\t%s\n" if "," in ports else "Port:\t%s\n"), ports or "<none>")
        pw.w(2, ("Host Ports:\t%s\n" if "," in hports else "Host Port:\t%s\n"), hports or "<none>")
        for label, state in (("State", s["state"]), ("Last State", s["lastState"])):
            if label == "Last State" and "terminated" not in state:
                continue
            if "running" in state:
                pw.w(2, "%s:\tRunning\n", label)
                pw.w(3, "Started:\t%s\n", rfc1123z(T(state["running"]["startedAt"])))
            elif "waiting" in state:
                pw.w(2, "%s:\tWaiting\n", label)
                pw.w(3, "Reason:\t%s\n", state["waiting"]["reason"])
            else:
                tm = state["terminated"]
                pw.w(2, "%s:\tTerminated\n", label)
                pw.w(3, "Reason:\t%s\n", tm["reason"])
                pw.w(3, "Exit Code:\t%d\n", tm["exitCode"])
                pw.w(3, "Started:\t%s\n", rfc1123z(T(tm["startedAt"])))
                pw.w(3, "Finished:\t%s\n", rfc1123z(T(tm["finishedAt"])))
        pw.w(2, "Ready:\t%s\n", "True" if s["ready"] else "False")
        pw.w(2, "Restart Count:\t%d\n", s["restartCount"])
        res = c["resources"]
        if res.get("limits"):
            pw.w(2, "Limits:\n")
            for k in sorted(res["limits"]):
                pw.w(3, "%s:\t%s\n", k, res["limits"][k])
        if res.get("requests"):
            pw.w(2, "Requests:\n")
            for k in sorted(res["requests"]):
                pw.w(3, "%s:\t%s\n", k, res["requests"][k])
        if c.get("livenessProbe"):
            pw.w(2, "Liveness:\t%s\n", describe_probe(c["livenessProbe"]))
        if c.get("readinessProbe"):
            pw.w(2, "Readiness:\t%s\n", describe_probe(c["readinessProbe"]))
        pw.w(2, "Environment:%s\n", "" if c.get("env") else "\t<none>")
        for e in c.get("env", []):
            if "value" in e:
                pw.w(3, "%s:\t%s\n", e["name"], e["value"])
            else:
                fr = e["valueFrom"]["fieldRef"]
                val = {"metadata.namespace": p.ns, "metadata.name": p.name, "status.podIP": p.ip, "spec.nodeName": p.node.name}[fr["fieldPath"]]
                pw.w(3, "%s:\t%s (%s:%s)\n", e["name"], val, fr["apiVersion"], fr["fieldPath"])
        mounts = c.get("volumeMounts", [])
        pw.w(2, "Mounts:%s\n", "" if mounts else "\t<none>")
        for m in sorted(mounts, key=lambda m: m["mountPath"]):
            pw.w(3, "%s from %s (%s)\n", m["mountPath"], m["name"], "ro" if m.get("readOnly") else "rw")
    pw.w(0, "Conditions:\n  Type\tStatus\n")
    for cnd in st["conditions"]:
        pw.w(1, "%s \t%s \n", cnd["type"], cnd["status"])
    pw.w(0, "Volumes:\n")
    for v in p.spec["volumes"]:
        pw.w(1, "%s:\n", v["name"])
        if "projected" in v:
            pw.w(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
            pw.w(2, "TokenExpirationSeconds:\t%d\n", 3607)
            pw.w(2, "ConfigMapName:\t%s\n    ConfigMapOptional:\t%s\n", "kube-root-ca.crt", "<nil>")
            pw.w(2, "DownwardAPI:\ttrue\n")
    pw.w(0, "QoS Class:\t%s\n", st["qosClass"])
    describe_labels(pw, "Node-Selectors", p.spec.get("nodeSelector", {}))
    pw.w(0, "Tolerations:\t")
    tols = sorted(p.spec["tolerations"], key=lambda t: t.get("key", ""))
    for i, tl in enumerate(tols):
        if i:
            pw.w(0, "\t")
        pw.w(0, "%s", tl.get("key", ""))
        if tl.get("effect"):
            pw.w(0, ":%s", tl["effect"])
        if tl.get("operator") == "Exists":
            pw.w(0, " op=Exists" if (tl.get("key") or tl.get("effect")) else "op=Exists")
        if "tolerationSeconds" in tl:
            pw.w(0, " for %ds", tl["tolerationSeconds"])
        pw.w(0, "\n")
    evs = [e for e in events_for(p.ns, now) if e["involvedObject"].get("uid") == p.uid]
    describe_events(pw, evs, now)
    return pw.text()


def pod_req_lim(p):
    req = {"cpu": 0, "memory": 0}
    lim = {"cpu": 0, "memory": 0}
    for c in p.spec["containers"]:
        r = c["resources"]
        for k, parse in (("cpu", parse_cpu), ("memory", parse_mem)):
            if k in r.get("requests", {}):
                req[k] += parse(r["requests"][k])
            elif k in r.get("limits", {}):
                req[k] += parse(r["limits"][k])
            if k in r.get("limits", {}):
                lim[k] += parse(r["limits"][k])
    return req, lim


def describe_node(n, now):
    nj = node_json(n, now)
    pw = PW()
    pw.w(0, "Name:\t%s\n", n.name)
    pw.w(0, "Roles:\t%s\n", "<none>")
    describe_labels(pw, "Labels", nj["metadata"]["labels"])
    describe_annotations(pw, "Annotations", nj["metadata"]["annotations"])
    pw.w(0, "CreationTimestamp:\t%s\n", rfc1123z(n.created))
    pw.w(0, "Taints:\t")
    pw.line("<none>")
    pw.w(0, "Unschedulable:\t%s\n", "false")
    pw.w(0, "Lease:\n")
    pw.w(1, "HolderIdentity:\t%s\n", n.name)
    pw.w(1, "AcquireTime:\t%s\n", "<unset>")
    pw.w(1, "RenewTime:\t%s\n", rfc1123z(now - R.uniform(1, 9)))
    pw.w(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
    pw.w(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
    for c in nj["status"]["conditions"]:
        pw.w(1, "%s \t%s \t%s \t%s \t%s \t%s\n", c["type"], c["status"], rfc1123z(T(c["lastHeartbeatTime"])),
             rfc1123z(T(c["lastTransitionTime"])), c["reason"], c["message"])
    pw.w(0, "Addresses:\n")
    for a in nj["status"]["addresses"]:
        pw.w(1, "%s:\t%s\n", a["type"], a["address"])
    for title, rl in (("Capacity", nj["status"]["capacity"]), ("Allocatable", nj["status"]["allocatable"])):
        pw.w(0, "%s:\n", title)
        for k in ("cpu", "ephemeral-storage", "hugepages-1Gi", "hugepages-2Mi", "memory", "pods"):
            pw.w(0, "  %s:\t%s\n", k, rl[k])
    info = nj["status"]["nodeInfo"]
    pw.w(0, "System Info:\n")
    for label, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
                       ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
                       ("Architecture", "architecture"), ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion")):
        pw.w(0, "  %s:\t%s\n", label, info[key])
    pw.w(0, "PodCIDR:\t%s\n", n.cidr)
    pw.w(0, "PodCIDRs:\t%s\n", n.cidr)
    pw.w(0, "ProviderID:\t%s\n", nj["spec"]["providerID"])
    rows = []
    for p in ALL_PODS:
        if p.node is n and p.deleted is None:
            req, lim = pod_req_lim(p)
            rows.append((p.ns, p.name, req, lim, p.created))
    if n is BAD:
        for ns, name, rc, lc, rm, lm, created in OTHER_ON_BAD:
            rows.append((ns, name, {"cpu": rc, "memory": rm << 20}, {"cpu": lc, "memory": lm << 20}, created))
    rows.sort(key=lambda r: (r[0], r[1]))
    pw.w(0, "Non-terminated Pods:\t(%d in total)\n", len(rows))
    pw.w(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    pw.w(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    tot_req, tot_lim = {"cpu": 0, "memory": 0}, {"cpu": 0, "memory": 0}
    for ns, name, req, lim, created in rows:
        for k in tot_req:
            tot_req[k] += req[k]
            tot_lim[k] += lim[k]
        pw.w(1, "%s\t%s\t\t%s (%d%%)\t%s (%d%%)\t%s (%d%%)\t%s (%d%%)\t%s\n", ns, name,
             cpu_str(req["cpu"]), int(req["cpu"] * 100 / ALLOC_CPU), cpu_str(lim["cpu"]), int(lim["cpu"] * 100 / ALLOC_CPU),
             mem_str(req["memory"]), int(req["memory"] * 100 / ALLOC_MEM), mem_str(lim["memory"]), int(lim["memory"] * 100 / ALLOC_MEM),
             since(now, created))
    pw.w(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    pw.w(1, "Resource\tRequests\tLimits\n")
    pw.w(1, "--------\t--------\t------\n")
    pw.w(1, "%s\t%s (%d%%)\t%s (%d%%)\n", "cpu", cpu_str(tot_req["cpu"]), int(tot_req["cpu"] * 100 / ALLOC_CPU),
         cpu_str(tot_lim["cpu"]), int(tot_lim["cpu"] * 100 / ALLOC_CPU))
    pw.w(1, "%s\t%s (%d%%)\t%s (%d%%)\n", "memory", mem_str(tot_req["memory"]), int(tot_req["memory"] * 100 / ALLOC_MEM),
         mem_str(tot_lim["memory"]), int(tot_lim["memory"] * 100 / ALLOC_MEM))
    pw.w(1, "%s\t%s (%d%%)\t%s (%d%%)\n", "ephemeral-storage", "0", 0, "0", 0)
    pw.w(1, "%s\t%s (%d%%)\t%s (%d%%)\n", "hugepages-1Gi", "0", 0, "0", 0)
    pw.w(1, "%s\t%s (%d%%)\t%s (%d%%)\n", "hugepages-2Mi", "0", 0, "0", 0)
    evs = [e for e in events_for("default", now) if e["involvedObject"].get("kind") == "Node" and e["involvedObject"]["name"] == n.name]
    describe_events(pw, evs, now)
    return pw.text()


# ======================================================================================
# leases.yaml (kubectl get leases -n knative-serving -o yaml)
# ======================================================================================
def lease(name, holder, acquire, renew, transitions, created, duration=60):
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"creationTimestamp": rfc3339(created), "name": name, "namespace": "knative-serving",
                         "resourceVersion": rv(R.randint(1, 90)), "uid": uid()},
            "spec": {"acquireTime": micro(acquire), "holderIdentity": holder, "leaseDurationSeconds": duration,
                     "leaseTransitions": transitions, "renewTime": micro(renew)}}


def leases_yaml(now):
    items = []
    ni_created = CLUSTER_CREATED + 86400 * 9 + 3711
    c_id = "%s_%s" % (NI_C.name, SIM_C.pre.uuid)
    for name, acq, trans in ((LEASE_INGRESS, C_LEADER_ACQUIRE[LEASE_INGRESS], 47), (LEASE_SKS, C_LEADER_ACQUIRE[LEASE_SKS], 46)):
        renew = acq + 20.0 + R.uniform(0.0005, 0.004)  # two renewals, then SIGTERM; the release never reached the API server
        items.append(lease(name, c_id, acq, renew, trans, ni_created))
    ctl = KN["controller"]
    ctl_id = "%s_%s" % (ctl.name, uid())
    for rec in ("certificate", "configuration", "domainmapping", "gc", "labeler", "nscert", "revision", "route",
                "serverlessservice", "service"):
        acq = KNATIVE_INSTALL + 71.3 + R.uniform(0, 0.4)
        renew = now - R.uniform(0.3, 9.8)
        items.append(lease("controller.knative.dev.serving.pkg.reconciler.%s.reconciler.00-of-01" % rec, ctl_id, acq, renew,
                           R.randint(3, 6), CLUSTER_CREATED + 86400 * 9 + 3650))
    au = KN["autoscaler"]
    au_id = "%s_%s" % (au.name, uid())
    items.append(lease("autoscaler-bucket-00-of-01", "%s_%s" % (au.name, au.ip), KNATIVE_INSTALL + 64.0 + R.random(),
                       now - R.uniform(0.5, 9), 5, CLUSTER_CREATED + 86400 * 9 + 3640))
    for rec in ("autoscaling.kpa", "metric"):
        items.append(lease("autoscaler.knative.dev.serving.pkg.reconciler.%s.reconciler.00-of-01" % rec, au_id,
                           KNATIVE_INSTALL + 66.2 + R.random(), now - R.uniform(0.3, 9.5), 4, CLUSTER_CREATED + 86400 * 9 + 3640))
    wh = KN["webhook"]
    wh_id = "%s_%s" % (wh.name, uid())
    for rec in ("configmapwebhook", "defaultingwebhook", "validationwebhook", "webhookcertificates"):
        items.append(lease("webhook.%s.00-of-01" % rec, wh_id, KNATIVE_INSTALL + 66.9 + R.random(), now - R.uniform(0.3, 9.5), 5,
                           CLUSTER_CREATED + 86400 * 9 + 3655))
    nw = KN["net-istio-webhook"]
    nw_id = "%s_%s" % (nw.name, uid())
    for rec in ("configmapwebhook", "webhookcertificates"):
        items.append(lease("net-istio-webhook.%s.00-of-01" % rec, nw_id, KNATIVE_INSTALL + 69.4 + R.random(), now - R.uniform(0.3, 9.5), 4,
                           ni_created))
    items.sort(key=lambda x: x["metadata"]["name"])
    return to_yaml({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})


# ======================================================================================
# configmaps.yaml (kubectl get cm -n knative-serving config-gc config-leader-election config-network config-istio config-logging -o yaml)
# The _example texts below are written for this example (same keys and defaults as 1.12.3 ships).
# ======================================================================================
BANNER = """################################
#                              #
#    EXAMPLE CONFIGURATION     #
#                              #
################################

# This block is documentation only: nothing in it takes effect.
# To change a setting, copy the key out of this block to the top
# level of the data section (do not edit it in place: the webhook
# rejects edits of this block, see knative.dev/example-checksum).
"""

EXAMPLES = {
    "config-gc": BANNER + """
# ---------------------------------------
# Garbage Collector Settings
# ---------------------------------------
#
# A revision is "active" while a Route references it, or when it
# carries the annotation serving.knative.dev/no-gc: "true".
# Active revisions are never collected.
#
# A non-active revision is kept while any of these holds:
#   1. it was created less than retain-since-create-time ago,
#   2. it was last routed less than retain-since-last-active-time ago,
#   3. fewer than min-non-active-revisions non-active revisions exist.
# Beyond max-non-active-revisions the oldest are removed regardless.
# "disabled" switches a time or count limit off.
#
# Collect every non-active revision right away:
#    min-non-active-revisions: "0"
#    max-non-active-revisions: "0"
#    retain-since-create-time: "disabled"
#    retain-since-last-active-time: "disabled"
#
# Keep only the last ten non-active revisions:
#    retain-since-create-time: "disabled"
#    retain-since-last-active-time: "disabled"
#    max-non-active-revisions: "10"
#
# Never collect anything:
#    retain-since-create-time: "disabled"
#    retain-since-last-active-time: "disabled"
#    max-non-active-revisions: "disabled"

# Age since creation before a revision may be collected, or "disabled".
retain-since-create-time: "48h"

# Time since it was last routed before a revision may be collected, or "disabled".
retain-since-last-active-time: "15h"

# Non-active revisions always kept per Configuration.
min-non-active-revisions: "20"

# Upper bound on non-active revisions per Configuration, or "disabled".
max-non-active-revisions: "1000"
""",
    "config-leader-election": BANNER + """
# lease-duration: how long candidates wait before they may take a lease
# whose holder stopped renewing it (core Kubernetes controllers use 15s).
lease-duration: "60s"

# renew-deadline: how long the leader keeps retrying a renewal before it
# gives the lease up (core Kubernetes controllers use 10s).
renew-deadline: "40s"

# retry-period: the pause between two attempts to acquire or renew
# (core Kubernetes controllers use 2s).
retry-period: "10s"

# buckets: how many slices the key space of each reconciler is split
# into; the replicas of a component compete for the buckets, and the
# holder of a bucket reconciles the keys that hash into it.
buckets: "1"
""",
    "config-network": BANNER + """
# ingress-class: the Ingress implementation used when a Route does not
# name one with an annotation. Changing it for existing Routes is not
# supported; set it when Knative is installed.
ingress-class: "istio.ingress.networking.knative.dev"

# certificate-class: the Certificate implementation used for external
# domain TLS when a Route does not name one.
certificate-class: "cert-manager.certificate.networking.knative.dev"

# domain-template: how the host name of a Route is built.
domain-template: "{{.Name}}.{{.Namespace}}.{{.Domain}}"

# tag-template: how the host name of a traffic tag is built.
tag-template: "{{.Tag}}-{{.Name}}"

# external-domain-tls: provision certificates for external domains.
external-domain-tls: "Disabled"

# cluster-local-domain-tls: provision certificates for cluster-local domains.
cluster-local-domain-tls: "Disabled"

# http-protocol: "Enabled" serves plain HTTP, "Redirected" answers
# HTTP with a redirect to HTTPS.
http-protocol: "Enabled"

# enable-mesh-pod-addressability: let mesh clients reach revision pods
# directly (net-istio then creates a VirtualService per ServerlessService).
enable-mesh-pod-addressability: "false"

# default-external-scheme: the scheme Route URLs are reported with.
default-external-scheme: "http"
""",
    "config-istio": BANNER + """
# The shared Gateway for external traffic, as
# gateway.<gateway-namespace>.<gateway-name>: <service address>.
gateway.knative-serving.knative-ingress-gateway: "istio-ingressgateway.istio-system.svc.cluster.local"

# The shared Gateway for cluster-local traffic, as
# local-gateway.<gateway-namespace>.<gateway-name>: <service address>.
local-gateway.knative-serving.knative-local-gateway: "knative-local-gateway.istio-system.svc.cluster.local"
""",
    "config-logging": BANNER + """
# Settings shared by every Knative component.
zap-logger-config: |
  {
    "level": "info",
    "development": false,
    "outputPaths": ["stdout"],
    "errorOutputPaths": ["stderr"],
    "encoding": "json",
    "encoderConfig": {
      "timeKey": "timestamp",
      "levelKey": "severity",
      "nameKey": "logger",
      "callerKey": "caller",
      "messageKey": "message",
      "stacktraceKey": "stacktrace",
      "lineEnding": "",
      "levelEncoder": "",
      "timeEncoder": "iso8601",
      "durationEncoder": "",
      "callerEncoder": ""
    }
  }

# Per-component log level. Changes apply at once, except for the
# queue-proxy, whose pods must be recreated.
loglevel.controller: "info"
loglevel.autoscaler: "info"
loglevel.queueproxy: "info"
loglevel.webhook: "info"
loglevel.activator: "info"
loglevel.hpaautoscaler: "info"
loglevel.net-certmanager-controller: "info"
loglevel.net-istio-controller: "info"
loglevel.net-kourier-controller: "info"
""",
}

CM_LABELS = {
    "config-gc": {"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3"},
    "config-leader-election": {"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3"},
    "config-network": {"app.kubernetes.io/component": "networking", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3"},
    "config-istio": {"app.kubernetes.io/component": "net-istio", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3",
                     "networking.knative.dev/ingress-provider": "istio"},
    "config-logging": {"app.kubernetes.io/component": "logging", "app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.12.3"},
}


def configmaps_yaml():
    items = []
    for name in ("config-gc", "config-leader-election", "config-network", "config-istio", "config-logging"):
        example = EXAMPLES[name]
        ann = {}
        if name != "config-istio":  # net-istio's config-istio carries no checksum in 1.12
            ann["knative.dev/example-checksum"] = "%08x" % (zlib.crc32(example.encode()) & 0xffffffff)
        applied = {"apiVersion": "v1", "data": {"_example": example}, "kind": "ConfigMap",
                   "metadata": {"annotations": dict(ann), "labels": CM_LABELS[name], "name": name, "namespace": "knative-serving"}}
        ann["kubectl.kubernetes.io/last-applied-configuration"] = compact_json(applied) + "\n"
        created = CLUSTER_CREATED + 86400 * 9 + 3602 + R.uniform(0, 9)
        items.append({"apiVersion": "v1", "data": {"_example": example}, "kind": "ConfigMap",
                      "metadata": {"annotations": ann, "creationTimestamp": rfc3339(created), "labels": CM_LABELS[name],
                                   "name": name, "namespace": "knative-serving", "resourceVersion": rv(), "uid": uid()}})
    return to_yaml({"apiVersion": "v1", "items": [sort_keys(i) for i in items], "kind": "List", "metadata": {"resourceVersion": ""}})


# ======================================================================================
# revisions.json / configurations.json / routes.json (kubectl get ... -A -o json)
# ======================================================================================
def _cond(typ, status, t, reason=None, message=None, severity=None):
    c = {"lastTransitionTime": rfc3339(t), "status": status, "type": typ}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    if severity:
        c["severity"] = severity
    return c


def revision_json(k, r):
    labels = {"serving.knative.dev/configuration": k.name, "serving.knative.dev/configurationGeneration": str(r["n"]),
              "serving.knative.dev/configurationUID": k.cfg_uid, "serving.knative.dev/routingState": r["routing"],
              "serving.knative.dev/service": k.name, "serving.knative.dev/serviceUID": k.svc_uid}
    ann = {"serving.knative.dev/creator": k.creator, "serving.knative.dev/routingStateModified": rfc3339(r["modified"])}
    if r["routes"]:
        ann["serving.knative.dev/routes"] = r["routes"]
    if k.kind == "no-gc":
        ann["serving.knative.dev/no-gc"] = "true"
    if k.min_scale:
        ann["autoscaling.knative.dev/min-scale"] = str(k.min_scale)
    ctr = {"image": "%s:%s" % (k.image, r["digest"][7:19]), "name": "user-container",
           "readinessProbe": {"successThreshold": 1, "tcpSocket": {"port": 0}}, "resources": {}}
    if k.port:
        ctr["ports"] = [{"containerPort": k.port, "protocol": "TCP"}]
    active = r["active_scale"] > 0
    conds = [
        _cond("Active", "True" if active else "False", r["ready"] + (0 if active else R.uniform(62, 200)),
              None if active else "NoTraffic", None if active else "The target is not receiving traffic.", "Info"),
        _cond("ContainerHealthy", "True", r["ready"] - R.uniform(0.5, 3)),
        _cond("Ready", "True", r["ready"] - R.uniform(0.5, 3)),
        _cond("ResourcesAvailable", "True", r["ready"] - R.uniform(0.5, 3)),
    ]
    obj = {
        "apiVersion": "serving.knative.dev/v1", "kind": "Revision",
        "metadata": {"annotations": ann, "creationTimestamp": rfc3339(r["created"]), "generation": 1, "labels": labels,
                     "name": r["name"], "namespace": k.ns,
                     "ownerReferences": [{"apiVersion": "serving.knative.dev/v1", "blockOwnerDeletion": True, "controller": True,
                                          "kind": "Configuration", "name": k.name, "uid": k.cfg_uid}],
                     "resourceVersion": r["rv"], "uid": r["uid"]},
        "spec": {"containerConcurrency": 0, "containers": [ctr], "enableServiceLinks": False, "timeoutSeconds": 300},
        "status": {"actualReplicas": r["active_scale"], "conditions": conds,
                   "containerStatuses": [{"imageDigest": "%s@%s" % (k.image, r["digest"]), "name": "user-container"}],
                   "desiredReplicas": r["active_scale"], "observedGeneration": 1},
    }
    return sort_keys(obj)


def kubectl_list(items):
    return go_json({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}) + "\n"


def revisions_json():
    items = [revision_json(k, r) for k, r in sorted(ALL_REVS, key=lambda x: (x[0].ns, x[1]["name"]))]
    return kubectl_list(items)


def configuration_json(k):
    latest = k.revisions[-1]
    md = {"annotations": {"serving.knative.dev/creator": k.creator, "serving.knative.dev/lastModifier": k.creator,
                          "serving.knative.dev/routes": k.name},
          "creationTimestamp": rfc3339(k.created), "generation": latest["n"],
          "labels": {"serving.knative.dev/route": k.name, "serving.knative.dev/service": k.name,
                     "serving.knative.dev/serviceUID": k.svc_uid},
          "name": k.name, "namespace": k.ns,
          "ownerReferences": [{"apiVersion": "serving.knative.dev/v1", "blockOwnerDeletion": True, "controller": True,
                               "kind": "Service", "name": k.name, "uid": k.svc_uid}],
          "resourceVersion": rv(R.randint(1, 60)), "uid": k.cfg_uid}
    tmpl_ann = {}
    if k.kind == "no-gc":
        tmpl_ann["serving.knative.dev/no-gc"] = "true"
    if k.min_scale:
        tmpl_ann["autoscaling.knative.dev/min-scale"] = str(k.min_scale)
    ctr = {"image": "%s:%s" % (k.image, latest["digest"][7:19]), "name": "user-container",
           "readinessProbe": {"successThreshold": 1, "tcpSocket": {"port": 0}}, "resources": {}}
    if k.port:
        ctr["ports"] = [{"containerPort": k.port, "protocol": "TCP"}]
    tmeta = {"creationTimestamp": None}
    if tmpl_ann:
        tmeta["annotations"] = tmpl_ann
    spec = {"template": {"metadata": tmeta, "spec": {"containerConcurrency": 0, "containers": [ctr],
                                                     "enableServiceLinks": False, "timeoutSeconds": 300}}}
    status = {"conditions": [_cond("Ready", "True", latest["ready"])], "latestCreatedRevisionName": latest["name"],
              "latestReadyRevisionName": latest["name"], "observedGeneration": latest["n"]}
    return sort_keys({"apiVersion": "serving.knative.dev/v1", "kind": "Configuration", "metadata": md, "spec": spec, "status": status})


def route_json(k):
    latest = k.revisions[-1]
    md = {"annotations": {"serving.knative.dev/creator": k.creator, "serving.knative.dev/lastModifier": k.creator},
          "creationTimestamp": rfc3339(k.created), "finalizers": ["routes.serving.knative.dev"],
          "generation": 1 + (1 if k.key in CANARY | TAGGED else 0),
          "labels": {"serving.knative.dev/service": k.name}, "name": k.name, "namespace": k.ns,
          "ownerReferences": [{"apiVersion": "serving.knative.dev/v1", "blockOwnerDeletion": True, "controller": True,
                               "kind": "Service", "name": k.name, "uid": k.svc_uid}],
          "resourceVersion": rv(R.randint(1, 60)), "uid": k.route_uid}
    ready_t = (latest["ready"] + R.uniform(1, 4)) if k.route_ready else None
    if k.route_ready:
        conds = [_cond("AllTrafficAssigned", "True", k.created + 31),
                 _cond("CertificateProvisioned", "True", k.created + 20, "TLSNotEnabled", "external-domain-tls is not enabled"),
                 _cond("IngressReady", "True", ready_t), _cond("Ready", "True", ready_t)]
    else:
        first_stuck = k.outage_revs[0]["ready"] + R.uniform(0.3, 1.2)
        conds = [_cond("AllTrafficAssigned", "True", k.created + 31),
                 _cond("CertificateProvisioned", "True", k.created + 20, "TLSNotEnabled", "external-domain-tls is not enabled"),
                 _cond("IngressReady", "Unknown", first_stuck, "IngressNotConfigured", "Ingress has not yet been reconciled."),
                 _cond("Ready", "Unknown", first_stuck, "IngressNotConfigured", "Ingress has not yet been reconciled.")]
    host = "%s.%s.apps.acme.example" % (k.name, k.ns)
    status = {"address": {"url": "http://%s.%s.svc.cluster.local" % (k.name, k.ns)}, "conditions": conds,
              "observedGeneration": md["generation"], "traffic": k.status_traffic, "url": "http://" + host}
    spec = {"traffic": k.traffic}
    return sort_keys({"apiVersion": "serving.knative.dev/v1", "kind": "Route", "metadata": md, "spec": spec, "status": status})


def configurations_json():
    return kubectl_list([configuration_json(k) for k in sorted(KSVCS, key=lambda k: (k.ns, k.name))])


def routes_json():
    return kubectl_list([route_json(k) for k in sorted(KSVCS, key=lambda k: (k.ns, k.name))])


# ======================================================================================
# main
# ======================================================================================
OUT = HERE
GENERATED = ["cluster-info", "previous-logs", "leases.yaml", "configmaps.yaml", "revisions.json", "configurations.json",
             "routes.json", "get-pods.txt", "truth.json", "README.md"]  # truth.json: removed, kept here to clean old runs


def facts():
    """Numbers the README quotes (computed, so the prose cannot drift from the data)."""
    f = {}
    f["revisions"] = N_REV
    f["ksvc"] = N_KSVC
    f["namespaces"] = len(KSVC_NAMES)
    by_kind = {}
    for k in KSVCS:
        by_kind.setdefault(k.kind, []).append(len(k.revisions))
    f["by_kind"] = {kind: (len(v), sum(v), min(v), max(v)) for kind, v in by_kind.items()}
    f["active"] = sum(1 for k, r in ALL_REVS if r["routing"] == "active")
    f["reserve"] = sum(1 for k, r in ALL_REVS if r["routing"] == "reserve")
    f["stuck_routes"] = sorted("%s/%s" % k.key for k in KSVCS if not k.route_ready)
    f["stuck_active"] = sum(1 for k in KSVCS if not k.route_ready for r in k.revisions if r["routing"] == "active" and r is not k.revisions[-1])
    f["pods"] = {}
    for s in (SIM_A, SIM_B, SIM_C):
        cur, last, rc, bo = s.cs.state_at(CAP_DUMP)
        runs = [i for i in s.cs.instances[1:] if i.finish]
        f["pods"][s.pod.name] = {"node": s.pod.node.name, "ip": s.pod.ip, "restarts": rc, "backoff": backoff_str(bo) if bo else None,
                                 "last_start": rfc3339(last.start), "last_finish": rfc3339(last.finish),
                                 "runs": len(runs), "min_run": round(min(i.finish - i.start for i in runs), 1),
                                 "max_run": round(max(i.finish - i.start for i in runs), 1),
                                 "median_run": round(sorted(i.finish - i.start for i in runs)[len(runs) // 2], 1),
                                 "first_kill": rfc3339(s.pre.kill), "first_exit": rfc3339(s.pre.finish)}
    f["informers"] = INFORMER_SIZE
    return f


def gc_after(min_nonactive=3, max_nonactive=10):
    """Revisions left if config-gc were min/max as given (time knobs at their defaults) and Routes were Ready."""
    total = 0
    for k in KSVCS:
        latest = k.revisions[-1]
        pinned = [r for r in k.revisions if r["routes"] and (r is latest or k.key in CANARY | TAGGED) and
                  (r is latest or r is k.revisions[-2] and k.key in CANARY or k.key in TAGGED and r is k.revisions[-4])]
        if k.kind == "no-gc":
            total += len(k.revisions)
            continue
        nonactive = [r for r in k.revisions if r not in pinned]
        nonstale = [r for r in nonactive if CAP_REVISIONS - r["created"] < GC_CREATE or CAP_REVISIONS - r["modified"] < GC_ACTIVE]
        keep = max(min(len(nonactive), min_nonactive), len(nonstale))
        keep = min(keep, max_nonactive)
        total += len(pinned) + keep
    return total


def readme():
    f = facts()
    pa, pb, pc = (f["pods"][p.name] for p in (NI_A, NI_B, NI_C))
    bk = f["by_kind"]
    c_id = "%s_%s" % (NI_C.name, SIM_C.pre.uuid)
    hh = lambda t: _d(t).strftime("%H:%M:%S")
    runs_a = [i for i in SIM_A.cs.instances[1:] if i.finish]
    last_a = SIM_A.cs.state_at(CAP_DUMP)[1]
    return """# Example: net-istio-controller crash-looping (Knative Serving 1.12.3, Kubernetes 1.26.12)

A realistic evidence folder for one incident, as an on-call engineer would have gathered it at
about 10:05 UTC on 2024-04-12. Every file is written by `generate.py` (Python 3 stdlib, fixed seed,
byte-identical on every run: `python3 examples/net-istio-crashloop/generate.py`). The generator
*simulates* the incident (kubelet probe workers and restart back-off, the client-go event correlator
with its aggregation, counts and spam filter, the 1 h event TTL, the leader-election leases, Knative
revision GC) on one clock and renders each file at the moment it was captured, so times, ages,
counts and back-off values agree across files. The expected diagnosis is at the end of "Ground
truth" below, in the shape of the shared cases' `truth.json` (it is not a file here, so that
`unloop diagnose examples/net-istio-crashloop` reads evidence only).

## What the folder holds, and how it was gathered

| File | Command (capture time, UTC) | Format notes |
|---|---|---|
| `get-pods.txt` | `kubectl get pods -n knative-serving -o wide` ({get}) | kubectl 1.26 table, `RESTARTS` as `23 (2m10s ago)` |
| `describe-net-istio-controller-k8x2p.txt` | `kubectl describe pod -n knative-serving {pa_name}` ({dp}) | kubectl 1.26 (`#success=1 #failure=6`, Events `(xN over M)`) |
| `describe-node-{bad}.txt` | `kubectl describe node {bad}` ({dn}) | NPD conditions, Lease, node events |
| `cluster-info/` | `kubectl cluster-info dump --namespaces knative-serving,kube-system,default --output-directory=cluster-info` ({dump}) | typed lists, `json.MarshalIndent` 4 spaces, items without kind/apiVersion, managedFields kept; `<ns>/<pod>/logs.txt` with START/END blocks |
| `previous-logs/<pod>-previous.log` | `kubectl logs -n knative-serving <pod> --previous` for the three net-istio-controller pods ({prev}) | raw container output |
| `leases.yaml` | `kubectl get leases -n knative-serving -o yaml` ({leases}) | `List`, sorted keys, MicroTime stamps |
| `configmaps.yaml` | `kubectl get cm -n knative-serving config-gc config-leader-election config-network config-istio config-logging -o yaml` ({cm}) | `List`, `_example` only (as 1.12.3 ships them), `last-applied-configuration` from `kubectl apply` |
| `revisions.json` | `kubectl get revisions.serving.knative.dev -A -o json` ({revs}) | `List`, 4-space indent, sorted keys |
| `configurations.json` | `kubectl get configurations.serving.knative.dev -A -o json` ({cfgs}) | |
| `routes.json` | `kubectl get routes.serving.knative.dev -A -o json` ({routes}) | |

The dump holds, per namespace, `events.json`, `replication-controllers.json`, `services.json`,
`daemonsets.json`, `deployments.json`, `replicasets.json`, `pods.json` and one `logs.txt` per pod;
node events are in `default/events.json`. Per the kubelet's rules the dump's logs are the *current*
instance of a running container and the *last terminated* instance of a container waiting in
CrashLoopBackOff. GKE's kube-proxy writes to `/var/log/kube-proxy.log`, so its blocks are empty; the
crash-looping `gke-metrics-agent` on the bad node was SIGKILLed while blocked in `write(2)`, so its
log ends in a line cut at 4096 bytes with no newline, and the END marker is glued to it.

## The cluster

* GKE, Kubernetes {kv}, containerd 1.7, six `e2-standard-4` nodes (pools `pool-1`, `pool-2`).
* Knative Serving 1.12.3 with net-istio 1.12.3, installed with `kubectl apply` on 2024-04-04 13:27
  (that is when the current ReplicaSets were created). `net-istio-controller` runs 3 replicas (HA),
  container `controller`, limits 300m/400Mi, liveness `GET /health` on `probes` (8080) every 5 s,
  failureThreshold 6, timeout 1 s (the default), no initialDelay, no startupProbe.
* {nksvc} Knative Services in {nns} namespaces with **{nrev} Revisions** ({nact} `active`, {nres} `reserve`).
  config-gc is untouched (defaults: keep revisions younger than 48 h or routed within 15 h, and
  at least 20 non-active per Configuration; at most 1000):
  * {mat_n} mature services keep exactly 21 revisions (20 reserve + the latest): {mat_r} revisions;
  * {ci_n} services redeployed hourly by CI keep every revision of the last 48 h ({ci_min}-{ci_max} each);
  * {cif_n} preview services redeployed every 15 minutes keep {cif_max} each;
  * {nogc_n} legacy services carry `serving.knative.dev/no-gc: "true"` and keep all of theirs ({nogc_min}-{nogc_max});
  * {yg_n} young services keep all of their 1-20 revisions ({yg_r} in total).
* Every retained Revision keeps a Deployment, a PodAutoscaler, a ServerlessService, two K8s Services
  and two Endpoints. net-istio-controller lists all of them cluster-wide at start: about
  {svc} Services, {ep} Endpoints, {sks} ServerlessServices, {sec} Secrets, {pods_} Pods, {vs} VirtualServices
  and {ing} Ingresses.

## Timeline (2024-04-12, UTC)

| Time | What happened | Where it shows |
|---|---|---|
| 08:41-08:52 | Node `{bad}`: I/O stalls (hung tasks), NPD health-checker restarts containerd five times | `TaskHung`, `ContainerdUnhealthy` node events; `FrequentContainerdRestart` condition |
| 08:51:05 | The node stalls: liveness probes of both net-istio pods on it time out | `Unhealthy` events (first timestamps) |
| {a_kill} | `{pa_name}` (the leader of both net-istio leases) is killed; it is stuck in D state and SIGKILLed after the 30 s grace ({a_exit}, exit 137); `{pb_name}` likewise | restart counts, events |
| 08:52:05-08:52:51 | First NodeNotReady flap (PLEG unhealthy while containerd restarts) | node events, pod `NodeNotReady` events |
| 08:52:14 | `{pc_name}` on a healthy node takes both leases (60 s after the last renewal it observed) and is promoted: it enqueues every Ingress and ServerlessService | `leases.yaml` acquireTime |
| {c_kill} | Reconciling that backlog at 300m CPU, it stops answering `/health` within 1 s and is killed; it is still draining its work queue when the grace period ends and is SIGKILLed ({c_exit}); its release of the leases never reaches the API server | `leases.yaml`: holder `{c_id}`, renewTime 08:52:3x |
| 08:53 onwards | All three pods loop: each run lists ~20k objects, the informer sync takes 11-19 s (`DeltaFIFO Pop Process` traces), the probe server starts only after it (`connection refused` before, `context deadline exceeded` after), the first six probes fail, kill at about 30 s, SIGTERM, graceful exit 0, back-off 10s, 20s, 40s, 1m20s, 2m40s, 5m0s | logs, events, pod status |
| every run | A new candidate must observe the stale lease for 60 s before it may take it; each run lives about 15 s after it starts campaigning, so nobody ever becomes leader: no Ingress is reconciled | `attempting to acquire leader lease`, then `has stopped leading` right after the kill |
| 09:00 onwards | CI deploys new revisions; their Routes cannot become Ready (`IngressNotConfigured`), so the labeler keeps the previous revisions `active` | `routes.json` (Ready Unknown), `revisions.json` (several `active` per Configuration) |
| 09:14, 09:41, 09:58 | More NotReady flaps of the bad node; at 09:58:41 the health-checker restarts the kubelet itself | node events `Starting kubelet.` etc. |
| 09:31-09:47 | Unrelated: HPA scales the activator 2->3->2 | `SuccessfulRescale`, `ScalingReplicaSet` events |
| after 09:58 | The restarted kubelet forgot its back-off state, so the two pods on the bad node restart faster for a while (10s, 20s, 40s, ...) | restart counts {pa_r}/{pb_r} vs {pc_r} |
| 10:00-10:05 | `gke-metrics-agent` on the bad node crash-loops too (unrelated workload, same node) | kube-system pods/events |
| {dump} | Evidence gathered | |

At capture time: `{pa_name}` ({bad}) restarts {pa_r}, `{pb_name}` ({bad}) restarts {pb_r},
`{pc_name}` ({pc_node}) restarts {pc_r}. Runs last {minrun}-{maxrun} s (median {medrun} s; a run
is longer when one probe happens to get its answer in time and resets the failure count).

## Ground truth

**Root cause: liveness probe timeout under load, caused by object accumulation.** Old Revisions
(and the ServerlessService, two Services, two Endpoints and a Deployment each keeps) are listed and
handled by every net-istio-controller replica at start. With a 300m CPU limit the process needs
11-19 s just to sync its informers (the probe server only starts listening after that, see below),
and while it is still digesting the initial notifications it cannot answer `/health` within the
1 s timeout. Six failures in a row (30 s) and the kubelet restarts it, forever. The logs look
healthy: there is no error before `has stopped leading`, which Knative prints on SIGTERM whether or
not it was leader.

**Contributing: a bad node.** `{bad}` has hung tasks, repeated containerd restarts
(`FrequentContainerdRestart` True), NotReady flaps, a kubelet restart and an unrelated pod
(`gke-metrics-agent`) crash-looping. It started the loop (it stalled the leader) and makes every
run on it slower, but the replica on the healthy node `{pc_node}` crash-loops too: the node is not
the root cause.

**Symptom: leadership stuck.** Both net-istio leases name an identity of `{pc_name}` from its
08:52 incarnation, renewTime more than an hour old, leaseTransitions 47/46. No replica lives long
enough (60 s) to take them over, so net-istio reconciles nothing and Routes changed since 08:52
stay not-ready.

**Fix.**
1. `kubectl cordon {bad}`, `kubectl drain {bad} --ignore-daemonsets --delete-emptydir-data`,
   then replace the VM (GKE recreates it from the instance group) or reimage it.
2. Tighten revision GC in `config-gc` (top-level keys, not inside `_example`), e.g.
   `min-non-active-revisions: "3"` and `max-non-active-revisions: "10"`; remove `no-gc` from the
   legacy revisions that do not need it. With Routes Ready again that leaves about {after} of the {nrev}
   Revisions.
3. `kubectl -n knative-serving scale deploy net-istio-controller --replicas=1` so that one replica, on
   a healthy node, finishes its sync, takes the leases (after 60 s) and works off the backlog; give it
   room while it does (for example a higher CPU limit, or a liveness budget longer than the sync:
   `initialDelaySeconds`/`failureThreshold`, or the operator's `livenessProbes` override).
4. When it is Ready and the leases are renewed, scale back to 3.

```json
%s
```

## Facts the generator follows (and decisions)

* **Start-up order (knative/pkg release-1.12 `sharedmain.MainWithConfig`)**: std-log `Registering ...`,
  `Profiling enabled: false` (profiling/server.go:65), `Running with Standard leader election`
  (leaderelection/context.go:47), `Starting configuration manager...` (sharedmain/main.go:283), the
  fallback logger's `Starting informers...` (injection/injection.go:63), which blocks until every
  informer has synced, `Starting controllers...` (main.go:311), then two goroutines: `StartAll`
  (per controller: `... will run in leader-elected mode with id ...`, klog `attempting to acquire
  leader lease ...`, `Starting controller and workers`, `Started workers`) and `ServeHealthProbes`
  (`Probes server listening on port 8080`, injection/health_check.go:43). Which goroutine logs first
  is a race; here the probe line usually comes last. So before the sync ends probes get
  `connect: connection refused`, after it `context deadline exceeded (Client.Timeout exceeded while
  awaiting headers)`; both appear in the events.
* **Exit**: Knative handles SIGTERM (`signals.NewContext`): the context is cancelled, workers drain,
  `MainWithConfig` returns, the process exits 0, so `Last State: Terminated, Reason: Completed,
  Exit Code: 0` with Started/Finished about 30 s apart (for example {la_s} to {la_f}). A crash loop
  with exit code 0 is what this mechanism produces. The first kills at 08:51-08:53 are exit 137
  (stuck on the bad node; the promoted leader still draining a real work queue at the end of the
  grace period).
* **Logs**: zap JSON as the default (no `zap-logger-config` in config-logging: upper-case
  `severity`, RFC3339Nano `timestamp`, `commit`), no `knative.dev/pod` (net-istio sets no POD_NAME),
  the ingress controller's lines carry `knative.dev/controller` twice (zap writes both fields),
  client-go klog text interleaved (knative/pkg 1.12 does not route klog through zap), trace
  format of k8s.io/utils before be5eaf9 (printed at -v=0). On SIGTERM, probe requests that were
  still queued log `Signal context canceled` and `Healthcheck failed: received SIGTERM from kubelet`
  (with a stacktrace): a consequence, not a cause.
* **Events**: kubelet 1.26 messages (`Back-off restarting failed container controller in pod
  <pod>_knative-serving(<uid>)`, `Created container controller`). The kubelet's client-go recorder
  counts every occurrence but its spam filter lets 25 writes through per pod and then one per
  5 minutes, and events expire 1 h after their last write: after an hour of crash-looping only a
  few events per pod remain visible, with high counts and old `lastTimestamp`s (compare
  `{pc_name}`). The kubelet restart at 09:58:41 reset that state on the bad node, so the
  two pods there also show fresh events (`Killing`, `Pulled`, ...) beside the old ones.
* **Routes** not reconciled since the outage show `IngressReady`/`Ready` **Unknown** with reason
  `IngressNotConfigured` ("Ingress has not yet been reconciled."): that is what
  `RouteStatus.MarkIngressNotConfigured` sets in serving 1.12 (not False). Affected: {stuck}.
* **ConfigMaps**: the `_example` texts are written for this example with the same keys and
  defaults as 1.12.3 ships; `knative.dev/example-checksum` is the CRC-32 of that text (as
  `configmap.Checksum` computes it), so it is self-consistent but differs from upstream's values.
  net-istio's `config-istio` has no checksum annotation in 1.12.
* **Size**: `revisions.json` is about 12 MB: 3,100 Revisions in kubectl's 4-space-indented JSON
  take about 3.9 KB each even with a minimal spec (the spec is what the defaulting webhook leaves:
  image, `user-container`, readiness `tcpSocket` port 0, `containerConcurrency`, `timeoutSeconds`,
  `enableServiceLinks`). It compresses to about 0.45 MB.
* Names are invented; GKE-style nodes, IPs from 10.48.0.0/14 (pods), 10.128.0.0/20 (nodes),
  10.52.0.0/20 (services).
""".format(
        get=hh(CAP_GET_PODS), dp=hh(CAP_DESCRIBE_POD), dn=hh(CAP_DESCRIBE_NODE), dump=hh(CAP_DUMP), prev=hh(CAP_PREVIOUS),
        leases=hh(CAP_LEASES), cm=hh(CAP_CM), revs=hh(CAP_REVISIONS), cfgs=hh(CAP_CONFIGS), routes=hh(CAP_ROUTES),
        bad=BAD.name, pa_name=NI_A.name, pb_name=NI_B.name, pc_name=NI_C.name, pc_node=NI_C.node.name,
        kv=KUBELET_VERSION, nksvc=f["ksvc"], nns=f["namespaces"], nrev=f["revisions"], nact=f["active"], nres=f["reserve"],
        mat_n=bk["mature"][0], mat_r=bk["mature"][1], ci_n=bk["ci-hourly"][0], ci_min=bk["ci-hourly"][2], ci_max=bk["ci-hourly"][3],
        cif_n=bk["ci-fast"][0], cif_max=bk["ci-fast"][3], nogc_n=bk["no-gc"][0], nogc_min=bk["no-gc"][2], nogc_max=bk["no-gc"][3],
        yg_n=bk["young"][0], yg_r=bk["young"][1],
        svc=INFORMER_SIZE["Service"], ep=INFORMER_SIZE["Endpoints"], sks=INFORMER_SIZE["ServerlessService"],
        sec=INFORMER_SIZE["Secret"], pods_=INFORMER_SIZE["Pod"], vs=INFORMER_SIZE["VirtualService"], ing=INFORMER_SIZE["Ingress"],
        a_kill=hh(SIM_A.pre.kill), a_exit=hh(SIM_A.pre.finish), c_kill=hh(SIM_C.pre.kill), c_exit=hh(SIM_C.pre.finish), c_id=c_id,
        pa_r=pa["restarts"], pb_r=pb["restarts"], pc_r=pc["restarts"],
        minrun=min(p["min_run"] for p in (pa, pb, pc)), maxrun=max(p["max_run"] for p in (pa, pb, pc)),
        medrun=pb["median_run"], la_s=hh(last_a.start), la_f=hh(last_a.finish),
        after=gc_after(), stuck=", ".join("`%s`" % s for s in f["stuck_routes"])) % json.dumps(truth(), indent=2)


def truth():
    return {
        "source": "bundled example (examples/net-istio-crashloop/generate.py)",
        "title": "net-istio-controller crash-loops: liveness probe times out while a CPU-capped controller digests thousands of retained Revisions; one node makes it worse",
        "primary": "probe-timeout-under-load",
        "acceptable": ["object-accumulation", "startup-exceeds-probe-budget", "cpu-starved"],
        "contributing": ["node-unhealthy", "leader-election-lost"],
        "resolution": "Revisions kept by config-gc defaults (min-non-active-revisions 20, 48h/15h retention, no-gc annotations, Routes stuck not-ready) "
                      "multiply Services/Endpoints/ServerlessServices that every net-istio-controller replica lists and handles at start. "
                      "Under its 300m CPU limit the controller cannot answer /health within the 1s probe timeout before the 6x5s liveness budget runs out, "
                      "so the kubelet restarts it (SIGTERM, graceful exit 0). Node gke-prod-pool-1-3f9c2a1b-x7kq (hung I/O, containerd and kubelet restarts) "
                      "started the loop and makes runs slower. Fix: tighten config-gc and clean up, cordon/drain/replace the node, scale the controller "
                      "to 1 (more CPU or a longer liveness budget), then back to 3.",
        "difficulty": "hard",
    }


def main():
    for g in GENERATED:
        path = os.path.join(OUT, g)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    for name in os.listdir(OUT):
        if name.startswith("describe-") and name.endswith(".txt"):
            os.remove(os.path.join(OUT, name))
    write_cluster_info()
    write_previous_logs()
    write("get-pods.txt", get_pods_text(CAP_GET_PODS))
    write("describe-net-istio-controller-%s.txt" % NI_A.name.rsplit("-", 1)[1], describe_pod(NI_A, CAP_DESCRIBE_POD))
    write("describe-node-%s.txt" % BAD.name, describe_node(BAD, CAP_DESCRIBE_NODE))
    write("leases.yaml", leases_yaml(CAP_LEASES))
    write("configmaps.yaml", configmaps_yaml())
    write("revisions.json", revisions_json())
    write("configurations.json", configurations_json())
    write("routes.json", routes_json())
    write("README.md", readme())
    if "--facts" in sys.argv:
        print(json.dumps(facts(), indent=2))


if __name__ == "__main__":
    main()
