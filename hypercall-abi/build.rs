//! Build script of `hypercall-abi`.
//!
//! Without the feature `bindgen-check` it does nothing.  With it, it runs
//! bindgen (libclang) on the source of truth, `include/public/carrefour.h`,
//! and writes to `OUT_DIR` what `tests/bindgen_layout.rs` compares with the
//! Rust mirror:
//!
//! - `carrefour_x86_64.rs`: the header's types and constants as the x86_64
//!   toolstack and hypervisor see them (`tests/bindgen/wrapper.h` includes
//!   the header, whose `#include "xen.h"` finds `tests/bindgen/xen.h`, a
//!   stand-in with Xen's definitions of `uint64_aligned_t` and guest
//!   handles);
//! - `carrefour_i686.rs`: the same for 32-bit x86; the test requires the two
//!   to be identical, which is what `uint64_aligned_t` promises;
//! - `c_macros.rs`: every `#define` of the header (found in its text, so
//!   none is missed) with the value libclang gives it;
//! - `xen_src.rs`: with `XEN_SRC` set to a Xen source tree, that tree's
//!   `struct xen_domctl` (from `public/domctl.h` with `-D__XEN_TOOLS__`) and
//!   errno values; sets the cfg `xen_src`, and `xen_src_has_carrefour` when
//!   the domctl union has a `struct xen_domctl_carrefour_op` member.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(xen_src)");
    println!("cargo::rustc-check-cfg=cfg(xen_src_has_carrefour)");
    #[cfg(feature = "bindgen-check")]
    check::run();
}

#[cfg(feature = "bindgen-check")]
mod check {
    use std::collections::BTreeMap;
    use std::env;
    use std::fmt::Write as _;
    use std::fs;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    use bindgen::callbacks::{EnumVariantValue, IntKind, ParseCallbacks};

    /// The source of truth, relative to the crate.
    const HEADER: &str = "include/public/carrefour.h";
    /// The stand-in xen.h and the wrapper, relative to the crate.
    const BINDGEN_DIR: &str = "tests/bindgen";

    /// Records the integer values libclang computes for macros and enum
    /// constants.
    #[derive(Debug, Default, Clone)]
    struct Values {
        macros: Arc<Mutex<BTreeMap<String, i64>>>,
        enum_constants: Arc<Mutex<BTreeMap<String, (String, i64)>>>,
    }

    impl ParseCallbacks for Values {
        fn int_macro(&self, name: &str, value: i64) -> Option<IntKind> {
            self.macros.lock().unwrap().insert(name.to_owned(), value);
            None
        }

        fn enum_variant_behavior(
            &self,
            enum_name: Option<&str>,
            variant_name: &str,
            value: EnumVariantValue,
        ) -> Option<bindgen::callbacks::EnumVariantCustomBehavior> {
            let value = match value {
                EnumVariantValue::Boolean(b) => i64::from(b),
                EnumVariantValue::Signed(v) => v,
                EnumVariantValue::Unsigned(v) => i64::try_from(v).unwrap_or(i64::MAX),
            };
            self.enum_constants.lock().unwrap().insert(
                variant_name.to_owned(),
                (enum_name.unwrap_or("").to_owned(), value),
            );
            None
        }
    }

    pub fn run() {
        let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
        let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
        for file in [HEADER, "tests/bindgen/xen.h", "tests/bindgen/wrapper.h"] {
            println!("cargo::rerun-if-changed={}", manifest.join(file).display());
        }

        let values = Values::default();
        let x86_64 = carrefour_bindings(&manifest, "x86_64-unknown-linux-gnu", &values);
        let i686 = carrefour_bindings(&manifest, "i686-unknown-linux-gnu", &Values::default());
        let layouts = format!(
            "/// libclang's sizes, alignments and offsets for x86_64.\n\
             pub const C_LAYOUT_X86_64: &[(&str, usize)] = &{:?};\n\
             /// The same for i686.\n\
             pub const C_LAYOUT_I686: &[(&str, usize)] = &{:?};\n",
            layout_facts(&x86_64),
            layout_facts(&i686),
        );
        fs::write(out.join("c_layout.rs"), layouts).expect("write OUT_DIR");
        fs::write(out.join("carrefour_x86_64.rs"), x86_64).expect("write OUT_DIR");
        fs::write(out.join("carrefour_i686.rs"), i686).expect("write OUT_DIR");

        let header = fs::read_to_string(manifest.join(HEADER)).expect("read the header");
        let macros = values.macros.lock().unwrap().clone();
        fs::write(out.join("c_macros.rs"), c_macros(&header, &macros)).expect("write OUT_DIR");

        println!("cargo::rerun-if-env-changed=XEN_SRC");
        let tree = env::var_os("XEN_SRC")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        let text = match tree {
            Some(tree) => xen_src(&tree, &out),
            None => "/// XEN_SRC was not set when the crate was built.\n\
                     pub const XEN_SRC: Option<&str> = None;\n"
                .to_owned(),
        };
        fs::write(out.join("xen_src.rs"), text).expect("write OUT_DIR");
    }

