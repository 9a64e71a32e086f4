//! `cargo xtask serve`: the development server for the site (the playground, `www/`,
//! and TF.js for the benchmark page), at http://127.0.0.1:PORT/.
//!
//! Why not `python -m http.server`: browsers refuse to compile wasm served with the wrong
//! MIME type (`application/wasm` is required) and cache stale builds; the playground
//! wants its CSP as a header (its worker has no other), and the repository root holds
//! much that must not be served (`target/`, `.git/`).
//!
//! HTTP is `hyper` (the HTTP/1.1 of most Rust servers) on `tokio`; files are streamed by
//! `tower-http`'s `ServeFile` (HEAD, ranges, `Last-Modified`/304). What is ours: which
//! paths are the site and their types ([`site`]), the headers checked and sent
//! ([`headers`]), and the limits below. Each request is logged as one line on stdout.

mod headers;
mod site;

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{Either, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE, LOCATION};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tower_http::services::fs::{ServeFile, ServeFileSystemResponseBody};

use self::headers::BadHost;
use self::site::Rejected;

const USAGE: &str = "usage: cargo xtask serve [--port N] [--root DIR] [--isolate]
  --port             TCP port on 127.0.0.1 (default 8080; 0 picks a free one)
  --root             folder holding the site (default: the repository root)
  --isolate          add COOP/COEP headers (cross-origin isolation, for SharedArrayBuffer)
  --timeout SECS     time a client gets to send a request head, and the longest a
                     response may wait for the client to read (default 10)
  --max-connections  connections served at once; more wait to be accepted (default 64)";

/// Largest request head (request line and headers); hyper answers 431 beyond it and
/// never buffers more than this while a head is incomplete. Browsers send about 1 KiB;
/// localhost cookies from other dev servers can add some.
const MAX_HEAD_BYTES: usize = 32 * 1024;

/// Most header fields in a request (hyper's default, said here); 431 beyond it.
const MAX_HEADERS: usize = 100;

/// Longest a connection lives. A client reading one byte per `--timeout` never trips
/// the write timeout; this bounds it. A browser reconnects and retries idempotent GETs.
const MAX_CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

/// Threads that open and read files (`tokio::fs`), on top of the 2 that run connections.
const FILE_THREADS: usize = 8;

/// The knobs `--timeout` and `--max-connections` set.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Deadline for each request head, counted from when the server starts waiting for
    /// it (so an idle keep-alive connection, or one that sends nothing, is closed too),
    /// and the longest a response write may make no progress (a client that stops
    /// reading). Slowloris gets one timeout per connection slot, not forever.
    timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    connections: usize,
}

/// What every request handler needs.
struct Site {
    /// The folder holding the site (canonical).
    root: PathBuf,
    /// The bound port, for the `Host` check.
    port: u16,
    /// `--isolate`: send COOP/COEP.
    isolate: bool,
}

type Body = Either<ServeFileSystemResponseBody, Full<Bytes>>;

pub fn run(args: &[String]) -> Result<(), String> {
    let mut port: u16 = 8080;
    let mut root = crate::repo_root();
    let mut isolate = false;
    let mut limits = Limits { timeout: Duration::from_secs(10), connections: 64 };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--port" => {
                let text = value()?;
                port = text.parse().map_err(|_| format!("--port {text:?} is not a port number (0-65535)"))?;
            }
            "--root" => root = PathBuf::from(value()?),
            "--isolate" => isolate = true,
            "--timeout" => {
                let text = value()?;
                limits.timeout = text
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.1 && *s <= 3600.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| format!("--timeout {text:?} is not 0.1 to 3600 seconds"))?;
            }
            "--max-connections" => {
                let text = value()?;
                limits.connections = text
                    .parse()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| format!("--max-connections {text:?} is not 1 to 10000"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    let root = root.canonicalize().map_err(|e| format!("cannot serve {}: {e}", root.display()))?;
    // Bound here, before the runtime, so a busy port is a plain error.
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e} (is another server running?)"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let isolation = if isolate { ", cross-origin isolated" } else { "" };
    log(format_args!(
        "serving the site in {} at http://127.0.0.1:{port}/{isolation}  (Ctrl-C to stop)",
        root.display()
    ));
    let site = Arc::new(Site { root, port, isolate });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(FILE_THREADS)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's threads: {e}"))?;
    runtime.block_on(accept_connections(listener, site, limits))
}

/// One line on stdout. Errors are ignored: a closed stdout must not stop the server.
fn log(line: std::fmt::Arguments) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

