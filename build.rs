//! Build script of `carrefour-xen`.
//!
//! The hypercall ABI has one source of truth, the C header
//! `hypercall-abi/include/public/carrefour.h`: the image build copies it into
//! Xen's tree, and this script reads the ABI version from the same file so
//! that the version the Rust library reports to Xen cannot drift from the one
//! Xen's C code is compiled against.  Xen compares the two at boot.

use std::env;
use std::fs;
use std::path::PathBuf;

/// The header, relative to this crate.
const ABI_HEADER: &str = "hypercall-abi/include/public/carrefour.h";
/// The macro that carries the version.
const ABI_VERSION_MACRO: &str = "XEN_CARREFOUR_ABI_VERSION";

fn main() {
    println!("cargo:rerun-if-changed={ABI_HEADER}");
    println!("cargo:rerun-if-changed=build.rs");

    let header =
        fs::read_to_string(ABI_HEADER).unwrap_or_else(|e| panic!("cannot read {ABI_HEADER}: {e}"));
    let version = abi_version(&header)
        .unwrap_or_else(|| panic!("no `#define {ABI_VERSION_MACRO} 0x...U` in {ABI_HEADER}"));

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(
        out.join("abi_version.rs"),
        format!(
            "/// `{ABI_VERSION_MACRO}` of `{ABI_HEADER}` (read by build.rs).\n\
             pub const XEN_CARREFOUR_ABI_VERSION: u32 = {version:#010x};\n"
        ),
    )
    .expect("cannot write abi_version.rs");
}

/// The value of `#define XEN_CARREFOUR_ABI_VERSION 0x...U`, if present.
fn abi_version(header: &str) -> Option<u32> {
    header.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != "#define" || words.next()? != ABI_VERSION_MACRO {
            return None;
        }
        let value = words.next()?.trim_end_matches(['U', 'u']);
        let hex = value
            .strip_prefix("0x")
            .or_else(|| value.strip_prefix("0X"))?;
        u32::from_str_radix(hex, 16).ok()
    })
}
