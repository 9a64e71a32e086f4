//! What the dev server may serve: the site's paths, how a request path maps to a file
//! under the root, and each file's Content-Type.
//!
//! The repository root holds much that is not the site (`target/`, `.git/`, `Cargo.toml`,
//! `data/`, the rest of `node_modules/`), so the server works from an allow-list of path
//! prefixes rather than a deny-list. Everything here is pure (no I/O), so each refusal
//! has a unit test.
//!
//! Symlinks: a site folder may itself be a link (a git worktree often links
//! `node_modules` to the main checkout's), but nothing inside it may lead out of it. So
//! the server resolves both the site folder a path is in ([`site_prefix`]) and the file
//! the path names, and serves the file only if it lies [`inside`] that folder.

use std::path::{Component, Path};

/// The site, as path prefixes (in segments) under the root; `/` is `/index.html`.
const SITE: &[&[&str]] = &[
    // The playground.
    &["index.html"],
    // Its modules, styles, assets, the built wasm (`www/pkg/`) and the dev pages
    // (`www/bench.html`, slides, tutorial).
    &["www"],
    // TF.js for `www/bench.html` (the benchmark and the TF.js interop e2e test), which
    // loads these three bundles and points the wasm backend at its `dist/` folder for
    // its `.wasm` files. Nothing else in `node_modules/` is part of the site.
    &["node_modules", "@tensorflow", "tfjs", "dist"],
    &["node_modules", "@tensorflow", "tfjs-backend-wasm", "dist"],
    &["node_modules", "@tensorflow", "tfjs-backend-webgpu", "dist"],
];

/// Why a request path was refused, before the file system is touched.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Not an absolute path, or not valid percent-encoded UTF-8.
    Malformed,
    /// Tries to leave the root (`..`), or uses a backslash, NUL or drive prefix.
    Traversal,
    /// Names a hidden file or folder (`.git`, `.cargo`): never part of the site.
    Hidden,
    /// A well-formed path outside the site (`/target/...`, `/Cargo.toml`).
    NotSite,
}

/// Splits a request path (`/www/a%20b.js`, query already removed) into decoded segments
/// under the root, refusing anything that could step outside it in any spelling
/// (`..`, `%2e%2e`, `..%2f`, `\`, `%5c`, NUL) and anything outside the site.
/// Empty and `.` segments are dropped, so `/./www//x` is `["www", "x"]`.
pub fn request_segments(path: &str) -> Result<Vec<String>, Rejected> {
    if !path.starts_with('/') {
        return Err(Rejected::Malformed);
    }
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().map_err(|_| Rejected::Malformed)?;
    if decoded.contains(['\\', '\0']) {
        return Err(Rejected::Traversal);
    }
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(Rejected::Traversal),
            hidden if hidden.starts_with('.') => return Err(Rejected::Hidden),
            _ => {
                // A plain name on every platform: no `C:` prefix, no root.
                let mut parts = Path::new(segment).components();
                match (parts.next(), parts.next()) {
                    (Some(Component::Normal(_)), None) => segments.push(segment.to_string()),
                    _ => return Err(Rejected::Traversal),
                }
            }
        }
    }
    if segments.is_empty() {
        segments.push("index.html".to_string());
    }
    if site_prefix(&segments).is_none() {
        return Err(Rejected::NotSite);
    }
    Ok(segments)
}

/// The site folder (or file, for `index.html`) that a path under the root lies in, as
/// segments; `None` when the path is not part of the site.
pub fn site_prefix<S: AsRef<str>>(segments: &[S]) -> Option<&'static [&'static str]> {
    SITE.iter().copied().find(|prefix| {
        segments.len() >= prefix.len() && prefix.iter().zip(segments).all(|(want, got)| *want == got.as_ref())
    })
}

/// Whether `file` lies inside `base` (or is `base`) and is not hidden within it, both
/// canonical (symlinks resolved): this is what stops a symlink in `www/` from reaching
/// `target/`, `.git/` or anything else outside `www/`.
pub fn inside(base: &Path, file: &Path) -> bool {
    let Ok(relative) = file.strip_prefix(base) else {
        return false;
    };
    relative.components().all(|component| match component {
        Component::Normal(name) => !name.to_string_lossy().starts_with('.'),
        _ => false,
    })
}

/// The URL of a folder given as segments, with its trailing slash (`/www/slides/`): where
/// a request for the folder without the slash is redirected, so relative links in its
/// `index.html` resolve. Built from the checked segments, never the raw request path, so
/// it always starts with a single `/` (`//host/` would leave the site).
pub fn folder_url<S: AsRef<str>>(segments: &[S]) -> String {
    /// Everything but unreserved characters and sub-delimiters is escaped in a segment.
    const SEGMENT: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');
    let mut url = String::from("/");
    for segment in segments {
        url.extend(percent_encoding::utf8_percent_encode(segment.as_ref(), SEGMENT));
        url.push('/');
    }
    url
}