    /// Bindings of `wrapper.h` (the header, with the stand-in xen.h) for
    /// `target`.
    fn carrefour_bindings(manifest: &Path, target: &str, values: &Values) -> String {
        let include = manifest.join("include");
        let bindgen_dir = manifest.join(BINDGEN_DIR);
        bindgen::Builder::default()
            .header(bindgen_dir.join("wrapper.h").display().to_string())
            .clang_arg(format!("--target={target}"))
            // The toolstack's view; the header refuses to be parsed without
            // it (or __XEN__).
            .clang_arg("-D__XEN_TOOLS__")
            // Clang's own stdint.h, the same for every target: no libc
            // headers needed (there are no 32-bit ones on the build host).
            .clang_arg("-ffreestanding")
            .clang_arg(format!("-I{}", include.display()))
            .clang_arg(format!("-I{}", bindgen_dir.display()))
            // Only what carrefour.h and wrapper.h declare, and what that
            // needs (the guest handle types, uint32_t, uint64_t).
            .allowlist_file(r".*[/\\]public[/\\]carrefour\.h")
            .allowlist_file(r".*[/\\]wrapper\.h")
            // DEFINE_XEN_GUEST_HANDLE also defines XEN_GUEST_HANDLE(T), a
            // bare pointer (4 bytes on i686): no struct of the ABI uses it,
            // they use XEN_GUEST_HANDLE_64(T), which is checked.
            .blocklist_type("__guest_handle_(const_)?[a-z_]*_t")
            .prepend_enum_name(false)
            .use_core()
            .layout_tests(true)
            .parse_callbacks(Box::new(values.clone()))
            .generate()
            .unwrap_or_else(|e| panic!("bindgen failed on {HEADER} for {target}: {e}"))
            .to_string()
    }

    /// The numbers of bindgen's layout tests, which are libclang's for the
    /// target: `("Size of T", n)`, `("Alignment of T", n)`, `("Offset of
    /// field: T::f", n)`, from text such as
    /// `["Size of T"][::core::mem::size_of::<T>() - 16usize];`.
    fn layout_facts(bindings: &str) -> Vec<(String, usize)> {
        let mut facts = Vec::new();
        let mut rest = bindings;
        while let Some(start) = rest.find("[\"") {
            rest = &rest[start + 2..];
            let Some(end) = rest.find("\"]") else { break };
            let label = &rest[..end];
            rest = &rest[end..];
            if !["Size of ", "Alignment of ", "Offset of field: "]
                .iter()
                .any(|p| label.starts_with(p))
            {
                continue;
            }
            let Some(stop) = rest.find("usize]") else {
                break;
            };
            let digits: String = rest[..stop]
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let value = digits
                .parse()
                .unwrap_or_else(|_| panic!("cannot read bindgen's layout test for {label}"));
            facts.push((label.to_owned(), value));
        }
        assert!(!facts.is_empty(), "no layout tests in bindgen's output");
        facts
    }

    /// The `#define`s of `header`, in order, with "function-like" marks; the
    /// include guard is left out.
    fn header_defines(header: &str) -> Vec<(String, bool)> {
        let mut guard: Option<String> = None;
        let mut defines = Vec::new();
        for line in header.lines() {
            let Some(directive) = line.trim_start().strip_prefix('#') else {
                continue;
            };
            let directive = directive.trim_start();
            if let Some(rest) = directive.strip_prefix("ifndef") {
                guard.get_or_insert_with(|| rest.trim().to_owned());
                continue;
            }
            let Some(rest) = directive.strip_prefix("define") else {
                continue;
            };
            if !rest.starts_with([' ', '\t']) {
                continue;
            }
            let rest = rest.trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if guard.as_deref() == Some(name.as_str()) {
                continue;
            }
            let function_like = rest[name.len()..].starts_with('(');
            defines.push((name, function_like));
        }
        defines
    }

    /// `c_macros.rs`: every object-like `#define` of the header with its
    /// value, and the names of the function-like ones.
    fn c_macros(header: &str, values: &BTreeMap<String, i64>) -> String {
        let mut ints = String::new();
        let mut functions = String::new();
        for (name, function_like) in header_defines(header) {
            if function_like {
                writeln!(functions, "    {name:?},").unwrap();
                continue;
            }
            let value = values.get(&name).unwrap_or_else(|| {
                panic!(
                    "{HEADER} defines {name}, which libclang does not see as an integer \
                     constant: teach build.rs and tests/bindgen_layout.rs to check it"
                )
            });
            writeln!(ints, "    ({name:?}, {value}),").unwrap();
        }
        format!(
            "/// Object-like `#define`s of {HEADER}, with libclang's values.\n\
             pub const C_INT_MACROS: &[(&str, i64)] = &[\n{ints}];\n\
             /// Function-like `#define`s of {HEADER}.\n\
             pub const C_FUNCTION_MACROS: &[&str] = &[\n{functions}];\n"
        )
    }

