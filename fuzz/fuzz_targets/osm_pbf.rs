//! The OpenStreetMap PBF import (both passes and the network build), from a file as the CLI reads it.
#![no_main]

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use corridor_fuzz::check_message;
use libfuzzer_sys::fuzz_target;
use tempfile::NamedTempFile;

fn file() -> &'static Mutex<NamedTempFile> {
    static F: OnceLock<Mutex<NamedTempFile>> = OnceLock::new();
    F.get_or_init(|| Mutex::new(tempfile::Builder::new().suffix(".osm.pbf").tempfile().expect("a temporary file")))
}

fuzz_target!(|data: &[u8]| {
    let mut f = file().lock().expect("not poisoned");
    let out = f.as_file_mut();
    out.set_len(0).expect("truncate");
    std::io::Seek::rewind(out).expect("rewind");
    out.write_all(data).expect("write");
    out.flush().expect("flush");
    if let Err(e) = corridor_roads::import_pbf(f.path(), &mut ()) {
        check_message(&e.to_string());
    }
});