async fn accept_connections(listener: std::net::TcpListener, site: Arc<Site>, limits: Limits) -> Result<(), String> {
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    loop {
        // Take a slot before accepting: past the cap, clients wait in the backlog.
        let slot = Arc::clone(&slots).acquire_owned().await.expect("the semaphore is never closed");
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, or a connection reset while queued: go on.
                log(format_args!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let site = Arc::clone(&site);
        tokio::spawn(async move {
            serve_connection(stream, peer, site, limits).await;
            drop(slot);
        });
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, peer: SocketAddr, site: Arc<Site>, limits: Limits) {
    let _ = stream.set_nodelay(true);
    // Only a write timeout on the socket: hyper polls reads while it writes a response
    // (to notice a client that hangs up), so a read timeout would cut long downloads.
    // Reads are bounded by hyper's header timeout instead.
    let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
    stream.set_write_timeout(Some(limits.timeout));
    let io = TokioIo::new(Box::pin(stream));
    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    let service = hyper::service::service_fn(move |request| {
        let site = Arc::clone(&site);
        counter.fetch_add(1, Ordering::Relaxed);
        async move { Ok::<_, Infallible>(respond(request, &site, peer).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_header_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .serve_connection(io, service);
    match tokio::time::timeout(MAX_CONNECTION_LIFETIME, connection).await {
        Ok(Ok(())) => {}
        // A browser's idle keep-alive connection ends this way every time: not news.
        Ok(Err(e)) if e.is_timeout() && served.load(Ordering::Relaxed) > 0 => {}
        Ok(Err(e)) => log(format_args!("{peer} connection closed: {e}")),
        Err(_) => {
            log(format_args!("{peer} connection closed after its {} s lifetime", MAX_CONNECTION_LIFETIME.as_secs()))
        }
    }
}

/// Answers one request and logs it: `PEER METHOD PATH STATUS TIME`.
async fn respond(request: Request<Incoming>, site: &Site, peer: SocketAddr) -> Response<Body> {
    let started = Instant::now();
    let method = request.method().clone();
    // hyper has checked that the target is visible ASCII; cut it to keep the log readable.
    let target: String = request.uri().to_string().chars().take(200).collect();
    let policy = site::request_segments(request.uri().path())
        .map(|segments| headers::policy_for(&segments))
        .unwrap_or(headers::CONTENT_SECURITY_POLICY);
    let mut response = route(request, site).await;
    headers::add_site_headers(response.headers_mut(), policy, site.isolate);
    log(format_args!(
        "{peer} {method} {target} {} {:.1}ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1e3
    ));
    response
}

async fn route(request: Request<Incoming>, site: &Site) -> Response<Body> {
    match headers::check_host(request.headers(), site.port) {
        Ok(()) => {}
        Err(BadHost::Missing) => return text(StatusCode::BAD_REQUEST, "exactly one Host header is needed\n"),
        Err(BadHost::Other) => {
            return text(
                StatusCode::MISDIRECTED_REQUEST,
                "this server answers to 127.0.0.1, localhost and [::1] on its port only\n",
            )
        }
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    // Origin-form only (`/path?query`): an absolute URI would name its own host.
    if request.uri().scheme().is_some() || request.uri().authority().is_some() {
        return text(StatusCode::BAD_REQUEST, "use a path, not a full URL\n");
    }
    let path = request.uri().path();
    let segments = match site::request_segments(path) {
        Ok(segments) => segments,
        Err(Rejected::Malformed | Rejected::Traversal) => return text(StatusCode::BAD_REQUEST, "malformed path\n"),
        Err(Rejected::Hidden | Rejected::NotSite) => return not_found(),
    };
    let file = match locate(site, &segments, path.ends_with('/')).await {
        Located::File(file) => file,
        Located::Folder => {
            let mut response = text(StatusCode::PERMANENT_REDIRECT, "");
            if let Ok(url) = HeaderValue::from_str(&site::folder_url(&segments)) {
                response.headers_mut().insert(LOCATION, url);
            }
            return response;
        }
        Located::Nothing => return not_found(),
    };
    // The file service reads only the method and the conditional and range headers.
    let (parts, _body) = request.into_parts();
    let request = Request::from_parts(parts, Empty::<Bytes>::new());
    match ServeFile::new(&file).try_call(request).await {
        Ok(response) => {
            let mut response = response.map(Either::Left);
            if response.status().is_success() {
                let mime = HeaderValue::from_static(site::mime_type(&file));
                response.headers_mut().insert(CONTENT_TYPE, mime);
            }
            response
        }
        Err(e) => {
            log(format_args!("reading {}: {e}", file.display()));
            text(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the file\n")
        }
    }
}

/// Where a site path leads on disk.
enum Located {
    /// A regular file in the site (canonical path).
    File(PathBuf),
    /// A folder asked for without its trailing slash: redirect, so relative links work.
    Folder,
    /// Missing, or resolves (through a symlink) to somewhere outside the site.
    Nothing,
}

/// Resolves checked segments to a file: folders give their `index.html` (no listings),
/// and the file, symlinks followed, must lie inside the site folder the path is in.
async fn locate(site: &Site, segments: &[String], trailing_slash: bool) -> Located {
    let Some(prefix) = site::site_prefix(segments) else {
        return Located::Nothing;
    };
    let in_root = |segments: &[&str]| {
        let mut path = site.root.clone();
        path.extend(segments);
        path
    };
    let Ok(base) = tokio::fs::canonicalize(in_root(prefix)).await else {
        return Located::Nothing;
    };
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some((mut file, mut metadata)) = site_file(&base, &in_root(&segments)).await else {
        return Located::Nothing;
    };
    if metadata.is_dir() {
        if !trailing_slash {
            return Located::Folder;
        }
        match site_file(&base, &file.join("index.html")).await {
            Some(index) => (file, metadata) = index,
            None => return Located::Nothing,
        }
    }
    if metadata.is_file() {
        Located::File(file)
    } else {
        Located::Nothing
    }
}

/// The canonical path and metadata of `path` if it exists and lies inside `base`.
async fn site_file(base: &Path, path: &Path) -> Option<(PathBuf, std::fs::Metadata)> {
    let canonical = tokio::fs::canonicalize(path).await.ok()?;
    if !site::inside(base, &canonical) {
        return None;
    }
    let metadata = tokio::fs::metadata(&canonical).await.ok()?;
    Some((canonical, metadata))
}

fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found (or not part of the site)\n")
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from_static(body.as_bytes()))));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