/// The Content-Type for a file name; unknown types are served as bytes. Browsers insist
/// on some of these: `application/wasm` for streaming compilation, and (with `nosniff`)
/// a JavaScript type for every script, module and worker.
pub fn mime_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "css" => "text/css; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "txt" | "md" | "wgsl" | "ts" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream", // .bin, .tpds, .h5, .keras, ...
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(segments: &[&str]) -> Result<Vec<String>, Rejected> {
        Ok(segments.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn splits_site_paths_into_segments() {
        assert_eq!(request_segments("/"), ok(&["index.html"]));
        assert_eq!(request_segments("/index.html"), ok(&["index.html"]));
        assert_eq!(request_segments("/www/pkg/a.wasm"), ok(&["www", "pkg", "a.wasm"]));
        assert_eq!(request_segments("/www/a%20b.js"), ok(&["www", "a b.js"]));
        assert_eq!(request_segments("/./www//x/"), ok(&["www", "x"]));
        assert_eq!(
            request_segments("/node_modules/@tensorflow/tfjs/dist/tf.min.js"),
            ok(&["node_modules", "@tensorflow", "tfjs", "dist", "tf.min.js"])
        );
        assert_eq!(
            request_segments("/node_modules/%40tensorflow/tfjs-backend-wasm/dist/x.wasm"),
            ok(&["node_modules", "@tensorflow", "tfjs-backend-wasm", "dist", "x.wasm"])
        );
    }

    #[test]
    fn refuses_what_is_not_the_site() {
        for path in [
            "/target/release/xtask",
            "/Cargo.toml",
            "/Cargo.lock",
            "/src/lib.rs",
            "/data/task-a.tpds",
            "/xtask/src/main.rs",
            "/tests/fixtures/keras/my_model_A.h5",
            "/node_modules/",
            "/node_modules/@tensorflow/tfjs/package.json",
            "/node_modules/@tensorflow/tfjs-node/dist/x.js",
            "/node_modules/playwright/index.js",
            "/index.html.bak",
            "/wwwx/a.js",
            "/README.md",
        ] {
            assert_eq!(request_segments(path), Err(Rejected::NotSite), "{path}");
        }
    }

    #[test]
    fn rejects_traversal_in_every_spelling() {
        for path in [
            "/..",
            "/../etc/passwd",
            "/www/../../etc/passwd",
            "/www/../target/x",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc",
            "/www/..%2f..%2fetc",
            "/www/%2e%2e/Cargo.toml",
            "/..\\etc",
            "/www\\..\\Cargo.toml",
            "/%5c..%5cetc",
            "/www/a%00.js",
        ] {
            assert_eq!(request_segments(path), Err(Rejected::Traversal), "{path}");
        }
    }

    #[test]
    fn hides_dotfiles_even_inside_the_site() {
        assert_eq!(request_segments("/.git/config"), Err(Rejected::Hidden));
        assert_eq!(request_segments("/www/.env"), Err(Rejected::Hidden));
        assert_eq!(request_segments("/www/%2Ecargo/x"), Err(Rejected::Hidden));
    }

    #[test]
    fn rejects_malformed_paths() {
        // `%zz` is not an escape; the decoder keeps it as text (a file that is not there).
        for path in ["", "www/a.js", "http://x/", "*", "/www/%ff%fe"] {
            assert_eq!(request_segments(path), Err(Rejected::Malformed), "{path}");
        }
    }

    #[test]
    fn each_path_has_its_site_folder() {
        assert_eq!(site_prefix(&["index.html"]), Some(&["index.html"][..]));
        assert_eq!(site_prefix(&["www", "pkg", "a.wasm"]), Some(&["www"][..]));
        assert_eq!(
            site_prefix(&["node_modules", "@tensorflow", "tfjs-backend-wasm", "dist", "a"]),
            Some(&["node_modules", "@tensorflow", "tfjs-backend-wasm", "dist"][..])
        );
        assert_eq!(site_prefix(&["target", "x"]), None);
        assert_eq!(site_prefix::<&str>(&[]), None);
    }

    #[test]
    fn a_resolved_file_must_stay_in_its_site_folder() {
        let www = Path::new("/srv/site/www");
        assert!(inside(www, Path::new("/srv/site/www/pkg/a.wasm")));
        assert!(inside(www, www));
        // Where a symlink in www/ might lead.
        assert!(!inside(www, Path::new("/srv/site/target/release/xtask")));
        assert!(!inside(www, Path::new("/srv/site/.git/config")));
        assert!(!inside(www, Path::new("/srv/site/www/.secret")));
        assert!(!inside(www, Path::new("/srv/site/www/a/.git/x")));
        assert!(!inside(www, Path::new("/etc/passwd")));
        assert!(!inside(www, Path::new("/srv/site/www-other/a.js")));
        // A linked site folder is itself the base (node_modules in a git worktree).
        let tfjs = Path::new("/work/main/node_modules/@tensorflow/tfjs/dist");
        assert!(inside(tfjs, Path::new("/work/main/node_modules/@tensorflow/tfjs/dist/tf.min.js")));
        assert!(!inside(tfjs, Path::new("/work/main/node_modules/x/index.js")));
    }

    #[test]
    fn folder_urls_are_local_paths() {
        assert_eq!(folder_url::<&str>(&[]), "/");
        assert_eq!(folder_url(&["www", "slides"]), "/www/slides/");
        assert_eq!(folder_url(&["www", "a b?#"]), "/www/a%20b%3F%23/");
    }

    #[test]
    fn mime_types_browsers_insist_on() {
        assert_eq!(mime_type(Path::new("a.wasm")), "application/wasm");
        assert!(mime_type(Path::new("a.mjs")).starts_with("text/javascript"));
        assert!(mime_type(Path::new("a.JS")).starts_with("text/javascript"));
        assert_eq!(mime_type(Path::new("a.json")), "application/json");
        assert!(mime_type(Path::new("a.css")).starts_with("text/css"));
        assert!(mime_type(Path::new("a.html")).starts_with("text/html"));
        assert_eq!(mime_type(Path::new("a.png")), "image/png");
        assert_eq!(mime_type(Path::new("a.svg")), "image/svg+xml");
        assert!(mime_type(Path::new("API.md")).starts_with("text/plain"));
        assert_eq!(mime_type(Path::new("a.bin")), "application/octet-stream");
        assert_eq!(mime_type(Path::new("x.tpds")), "application/octet-stream");
        assert_eq!(mime_type(Path::new("noext")), "application/octet-stream");
    }
}
