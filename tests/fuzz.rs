//! Property tests of the parsers against hostile input: random bytes and random mutations of
//! valid specs and STL files must give a clean error or a valid result — never a panic, an
//! abort or a hang (each case is bounded: the inputs are small and the readers check sizes
//! before allocating).

use std::io::Cursor;
use std::path::Path;

use proptest::prelude::*;
use trussforge::mesh::{MAX_STL_BYTES, read_stl};
use trussforge::network::Envelope;
use trussforge::spec::Spec;

use crate::common::temp_dir;

const SPEC: &str = include_str!("../specs/shaft-spacer.yaml");
const BLOCK: &str = include_str!("../specs/ti-block.yaml");

/// Replacements that stress number parsing and validation.
const NASTY: &[&str] = &[
    "NaN",
    ".nan",
    "-.inf",
    "1e300",
    "-1e300",
    "0",
    "-0",
    "1e-320",
    "18446744073709551616",
    "[]",
    "{}",
    "~",
    "\"\"",
    "'",
    "!!binary AA==",
    "&a",
    "*a",
    "\n",
    ": :",
    "- -",
    "\t",
    "0x7fffffff",
    "[1e9, 1e9, 1e9]",
    "[0, 0]",
    "μm",
    "\u{202e}",
    "ü",
    "\0",
];

/// A binary STL of a unit cube (12 triangles).
fn cube_stl() -> Vec<u8> {
    let v = |x: f32, y: f32, z: f32| [x, y, z];
    let corners = [
        v(0., 0., 0.),
        v(1., 0., 0.),
        v(1., 1., 0.),
        v(0., 1., 0.),
        v(0., 0., 1.),
        v(1., 0., 1.),
        v(1., 1., 1.),
        v(0., 1., 1.),
    ];
    let faces: [[usize; 3]; 12] = [
        [0, 2, 1],
        [0, 3, 2],
        [4, 5, 6],
        [4, 6, 7],
        [0, 1, 5],
        [0, 5, 4],
        [1, 2, 6],
        [1, 6, 5],
        [2, 3, 7],
        [2, 7, 6],
        [3, 0, 4],
        [3, 4, 7],
    ];
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&(faces.len() as u32).to_le_bytes());
    for f in faces {
        out.extend_from_slice(&[0u8; 12]);
        for i in f {
            for c in corners[i] {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 2]);
    }
    out
}

/// Applies `edits` (position fraction, kind, payload index) to `text`.
fn mutate(text: &str, edits: &[(f64, u8, usize)]) -> String {
    let mut s: Vec<char> = text.chars().collect();
    for &(at, kind, k) in edits {
        let i = ((at * s.len() as f64) as usize).min(s.len());
        match kind % 4 {
            0 => {
                let end = (i + 1 + k % 40).min(s.len());
                s.drain(i..end);
            }
            1 => {
                s.splice(i..i, NASTY[k % NASTY.len()].chars());
            }
            2 => {
                // Replace the number (or word) at i.
                let end = s[i..]
                    .iter()
                    .position(|c| matches!(c, ',' | ']' | '}' | '\n' | ' '))
                    .map_or(s.len(), |p| i + p);
                s.splice(i..end, NASTY[k % NASTY.len()].chars());
            }
            _ => {
                // Duplicate a line.
                let line: String = s[i..].iter().take_while(|c| **c != '\n').collect();
                s.splice(i..i, format!("{line}\n").chars());
            }
        }
    }
    s.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn specs_from_random_bytes_are_errors_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Spec::parse(&text, Path::new("fuzz.yaml"));
    }

    #[test]
    fn mutated_specs_parse_or_fail_cleanly(
        which in any::<bool>(),
        edits in proptest::collection::vec((0.0f64..1.0, any::<u8>(), any::<usize>()), 1..6),
    ) {
        let text = mutate(if which { SPEC } else { BLOCK }, &edits);
        if let Err(e) = Spec::parse(&text, Path::new("fuzz.yaml")) {
            let msg = e.to_string();
            prop_assert!(!msg.is_empty());
            // No Rust type names in what a user reads.
            prop_assert!(!msg.contains("RawSpec") && !msg.contains("Raw"), "{}", msg);
        }
    }

    #[test]
    fn stl_from_random_or_mutated_bytes_is_an_error_or_a_closed_envelope(
        random in proptest::collection::vec(any::<u8>(), 0..400),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<usize>(),
    ) {
        let _ = Envelope::from_stl_reader(&mut Cursor::new(random.clone()));
        let mut stl = cube_stl();
        for (at, byte) in flips {
            let i = at % stl.len();
            stl[i] = byte;
        }
        stl.truncate(cut % (stl.len() + 1));
        if let Ok(env) = Envelope::from_stl_reader(&mut Cursor::new(stl.clone())) {
            prop_assert!(env.volume().is_finite());
        }
        // The file reader: bounded by its size check whatever the header claims.
        let dir = temp_dir("fuzz-stl");
        let path = dir.join("m.stl");
        std::fs::write(&path, &stl).unwrap();
        if let Ok(mesh) = read_stl(&path) {
            prop_assert!((mesh.triangles().len() as u64) * 50 <= MAX_STL_BYTES);
        }
    }
}
