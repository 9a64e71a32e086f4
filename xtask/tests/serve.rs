//! `xtask serve` as a client sees it: the real binary, started as a child process on a
//! free port over a site made by the test (with `target/`, `.git/`, `Cargo.toml` and
//! symlinks that lead out of the site), spoken to over raw TCP so that malformed and
//! hostile requests can be sent as they are.

#![cfg(unix)] // symlinks in the fixture, /proc for memory

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A folder laid out like the repository, removed on drop.
struct TempSite {
    /// The parent of `root` and of a folder outside it that symlinks point at.
    dir: PathBuf,
    root: PathBuf,
}

const WASM: &[u8] = b"\0asm\x01\0\0\0";
const BIG_BYTES: usize = 32 << 20;

impl TempSite {
    fn new() -> TempSite {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "xtask-serve-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let root = dir.join("repo");
        let site = TempSite { dir, root };
        let files: &[(&str, &[u8])] = &[
            ("index.html", b"<!doctype html><title>playground</title>"),
            ("www/main.js", b"export const x = 1;\n"),
            ("www/style.css", b"body { margin: 0 }\n"),
            ("www/i18n/en.json", b"{\"a\": 1}"),
            ("www/assets/icon.png", b"\x89PNG\r\n\x1a\n"),
            ("www/assets/task-b/test.tpds", b"TPDS\x01\x02"),
            ("www/assets/model-a/weights.bin", &[1, 2, 3, 4]),
            ("www/API.md", b"# API\n"),
            ("www/pkg/transfer_playground_bg.wasm", WASM),
            ("www/slides/index.html", b"<!doctype html><title>slides</title>"),
            ("www/bench.html", b"<!doctype html><title>bench</title>"),
            ("www/.env", b"SECRET=hidden-file"),
            ("node_modules/@tensorflow/tfjs/dist/tf.min.js", b"var tf = {};\n"),
            ("node_modules/@tensorflow/tfjs/package.json", b"{}"),
            ("node_modules/left-pad/index.js", b"module.exports = 0;\n"),
            ("target/release/xtask", b"SECRET=target"),
            (".git/config", b"SECRET=git"),
            ("Cargo.toml", b"SECRET=cargo"),
            ("secret.txt", b"SECRET=root-file"),
            // Outside the root: where escaping links lead, and a linked node_modules
            // package as in a git worktree.
            ("../outside/secret.txt", b"SECRET=outside"),
            ("../main/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm", WASM),
        ];
        for (path, bytes) in files {
            let path = site.root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
        let big: Vec<u8> = (0..BIG_BYTES).map(|i| (i % 251) as u8).collect();
        std::fs::write(site.root.join("www/assets/big.bin"), big).unwrap();
        let link = |target: &Path, at: &str| {
            std::os::unix::fs::symlink(target, site.root.join(at)).unwrap();
        };
        link(Path::new("../target"), "www/to-target");
        link(Path::new("../secret.txt"), "www/secret.txt");
        link(Path::new("../.git"), "www/git");
        link(&site.dir.join("outside"), "www/outside");
        link(&site.dir.join("outside/secret.txt"), "www/outside.txt");
        link(&site.dir.join("main/tfjs-backend-wasm"), "node_modules/@tensorflow/tfjs-backend-wasm");
        site
    }
}

impl Drop for TempSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running `xtask serve`, killed on drop.
struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    _site: TempSite,
}

impl Server {
    fn start(flags: &[&str]) -> Server {
        let site = TempSite::new();
        let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["serve", "--port", "0", "--root"])
            .arg(&site.root)
            .args(flags)
            .stdout(Stdio::piped())
            .spawn()
            .expect("xtask starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        stdout.read_line(&mut banner).unwrap();
        let port = banner
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {banner:?}"));
        // Keep reading the log, so the server never blocks on a full pipe.
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        Server { child, port, log, _site: site }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        stream
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends `raw` as it is on a new connection and reads the reply until the server
    /// closes it.
    fn raw(&self, raw: &[u8]) -> Reply {
        let mut stream = self.connect();
        stream.write_all(raw).unwrap();
        Reply::read(&mut stream)
    }

    fn request(&self, method: &str, path: &str) -> Reply {
        self.raw(format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.host()).as_bytes())
    }

