//! The headers the dev server checks (`Host`) and the ones it sends with every response.

use hyper::header::{HeaderMap, HeaderName, HeaderValue};

/// The page's policy, as in the `<meta>` tag of `index.html`, plus what only a header can
/// say: `frame-ancestors *`, so slides on another origin may embed the playground.
/// Sent with every response, so a worker script gets it too (a worker does not inherit
/// the page's `<meta>` policy; its own response's header is its policy).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; \
     img-src 'self' blob: data:; style-src 'self'; connect-src 'self'; \
     frame-ancestors *";

/// The policy of the benchmark page, `www/bench.html`: the page's policy loosened by
/// exactly what TF.js needs there. Its bundle (`tf.min.js`) installs regenerator-runtime
/// with `Function("r", ...)` when that global is missing, which is `unsafe-eval`, and the
/// page styles itself with a `<style>` element; TF.js's wasm backend starts its threads'
/// workers from `blob:` URLs, and each of them loads its script with `importScripts` of
/// another `blob:` URL under the page's policy (a worker made from a `blob:` URL keeps
/// its creator's), so `blob:` is a worker and a script source there (without either its
/// set-up never finishes). It is a
/// development page on our own files, not the site learners use; the playground keeps
/// the strict policy.
pub const BENCH_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval' blob:; worker-src 'self' blob:; \
     img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; \
     frame-ancestors *";

/// The policy of the tutorial's cell runner, `www/tutorial/worker.js`: the page's policy
/// plus `'unsafe-eval'`, because running the JavaScript a learner types into a cell is
/// what that worker is for (`new Function` over the cell's text). It runs in its own
/// worker, away from the page and from the playground's engine worker, which keep the
/// strict policy; a worker's policy is its own script's header, so nothing else is loosened.
pub const TUTORIAL_WORKER_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'; worker-src 'self'; \
     img-src 'self' blob: data:; style-src 'self'; connect-src 'self'; \
     frame-ancestors *";

/// The Content-Security-Policy for a request path (as checked segments).
pub fn policy_for<S: AsRef<str>>(segments: &[S]) -> &'static str {
    let parts: Vec<&str> = segments.iter().map(AsRef::as_ref).collect();
    match parts.as_slice() {
        ["www", "bench.html"] => BENCH_CONTENT_SECURITY_POLICY,
        ["www", "tutorial", "worker.js"] => TUTORIAL_WORKER_CONTENT_SECURITY_POLICY,
        _ => CONTENT_SECURITY_POLICY,
    }
}

/// Headers on every response besides the policy. `no-cache` makes the browser
/// revalidate each file, so a rebuilt `www/pkg/` is picked up on reload.
const ALWAYS: &[(&str, &str)] =
    &[("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"), ("cache-control", "no-cache")];

/// Added by `--isolate`: cross-origin isolation, which `SharedArrayBuffer` (threads in
/// wasm) needs. Off by default: under `require-corp` a page on another origin can no
/// longer embed the playground unless it is isolated too, and nothing uses threads yet.
const ISOLATION: &[(&str, &str)] =
    &[("cross-origin-opener-policy", "same-origin"), ("cross-origin-embedder-policy", "require-corp")];

/// Adds the site's headers to a response's headers, with `policy` as its CSP.
pub fn add_site_headers(headers: &mut HeaderMap, policy: &'static str, isolate: bool) {
    let extra: &[(&str, &str)] = if isolate { ISOLATION } else { &[] };
    let policy = [("content-security-policy", policy)];
    for (name, value) in policy.iter().chain(ALWAYS).chain(extra) {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
}

/// Why a request's `Host` was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum BadHost {
    /// No `Host`, several, or one that is not text (HTTP/1.1 requires exactly one): 400.
    Missing,
    /// A name other than this server's loopback names, or another port: 421. This is the
    /// defence against DNS rebinding, where a page on `evil.example` re-points its name
    /// at 127.0.0.1 and reads the server as same-origin; its requests still say
    /// `Host: evil.example:PORT`.
    Other,
}

/// Checks that a request is addressed to this server: `Host` must be `127.0.0.1:PORT`,
/// `localhost:PORT` or `[::1]:PORT` (without the port only when PORT is 80).
pub fn check_host(headers: &HeaderMap, port: u16) -> Result<(), BadHost> {
    let mut hosts = headers.get_all(hyper::header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return Err(BadHost::Missing);
    };
    let host = host.to_str().map_err(|_| BadHost::Missing)?;
    if host_is_this_server(host, port) {
        Ok(())
    } else {
        Err(BadHost::Other)
    }
}

