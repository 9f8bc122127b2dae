//! The state reader (`corridor state` files), against the tutorial and the Aleppo scenario
//! (corridors); a state it reads must write and read back the same.
#![no_main]

use corridor_formats::{read_state, write_state};
use corridor_fuzz::{aleppo, check_problems, tutorial};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for s in [tutorial(), aleppo()] {
        match read_state("state.json", &text, s) {
            Err(p) => check_problems(&p),
            Ok(state) => {
                let again = write_state(s, &state);
                let back = read_state("again.json", &again, s).expect("a state read writes back readable");
                assert_eq!(back, state, "a state read, written and read again changed");
            }
        }
    }
});