    fn get(&self, path: &str) -> Reply {
        self.request("GET", path)
    }

    /// Peak resident memory of the server so far, from /proc.
    fn peak_memory_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status")
    }

    fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// Reads one response that ends when the connection closes.
    fn read(stream: &mut TcpStream) -> Reply {
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).expect("the reply");
        Reply::parse(&bytes).unwrap_or_else(|| panic!("not an HTTP reply: {:?}", String::from_utf8_lossy(&bytes)))
    }

    fn parse(bytes: &[u8]) -> Option<Reply> {
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&bytes[..end]).ok()?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        Some(Reply { status, headers, body: bytes[end + 4..].to_vec() })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }
}

#[test]
fn serves_the_site_with_the_right_types() {
    let server = Server::start(&[]);
    for (path, mime, body) in [
        ("/", "text/html", b"<!doctype html><title>playground</title>" as &[u8]),
        ("/index.html", "text/html", b"<!doctype html><title>playground</title>"),
        ("/www/main.js", "text/javascript", b"export const x = 1;\n"),
        ("/www/style.css", "text/css", b"body { margin: 0 }\n"),
        ("/www/i18n/en.json", "application/json", b"{\"a\": 1}"),
        ("/www/assets/icon.png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("/www/assets/task-b/test.tpds", "application/octet-stream", b"TPDS\x01\x02"),
        ("/www/assets/model-a/weights.bin", "application/octet-stream", &[1, 2, 3, 4]),
        ("/www/API.md", "text/plain", b"# API\n"),
        ("/www/pkg/transfer_playground_bg.wasm", "application/wasm", WASM),
        ("/www/slides/", "text/html", b"<!doctype html><title>slides</title>"),
        ("/www/main.js?v=2", "text/javascript", b"export const x = 1;\n"),
        ("/www/%6Dain.js", "text/javascript", b"export const x = 1;\n"),
        ("/node_modules/@tensorflow/tfjs/dist/tf.min.js", "text/javascript", b"var tf = {};\n"),
        // A linked package folder (as node_modules is in a git worktree) is served.
        ("/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm", "application/wasm", WASM),
    ] {
        let reply = server.get(path);
        assert_eq!(reply.status, 200, "{path}: {reply:?}");
        assert!(reply.content_type().starts_with(mime), "{path}: {reply:?}");
        assert_eq!(reply.body, body, "{path}");
        assert_eq!(reply.header("content-length"), Some(&*body.len().to_string()));
    }
    // A folder without its slash is redirected, so relative links resolve.
    let reply = server.get("/www/slides");
    assert_eq!(reply.status, 308);
    assert_eq!(reply.header("location"), Some("/www/slides/"));
}

#[test]
fn streams_a_large_file_whole() {
    let server = Server::start(&[]);
    let before = server.peak_memory_kib();
    let reply = server.get("/www/assets/big.bin");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), BIG_BYTES);
    assert!(reply.body.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
    // Read in chunks, not whole: the server's peak memory grows far less than 32 MiB.
    let growth = server.peak_memory_kib().saturating_sub(before);
    assert!(growth < 8 << 10, "peak memory grew by {growth} KiB");
}

#[test]
fn refuses_everything_that_is_not_the_site() {
    let server = Server::start(&[]);
    for path in [
        "/target/release/xtask",
        "/.git/config",
        "/Cargo.toml",
        "/secret.txt",
        "/www/.env",
        "/node_modules/left-pad/index.js",
        "/node_modules/@tensorflow/tfjs/package.json",
        // Symlinks inside the site that lead out of it.
        "/www/to-target/release/xtask",
        "/www/secret.txt",
        "/www/git/config",
        "/www/outside/secret.txt",
        "/www/outside.txt",
        // No folder listings.
        "/www/",
        "/www/pkg/",
    ] {
        let reply = server.get(path);
        assert_eq!(reply.status, 404, "{path}: {reply:?}");
        assert!(!String::from_utf8_lossy(&reply.body).contains("SECRET"), "{path}");
    }
}

