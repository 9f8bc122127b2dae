//! The plan reader, against the tutorial; a plan it reads must write and read back the same.
#![no_main]

use corridor_formats::{read_plan, write_plan};
use corridor_fuzz::{check_problems, tutorial};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let s = tutorial();
    match read_plan("plan.json", &text, s) {
        Err(p) => check_problems(&p),
        Ok((plan, _)) => {
            let again = write_plan(s, &plan);
            let (back, _) = read_plan("again.json", &again, s).expect("a plan read writes back readable");
            assert_eq!(back, plan, "a plan read, written and read again changed");
        }
    }
});
