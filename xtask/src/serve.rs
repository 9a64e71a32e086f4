//! `cargo xtask serve --port N`: a tiny static HTTP/1.1 server for the repository root.
//!
//! Why not `python -m http.server`: browsers refuse to compile wasm streamed with the
//! wrong MIME type (`application/wasm` is required) and cache stale builds; this server
//! gets both right, needs nothing beyond std, and binds to 127.0.0.1 only.
//! One thread per connection; each response closes its connection (simple and plenty
//! for a single learner's tab and the end-to-end tests).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

const USAGE: &str = "usage: cargo xtask serve [--port N] [--root DIR]
  --port  TCP port on 127.0.0.1 (default 8080)
  --root  folder to serve (default: the repository root)";

/// Longest request head we read; anything bigger is not a browser asking for a file.
const MAX_HEAD_BYTES: usize = 16 * 1024;

pub fn run(args: &[String]) -> Result<(), String> {
    let mut port: u16 = 8080;
    let mut root = crate::repo_root();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--port" => {
                let text = value()?;
                port = text
                    .parse()
                    .map_err(|_| format!("--port {text:?} is not a port number (1-65535)"))?;
            }
            "--root" => root = PathBuf::from(value()?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot serve {}: {e}", root.display()))?;
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        format!("cannot listen on 127.0.0.1:{port}: {e} (is another server running?)")
    })?;
    println!(
        "serving {} at http://127.0.0.1:{port}/  (Ctrl-C to stop)",
        root.display()
    );
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let root = root.clone();
                std::thread::spawn(move || {
                    if let Err(e) = handle(stream, &root) {
                        eprintln!("connection error: {e}");
                    }
                });
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
    Ok(())
}

/// Why a request path was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Not an absolute path, or not valid percent-encoded UTF-8.
    Malformed,
    /// Tries to leave the root (`..`), or uses a backslash, NUL or drive prefix.
    Traversal,
    /// Names a hidden file or folder (`.git`, `.cargo`): never part of the site.
    Hidden,
}

/// Maps a request target (`/a/b.js?x=1`) to a path under `root`, without touching the
/// file system. Rejects anything that could step outside `root`, even percent-encoded.
pub fn resolve(root: &Path, target: &str) -> Result<PathBuf, Rejected> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err(Rejected::Malformed);
    }
    let decoded = percent_decode(path).ok_or(Rejected::Malformed)?;
    if decoded.contains(['\\', '\0']) {
        return Err(Rejected::Traversal);
    }
    let mut resolved = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(Rejected::Traversal),
            hidden if hidden.starts_with('.') => return Err(Rejected::Hidden),
            _ => {
                // A segment must be a plain name (no `C:` prefix or root on any platform).
                let mut parts = Path::new(segment).components();
                match (parts.next(), parts.next()) {
                    (Some(Component::Normal(_)), None) => resolved.push(segment),
                    _ => return Err(Rejected::Traversal),
                }
            }
        }
    }
    Ok(resolved)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Content-Type for a file name; unknown types are served as bytes.
pub fn mime_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "css" => "text/css; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "wgsl" => "text/plain; charset=utf-8",
        _ => "application/octet-stream", // .bin, .tpds, .h5, ...
    }
}

fn handle(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; we need none of them.
    let mut head_bytes = request_line.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        head_bytes += n;
        if n == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if head_bytes > MAX_HEAD_BYTES {
            return respond(
                stream,
                431,
                "Request Header Fields Too Large",
                "text/plain",
                b"headers too large\n",
                true,
            );
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let with_body = method != "HEAD";
    if method != "GET" && method != "HEAD" {
        return respond(
            stream,
            405,
            "Method Not Allowed",
            "text/plain",
            b"only GET and HEAD\n",
            with_body,
        );
    }
    let mut path = match resolve(root, target) {
        Ok(path) => path,
        Err(Rejected::Traversal | Rejected::Hidden) => {
            return respond(
                stream,
                403,
                "Forbidden",
                "text/plain",
                b"path outside the served folder or hidden\n",
                with_body,
            )
        }
        Err(Rejected::Malformed) => {
            return respond(
                stream,
                400,
                "Bad Request",
                "text/plain",
                b"malformed path\n",
                with_body,
            )
        }
    };
    if path.is_dir() {
        path.push("index.html");
    }
    let status = match fs::read(&path) {
        Ok(body) => respond(stream, 200, "OK", mime_type(&path), &body, with_body),
        Err(_) => respond(
            stream,
            404,
            "Not Found",
            "text/plain",
            format!("not found: {target}\n").as_bytes(),
            with_body,
        ),
    };
    println!("{method} {target}");
    status
}

fn respond(
    mut stream: TcpStream,
    code: u16,
    reason: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if with_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_plain_paths_under_the_root() {
        let root = Path::new("/srv/site");
        assert_eq!(resolve(root, "/"), Ok(PathBuf::from("/srv/site")));
        assert_eq!(
            resolve(root, "/www/pkg/a.wasm"),
            Ok(PathBuf::from("/srv/site/www/pkg/a.wasm"))
        );
        assert_eq!(
            resolve(root, "/a%20b.js?v=1#x"),
            Ok(PathBuf::from("/srv/site/a b.js"))
        );
        assert_eq!(resolve(root, "/./x//y"), Ok(PathBuf::from("/srv/site/x/y")));
    }

    #[test]
    fn rejects_traversal_in_every_spelling() {
        let root = Path::new("/srv/site");
        for target in [
            "/..",
            "/../etc/passwd",
            "/www/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc",
            "/a/..%2f..%2fetc",
            "/..\\etc",
            "/%5c..%5cetc",
            "/a%00.js",
        ] {
            assert_eq!(resolve(root, target), Err(Rejected::Traversal), "{target}");
        }
    }

    #[test]
    fn hides_dotfiles() {
        let root = Path::new("/srv/site");
        assert_eq!(resolve(root, "/.git/config"), Err(Rejected::Hidden));
        assert_eq!(resolve(root, "/www/%2Ecargo/x"), Err(Rejected::Hidden));
    }

    #[test]
    fn rejects_malformed_targets() {
        let root = Path::new("/srv/site");
        for target in ["", "etc/passwd", "http://x/", "/%zz", "/%4", "/%ff%fe"] {
            assert_eq!(resolve(root, target), Err(Rejected::Malformed), "{target}");
        }
    }

    #[test]
    fn mime_types_browsers_insist_on() {
        assert_eq!(mime_type(Path::new("a.wasm")), "application/wasm");
        assert!(mime_type(Path::new("a.mjs")).starts_with("text/javascript"));
        assert!(mime_type(Path::new("a.JS")).starts_with("text/javascript"));
        assert_eq!(mime_type(Path::new("a.json")), "application/json");
        assert_eq!(mime_type(Path::new("a.svg")), "image/svg+xml");
        assert_eq!(mime_type(Path::new("a.bin")), "application/octet-stream");
        assert_eq!(mime_type(Path::new("x.tpds")), "application/octet-stream");
    }
}