#[test]
fn refuses_path_traversal_in_every_spelling() {
    let server = Server::start(&[]);
    for path in [
        "/../Cargo.toml",
        "/www/../Cargo.toml",
        "/www/../../outside/secret.txt",
        "/%2e%2e/Cargo.toml",
        "/www/%2E%2E/Cargo.toml",
        "/www/%2e%2e%2fCargo.toml",
        "/www/..%2f..%2foutside%2fsecret.txt",
        "/www/%252e%252e/Cargo.toml",
        "/www\\..\\Cargo.toml",
        "/www/%5c..%5cCargo.toml",
        "/www/main.js%00.png",
        "/./.git/config",
        "//Cargo.toml",
    ] {
        let reply = server.get(path);
        // 400 from us or from hyper (a backslash is not a URI character), or 404.
        assert!(matches!(reply.status, 400 | 404), "{path}: {reply:?}");
        assert!(!String::from_utf8_lossy(&reply.body).contains("SECRET"), "{path}");
    }
}

#[test]
fn a_32_mib_request_line_is_refused_quickly_without_memory_growth() {
    let server = Server::start(&[]);
    assert_eq!(server.get("/").status, 200);
    let before = server.peak_memory_kib();
    let mut stream = server.connect();
    let mut writer = stream.try_clone().unwrap();
    let started = Instant::now();
    // Written from another thread: the server stops reading long before the end.
    let sender = std::thread::spawn(move || {
        let mut line = b"GET /".to_vec();
        line.resize(32 << 20, b'a');
        line.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\n\r\n");
        writer.write_all(&line).is_ok()
    });
    let mut reply = Vec::new();
    // The server answers 431 and closes; with our bytes still unread, the close may
    // arrive as a reset before the answer can be read. Either way it must be quick.
    let _ = stream.read_to_end(&mut reply);
    let elapsed = started.elapsed();
    let sent_all = sender.join().unwrap();
    if !reply.is_empty() {
        let reply = Reply::parse(&reply).expect("an HTTP reply");
        assert_eq!(reply.status, 431, "{reply:?}");
    }
    assert!(!sent_all, "the server read all 32 MiB");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let growth = server.peak_memory_kib().saturating_sub(before);
    assert!(growth < 4 << 10, "peak memory grew by {growth} KiB");
    // And it goes on serving.
    assert_eq!(server.get("/www/main.js").status, 200);
}