fn host_is_this_server(host: &str, port: u16) -> bool {
    // The port follows the last colon after the name; `[::1]` has colons of its own.
    let (name, given_port) = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => (&host[..i], Some(&host[i + 1..])),
        _ => (host, None),
    };
    let port_ok = match given_port {
        // Compared as text, so `08080` or `+8080` is not taken for 8080.
        Some(text) => text == port.to_string(),
        None => port == 80,
    };
    port_ok && (name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hosts(hosts: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for host in hosts {
            headers.append(hyper::header::HOST, HeaderValue::from_str(host).unwrap());
        }
        headers
    }

    #[test]
    fn accepts_the_loopback_names_with_our_port() {
        for host in ["127.0.0.1:8143", "localhost:8143", "LocalHost:8143", "[::1]:8143"] {
            assert_eq!(check_host(&with_hosts(&[host]), 8143), Ok(()), "{host}");
        }
        assert_eq!(check_host(&with_hosts(&["localhost"]), 80), Ok(()));
    }

    #[test]
    fn refuses_other_names_and_ports() {
        for host in [
            "evil.example:8143",
            "evil.example",
            "localhost",
            "127.0.0.1",
            "127.0.0.1:8144",
            "127.0.0.1:08143",
            "localhost.:8143",
            "localhost.evil.example:8143",
            "127.0.0.2:8143",
            "[::2]:8143",
            "[::1]",
            "0.0.0.0:8143",
            "127.0.0.1:8143@evil.example",
            "",
        ] {
            assert_eq!(check_host(&with_hosts(&[host]), 8143), Err(BadHost::Other), "{host}");
        }
    }

    #[test]
    fn needs_exactly_one_host() {
        assert_eq!(check_host(&with_hosts(&[]), 8143), Err(BadHost::Missing));
        assert_eq!(check_host(&with_hosts(&["localhost:8143", "localhost:8143"]), 8143), Err(BadHost::Missing));
    }

    #[test]
    fn the_header_policy_is_the_pages_policy_plus_frame_ancestors() {
        // If index.html's policy changes, this header must change with it.
        let page = std::fs::read_to_string(crate::repo_root().join("index.html")).unwrap();
        let meta = page
            .split("<meta http-equiv=\"Content-Security-Policy\" content=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("index.html has a CSP <meta> tag");
        assert_eq!(CONTENT_SECURITY_POLICY, format!("{meta}; frame-ancestors *"));
    }

    #[test]
    fn only_the_benchmark_page_gets_the_loose_policy() {
        assert_eq!(policy_for(&["www", "bench.html"]), BENCH_CONTENT_SECURITY_POLICY);
        for page in [&["index.html"][..], &["www", "bench.js"], &["www", "x", "bench.html"]] {
            assert_eq!(policy_for(page), CONTENT_SECURITY_POLICY, "{page:?}");
        }
        // Loosened by exactly four sources, nothing else.
        let loose = BENCH_CONTENT_SECURITY_POLICY
            .replace(" 'unsafe-eval' blob:", "")
            .replace(" 'unsafe-inline'", "")
            .replace("worker-src 'self' blob:", "worker-src 'self'");
        assert_eq!(loose, CONTENT_SECURITY_POLICY);
    }

    #[test]
    fn only_the_tutorial_worker_may_eval() {
        assert_eq!(policy_for(&["www", "tutorial", "worker.js"]), TUTORIAL_WORKER_CONTENT_SECURITY_POLICY);
        for page in [&["www", "tutorial.html"][..], &["www", "tutorial", "tutorial.js"], &["www", "worker.js"]] {
            assert_eq!(policy_for(page), CONTENT_SECURITY_POLICY, "{page:?}");
        }
        let strict = TUTORIAL_WORKER_CONTENT_SECURITY_POLICY.replace(" 'unsafe-eval'", "");
        assert_eq!(strict, CONTENT_SECURITY_POLICY);
    }

    #[test]
    fn isolation_headers_only_when_asked() {
        let mut plain = HeaderMap::new();
        add_site_headers(&mut plain, CONTENT_SECURITY_POLICY, false);
        assert_eq!(plain["content-security-policy"], CONTENT_SECURITY_POLICY);
        assert_eq!(plain["x-content-type-options"], "nosniff");
        assert!(plain.get("cross-origin-opener-policy").is_none());
        assert!(plain.get("cross-origin-embedder-policy").is_none());
        let mut isolated = HeaderMap::new();
        add_site_headers(&mut isolated, CONTENT_SECURITY_POLICY, true);
        assert_eq!(isolated["cross-origin-opener-policy"], "same-origin");
        assert_eq!(isolated["cross-origin-embedder-policy"], "require-corp");
    }
}