    /// `xen_src.rs` for the Xen tree at `tree`: bindings of its domctl.h and
    /// errno.h as the toolstack sees them, and what the test needs to know
    /// about them.
    fn xen_src(tree: &Path, out: &Path) -> String {
        let include = tree.join("xen/include");
        let public = include.join("public");
        if !public.join("domctl.h").is_file() {
            panic!(
                "XEN_SRC={}: no xen/include/public/domctl.h there (XEN_SRC must be \
                 the top of a Xen source tree)",
                tree.display()
            );
        }
        for file in ["domctl.h", "carrefour.h", "errno.h", "xen.h"] {
            println!("cargo::rerun-if-changed={}", public.join(file).display());
        }
        println!("cargo::rustc-cfg=xen_src");

        let values = Values::default();
        let bindings = bindgen::Builder::default()
            .header_contents(
                "xen-src-check.h",
                // As a toolstack source does (xenctrl.h): stdint.h first.
                "#include <stdint.h>\n#include <public/domctl.h>\n#include <public/errno.h>\n",
            )
            .clang_arg("--target=x86_64-unknown-linux-gnu")
            .clang_arg(format!("-I{}", include.display()))
            .clang_arg("-D__XEN_TOOLS__")
            .allowlist_type("xen_domctl|xen_errno")
            .allowlist_var("XEN_DOMCTL_INTERFACE_VERSION|XEN_DOMCTL_carrefour_op")
            .prepend_enum_name(false)
            .use_core()
            .layout_tests(true)
            .parse_callbacks(Box::new(values.clone()))
            .generate()
            .unwrap_or_else(|e| {
                panic!(
                    "bindgen failed on {}/public/domctl.h: {e}",
                    include.display()
                )
            })
            .to_string();
        fs::write(out.join("xen_src_bindings.rs"), &bindings).expect("write OUT_DIR");

        let mut text = format!(
            "/// The Xen tree of XEN_SRC.\n\
             pub const XEN_SRC: Option<&str> = Some({:?});\n\
             /// Its copy of the header, if the patch series put one there.\n\
             pub const TREE_CARREFOUR_H: &str = {:?};\n\
             /// bindgen's view of its domctl.h and errno.h.\n\
             #[allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code)]\n\
             #[allow(clippy::all, clippy::undocumented_unsafe_blocks)]\n\
             pub mod c {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/xen_src_bindings.rs\"));\n}}\n",
            tree.display().to_string(),
            public.join("carrefour.h").display().to_string(),
        );

        let errnos: Vec<(String, i64)> = values
            .enum_constants
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, (enum_name, _))| enum_name.contains("xen_errno"))
            .map(|(name, &(_, value))| (name.clone(), value))
            .collect();
        writeln!(text, "/// The tree's `enum xen_errno` (tools view).").unwrap();
        writeln!(text, "pub const XEN_ERRNO: &[(&str, i64)] = &[").unwrap();
        for (name, value) in &errnos {
            writeln!(text, "    ({name:?}, {value}),").unwrap();
        }
        writeln!(text, "];").unwrap();

        let macros = values.macros.lock().unwrap();
        let domctl_cmd = macros.get("XEN_DOMCTL_carrefour_op");
        writeln!(
            text,
            "/// `XEN_DOMCTL_carrefour_op` in the tree, if defined."
        )
        .unwrap();
        writeln!(text, "pub const DOMCTL_CMD: Option<i64> = {domctl_cmd:?};").unwrap();

        // The member of xen_domctl's union that is a xen_domctl_carrefour_op,
        // found in bindgen's (prettyplease-formatted) output.
        let member = carrefour_member(&bindings);
        match &member {
            Some((union, field)) => {
                println!("cargo::rustc-cfg=xen_src_has_carrefour");
                writeln!(
                    text,
                    "/// The union of `struct xen_domctl` and its carrefour member.\n\
                     pub const CARREFOUR_MEMBER: Option<&str> = Some({field:?});\n\
                     pub type DomctlUnion = c::{union};\n\
                     /// `offset_of!(xen_domctl.u, {field})` and the member's size.\n\
                     pub fn carrefour_member_layout() -> (usize, usize) {{\n    \
                         (core::mem::offset_of!(c::{union}, {field}),\n     \
                          core::mem::size_of::<c::xen_domctl_carrefour_op>())\n}}\n"
                )
                .unwrap();
            }
            None => {
                writeln!(
                    text,
                    "/// The union of `struct xen_domctl` has no carrefour member.\n\
                     pub const CARREFOUR_MEMBER: Option<&str> = None;"
                )
                .unwrap();
            }
        }
        text
    }

    /// `(union, field)` where bindgen's output has `pub union <union> {
    /// ... pub <field>: xen_domctl_carrefour_op, ... }`.
    fn carrefour_member(bindings: &str) -> Option<(String, String)> {
        let mut container: Option<String> = None;
        for line in bindings.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("pub union ") {
                container = rest.split_whitespace().next().map(str::to_owned);
            } else if line.starts_with("pub struct ") {
                container = None;
            } else if let Some(field) = line
                .strip_prefix("pub ")
                .and_then(|rest| rest.strip_suffix(": xen_domctl_carrefour_op,"))
            {
                if let Some(union) = &container {
                    return Some((union.clone(), field.to_owned()));
                }
            }
        }
        None
    }
}