#[test]
fn too_many_or_too_large_headers_are_refused() {
    let server = Server::start(&[]);
    let mut request = format!("GET / HTTP/1.1\r\nHost: {}\r\n", server.host());
    request.push_str(&format!("Cookie: {}\r\n", "c".repeat(40 << 10)));
    request.push_str("Connection: close\r\n\r\n");
    assert_eq!(server.raw(request.as_bytes()).status, 431);
    let mut request = format!("GET / HTTP/1.1\r\nHost: {}\r\n", server.host());
    for i in 0..200 {
        request.push_str(&format!("X-{i}: y\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    assert_eq!(server.raw(request.as_bytes()).status, 431);
}

#[test]
fn refuses_requests_for_other_hosts() {
    let server = Server::start(&[]);
    let port = server.port;
    let with_host =
        |host: &str| server.raw(format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes());
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")] {
        assert_eq!(with_host(&host).status, 200, "{host}");
    }
    // DNS rebinding: another name, pointed at 127.0.0.1.
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("localhost.evil.example:{port}"),
        "localhost".to_string(),
    ] {
        let reply = with_host(&host);
        assert_eq!(reply.status, 421, "{host}: {reply:?}");
        assert!(reply.header("content-security-policy").is_some());
    }
    // No Host at all (HTTP/1.0 allows leaving it out; we do not).
    assert_eq!(server.raw(b"GET / HTTP/1.0\r\n\r\n").status, 400);
    // A full URL as the target would name a host of its own.
    let absolute =
        format!("GET http://evil.example/index.html HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    assert_eq!(server.raw(absolute.as_bytes()).status, 400);
}

#[test]
fn only_get_and_head() {
    let server = Server::start(&[]);
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
        let reply = server.request(method, "/index.html");
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"), "{method}");
    }
    // A POST announcing a body it never sends is answered at once, not waited on.
    let started = Instant::now();
    let reply = server.raw(
        format!(
            "POST /www/main.js HTTP/1.1\r\nHost: {}\r\nContent-Length: 1000000000\r\nConnection: close\r\n\r\n",
            server.host()
        )
        .as_bytes(),
    );
    assert_eq!(reply.status, 405);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn head_sends_the_headers_without_the_body() {
    let server = Server::start(&[]);
    let reply = server.request("HEAD", "/www/pkg/transfer_playground_bg.wasm");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type(), "application/wasm");
    assert_eq!(reply.header("content-length"), Some(&*WASM.len().to_string()));
    assert!(reply.body.is_empty());
    let reply = server.request("HEAD", "/www/assets/big.bin");
    assert_eq!(reply.header("content-length"), Some(&*BIG_BYTES.to_string()));
    assert!(reply.body.is_empty());
}

#[test]
fn keeps_a_connection_alive_for_several_requests() {
    let server = Server::start(&[]);
    let mut stream = server.connect();
    let host = server.host();
    stream.write_all(format!("GET /www/main.js HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes()).unwrap();
    // Read exactly the first reply (up to its Content-Length), then ask again.
    let mut bytes = Vec::new();
    let first = loop {
        let mut chunk = [0; 1024];
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "closed after {bytes:?}");
        bytes.extend_from_slice(&chunk[..n]);
        if let Some(reply) = Reply::parse(&bytes) {
            let length: usize = reply.header("content-length").unwrap().parse().unwrap();
            if reply.body.len() == length {
                break reply;
            }
        }
    };
    assert_eq!(first.status, 200);
    assert_eq!(first.body, b"export const x = 1;\n");
    stream
        .write_all(format!("GET /www/style.css HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let second = Reply::read(&mut stream);
    assert_eq!(second.status, 200);
    assert_eq!(second.body, b"body { margin: 0 }\n");
}

/// Waits until the server closes `stream` (EOF or reset), returning how long it took.
fn time_until_closed(stream: &mut TcpStream, started: Instant) -> Duration {
    let mut sink = [0; 64 << 10];
    loop {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

#[test]
fn a_slow_client_is_dropped_after_the_timeout_while_others_are_served() {
    let server = Server::start(&["--timeout", "1"]);
    let started = Instant::now();
    // One sends half a request head and stops; one connects and sends nothing.
    let mut half = server.connect();
    half.write_all(format!("GET / HTTP/1.1\r\nHost: {}\r\nX-Slow:", server.host()).as_bytes()).unwrap();
    let mut silent = server.connect();
    // Meanwhile everyone else is served promptly.
    for _ in 0..5 {
        let asked = Instant::now();
        assert_eq!(server.get("/www/main.js").status, 200);
        assert!(asked.elapsed() < Duration::from_millis(500));
    }
    for (name, stream) in [("half a head", &mut half), ("nothing", &mut silent)] {
        let closed = time_until_closed(stream, started);
        assert!(
            closed >= Duration::from_millis(900) && closed < Duration::from_secs(5),
            "a client that sent {name} was closed after {closed:?}"
        );
    }
    let timeouts = |lines: Vec<String>| {
        lines.iter().filter(|line| line.contains("connection closed: read header from client timeout")).count()
    };
    // Both are logged; the served clients' connections closed without a timeout.
    let deadline = Instant::now() + Duration::from_secs(5);
    while timeouts(server.log_lines()) < 2 {
        assert!(Instant::now() < deadline, "log: {:#?}", server.log_lines());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_idle_keep_alive_connection_is_closed_quietly() {
    let server = Server::start(&["--timeout", "1"]);
    let mut stream = server.connect();
    let started = Instant::now();
    stream.write_all(format!("GET /www/main.js HTTP/1.1\r\nHost: {}\r\n\r\n", server.host()).as_bytes()).unwrap();
    let closed = time_until_closed(&mut stream, started);
    assert!(closed >= Duration::from_millis(900) && closed < Duration::from_secs(5), "{closed:?}");
    std::thread::sleep(Duration::from_millis(200));
    let lines = server.log_lines();
    assert!(lines.iter().any(|line| line.contains("GET /www/main.js 200")), "{lines:#?}");
    assert!(!lines.iter().any(|line| line.contains("connection closed")), "{lines:#?}");
}

#[test]
fn a_client_that_stops_reading_is_dropped_after_the_timeout() {
    let server = Server::start(&["--timeout", "1"]);
    let mut stream = server.connect();
    stream
        .write_all(format!("GET /www/assets/big.bin HTTP/1.1\r\nHost: {}\r\n\r\n", server.host()).as_bytes())
        .unwrap();
    // Socket buffers on loopback hold a few MiB of the 32; the rest waits on us.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(server.get("/www/main.js").status, 200);
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    assert!(received.len() < BIG_BYTES, "received all {} bytes; the write should have timed out", received.len());
    assert!(server.log_lines().iter().any(|line| line.contains("connection closed")));
}

#[test]
fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let server = Server::start(&["--timeout", "1", "--max-connections", "2"]);
    let started = Instant::now();
    let _idle: Vec<TcpStream> = (0..2).map(|_| server.connect()).collect();
    std::thread::sleep(Duration::from_millis(100));
    // Both slots are held by idle clients: this one is served once their timeout frees one.
    let reply = server.get("/www/main.js");
    let waited = started.elapsed();
    assert_eq!(reply.status, 200);
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(5), "served after {waited:?}");
}

#[test]
fn sends_the_security_headers_on_every_response() {
    let server = Server::start(&[]);
    for path in ["/", "/www/main.js", "/www/pkg/transfer_playground_bg.wasm", "/Cargo.toml"] {
        let reply = server.get(path);
        let csp = reply.header("content-security-policy").unwrap_or("");
        assert!(csp.starts_with("default-src 'self'; script-src 'self' 'wasm-unsafe-eval';"), "{path}: {csp}");
        assert!(csp.ends_with("; frame-ancestors *"), "{path}: {csp}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(reply.header("cache-control"), Some("no-cache"), "{path}");
        assert_eq!(reply.header("cross-origin-opener-policy"), None, "{path}");
        assert_eq!(reply.header("cross-origin-embedder-policy"), None, "{path}");
        assert_eq!(reply.header("x-frame-options"), None, "{path}: embedding is allowed");
    }
}

#[test]
fn only_the_benchmark_page_may_eval() {
    let server = Server::start(&[]);
    let bench = server.get("/www/bench.html?only=none");
    let csp = bench.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval' blob:;"), "{csp}");
    for path in ["/", "/www/main.js", "/www/slides/"] {
        let csp = server.get(path).header("content-security-policy").unwrap().to_string();
        assert!(!csp.contains("'unsafe-eval'") && !csp.contains("'unsafe-inline'"), "{path}: {csp}");
    }
}

#[test]
fn isolate_adds_coop_and_coep() {
    let server = Server::start(&["--isolate"]);
    for path in ["/", "/www/main.js", "/Cargo.toml"] {
        let reply = server.get(path);
        assert_eq!(reply.header("cross-origin-opener-policy"), Some("same-origin"), "{path}");
        assert_eq!(reply.header("cross-origin-embedder-policy"), Some("require-corp"), "{path}");
        assert!(reply.header("content-security-policy").is_some(), "{path}");
    }
}

#[test]
fn logs_one_line_per_request() {
    let server = Server::start(&[]);
    server.get("/www/main.js");
    server.get("/Cargo.toml");
    server.request("POST", "/");
    // The log is read on another thread; give it a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let lines = server.log_lines();
        let has = |text: &str| lines.iter().filter(|line| line.contains(text)).count();
        if has("GET /www/main.js 200") == 1 && has("GET /Cargo.toml 404") == 1 && has("POST / 405") == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "log: {lines:#?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bad_options_are_refused() {
    for flags in [&["--port", "99999"][..], &["--timeout", "0"], &["--max-connections", "0"], &["--nope"]] {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask")).arg("serve").args(flags).output().unwrap();
        assert!(!output.status.success(), "{flags:?}");
        assert!(!output.stderr.is_empty(), "{flags:?}");
    }
}
