//! Builds the browser front end (`web/`, Node 20 or newer with npm) and embeds it:
//! `npm ci` when `web/node_modules` is missing or older than the lock file, then `npm run build` into
//! `web/dist`, whose files are copied to `OUT_DIR` and listed in
//! `web_assets.rs` for `include_bytes!`.
//!
//! Without npm, an existing `web/dist` is used as it is; without either, the
//! binary serves the API and a page that says how to build the front end.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let web = manifest.join("../../web");
    for p in ["src", "build.mjs", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", web.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=CORRIDOR_SKIP_WEB_BUILD");
    let dist = web.join("dist");
    if web.join("package.json").exists() && std::env::var_os("CORRIDOR_SKIP_WEB_BUILD").is_none() {
        build(&web);
    }
    let assets = out.join("web");
    let _ = fs::remove_dir_all(&assets);
    fs::create_dir_all(&assets).expect("OUT_DIR is writable");
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    if dist.join("index.html").exists() {
        let mut names: Vec<String> = fs::read_dir(&dist)
            .expect("web/dist is readable")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.ends_with(".map"))
            .collect();
        names.sort();
        for n in names {
            let to = assets.join(&n);
            fs::copy(dist.join(&n), &to).expect("copy a built file");
            files.push((n, to));
        }
    } else {
        println!("cargo:warning=web/dist is missing and npm could not build it: the server runs without its web pages (install Node 20 and npm, then build again)");
        let to = assets.join("index.html");
        fs::write(
            &to,
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Corridor</title><p>This build of corridor has no web front end: install Node 20 and npm, then build again.</p></html>",
        )
        .expect("OUT_DIR is writable");
        files.push(("index.html".into(), to));
    }
    let mut code = String::from("&[\n");
    for (name, path) in &files {
        code.push_str(&format!("    ({name:?}, include_bytes!({:?}), {:?}),\n", path.display().to_string(), content_type(name)));
    }
    code.push_str("]\n");
    fs::write(out.join("web_assets.rs"), code).expect("OUT_DIR is writable");
}

fn content_type(name: &str) -> &'static str {
    match Path::new(name).extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn npm() -> &'static str {
    if cfg!(windows) { "npm.cmd" } else { "npm" }
}

fn build(web: &Path) {
    if Command::new(npm()).arg("--version").output().is_err() {
        println!("cargo:warning=npm not found: using web/dist as it is (install Node 20 and npm to rebuild the web front end)");
        return;
    }
    // npm writes node_modules/.package-lock.json on install: older than the lock
    // file means the dependencies changed since (a pull that added a package).
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified(&web.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < modified(&web.join("package-lock.json")) {
        run(Command::new(npm()).args(["ci", "--no-audit", "--no-fund"]).current_dir(web), "npm ci");
    }
    run(Command::new(npm()).args(["run", "build", "--silent"]).current_dir(web), "npm run build");
}

fn run(cmd: &mut Command, what: &str) {
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("`{what}` in web/ failed ({s}); the front end needs Node 20 or newer and npm"),
        Err(e) => panic!("cannot run `{what}` in web/: {e}"),
    }
}
