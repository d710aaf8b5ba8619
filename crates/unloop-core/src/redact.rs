//! Secret scrubbing.
//!
//! Evidence pasted from a cluster can hold bearer tokens, passwords, private
//! keys and cloud credentials (in container args, log lines, ConfigMaps). They
//! are replaced with `[REDACTED]` as evidence enters the model, so nothing
//! downstream (reports, JSON, snapshots) can print them.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What replaces a secret.
pub const MASK: &str = "[REDACTED]";

const SECRET_WORDS: &str =
    "(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)";

static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let p = |re: &str, rep: &'static str| (Regex::new(re).expect("static regex"), rep);
    vec![
        // PEM private keys, possibly with escaped newlines inside JSON strings.
        p(
            r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
            "-----BEGIN ${1}PRIVATE KEY----- [REDACTED]",
        ),
        // Authorization headers and bearer tokens.
        p(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/=]{8,}", "$1 [REDACTED]"),
        p(
            r"(?i)(authorization:\s*basic)\s+[A-Za-z0-9+/=]{4,}",
            "$1 [REDACTED]",
        ),
        // JSON Web Tokens (service-account tokens among them).
        p(
            r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            "[REDACTED]",
        ),
        // AWS access key ids.
        p(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", "[REDACTED]"),
        // --key=value and key=value (flags, logfmt, env dumps) for secret-looking keys.
        p(
            &format!(
                r#"(?i)(\b[A-Za-z0-9_.\-]*{SECRET_WORDS}[A-Za-z0-9_.\-]*=)("[^"]*"|'[^']*'|[^\s,;&"'}}\]]+)"#
            ),
            "$1[REDACTED]",
        ),
        // "key": "value" (JSON).
        p(
            &format!(r#"(?i)("[A-Za-z0-9_.\-]*{SECRET_WORDS}[A-Za-z0-9_.\-]*"\s*:\s*)"[^"]*""#),
            "$1\"[REDACTED]\"",
        ),
        // key: value at the start of a line (YAML, describe's Environment block).
        p(
            &format!(
                r#"(?im)^(\s*-?\s*[A-Za-z0-9_.\-]*{SECRET_WORDS}[A-Za-z0-9_.\-]*:[ \t]+)(\S.*)$"#
            ),
            "$1[REDACTED]",
        ),
        // Credentials in URLs: scheme://user:pass@host
        p(
            r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@",
            "$1[REDACTED]@",
        ),
    ]
});

/// Returns `s` with secrets masked; borrows when nothing was found.
pub fn redact(s: &str) -> Cow<'_, str> {
    let mut out: Cow<'_, str> = Cow::Borrowed(s);
    for (re, rep) in PATTERNS.iter() {
        if re.is_match(&out) {
            let replaced = re.replace_all(&out, *rep).into_owned();
            out = Cow::Owned(replaced);
        }
    }
    out
}

/// Masks secrets in place.
pub fn redact_in_place(s: &mut String) {
    if let Cow::Owned(r) = redact(s) {
        *s = r;
    }
}

/// Whether a key (a ConfigMap key, an env var, a flag) names a secret value.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api-key",
        "api_key",
        "private-key",
        "private_key",
        "privatekey",
        "credential",
        "access-key",
        "access_key",
    ]
    .iter()
    .any(|needle| k.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_common_secrets() {
        let cases = [
            (
                "Authorization: Bearer abcdefghijklmnop1234",
                "abcdefghijklmnop1234",
            ),
            ("--db-password=hunter2hunter2 --port=5432", "hunter2hunter2"),
            (r#"{"client_secret":"s3cr3t-value"}"#, "s3cr3t-value"),
            (
                "token: eyJhbGciOiJSUzI1NiIs.eyJpc3MiOiJrdWJlcm5ldGVz.c2lnbmF0dXJlLXZhbHVl",
                "eyJhbGci",
            ),
            ("aws key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"),
            ("postgres://app:pa55word@db:5432/app", "pa55word"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
                "MIIEow",
            ),
        ];
        for (input, secret) in cases {
            let out = redact(input);
            assert!(!out.contains(secret), "{input:?} -> {out:?}");
            assert!(out.contains(MASK), "{input:?} -> {out:?}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for s in [
            "Liveness probe failed: Get \"http://10.0.0.1:8080/health\": context deadline exceeded",
            "Registering 8 informers",
            "secret \"webhook-certs\" not found",
            "failed to list *v1.Secret: forbidden",
        ] {
            assert!(matches!(redact(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn secret_keys_are_recognised() {
        assert!(is_secret_key("DB_PASSWORD"));
        assert!(is_secret_key("github-token"));
        assert!(!is_secret_key("max-non-active-revisions"));
    }
}
