//! A prepared road network file (`corridor roads import` output); one it reads must write back the same bytes.
#![no_main]

use corridor_fuzz::check_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match corridor_roads::from_bytes(data) {
        Err(m) => check_message(&m),
        Ok(net) => assert_eq!(corridor_roads::to_bytes(&net), data, "a network read writes back other bytes"),
    }
});
