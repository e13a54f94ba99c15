//! The wire enums: sub-operations, samplers, parameters, action kinds and
//! skip reasons.
//!
//! Each is built from the header's constants (so the bindgen check covers
//! its values), converts from the raw `u32` with `TryFrom`, which rejects
//! unknown values with a typed error (never a `transmute`), and knows its
//! name: the C name's suffix in lower case (`XEN_CARREFOUR_PARAM_EPOCH_MS` ->
//! `epoch_ms`), as xl and the debug dump print it.

use core::fmt;

use crate::consts::*;

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident / $error:ident ($what:literal, prefix $prefix:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $c:ident => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum $name {
            $( $(#[$vmeta])* $variant = $c, )*
        }

        #[doc = concat!("A raw value that is no ", $what, ".")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $error(pub u32);

        impl fmt::Display for $error {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!("unknown ", $what, " {}"), self.0)
            }
        }

        impl $name {
            /// Every value, in the order of the raw values.
            pub const ALL: [$name; [$($name::$variant),*].len()] = [$($name::$variant),*];

            /// The C prefix of the constants' names.
            pub const C_PREFIX: &'static str = $prefix;

            /// The raw value on the wire.
            pub const fn raw(self) -> u32 {
                self as u32
            }

            /// The name xl and the debug dump use (lower-case C suffix).
            pub const fn name(self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )*
                }
            }

            /// The C name of the constant (`XEN_..._EPOCH_MS`).
            pub const fn c_name(self) -> &'static str {
                match self {
                    $( Self::$variant => stringify!($c), )*
                }
            }

            /// The value called `name` (see [`name`](Self::name)), if any.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.name() == name)
            }
        }

        impl TryFrom<u32> for $name {
            type Error = $error;
            fn try_from(raw: u32) -> Result<Self, $error> {
                $( if raw == $c { return Ok(Self::$variant); } )*
                Err($error(raw))
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> u32 {
                value.raw()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

/// Asserts at compile time that an enum's raw values are `0..NR`, so that
/// the raw value indexes the statistics array of `NR` entries.
macro_rules! dense_index {
    ($name:ident, $nr:expr) => {
        const _: () = {
            assert!($name::ALL.len() == $nr);
            let mut i = 0;
            while i < $nr {
                assert!($name::ALL[i] as usize == i);
                i += 1;
            }
        };

        impl $name {
            /// Index of this value in the statistics arrays (its raw value).
            pub const fn index(self) -> usize {
                self as usize
            }
        }
    };
}

wire_enum! {
    /// `XEN_DOMCTL_CARREFOUR_OP_*`: the sub-operation in
    /// `xen_domctl_carrefour_op.cmd`.
    pub enum SubOp / UnknownSubOp ("sub-operation", prefix "XEN_DOMCTL_CARREFOUR_OP_") {
        /// Start Carrefour on the domain (`u.enable`).
        Enable = XEN_DOMCTL_CARREFOUR_OP_ENABLE => "enable",
        /// Stop Carrefour on the domain.
        Disable = XEN_DOMCTL_CARREFOUR_OP_DISABLE => "disable",
        /// Summary of the domain (`u.info`, OUT).
        GetInfo = XEN_DOMCTL_CARREFOUR_OP_GET_INFO => "get_info",
        /// Change parameters, all or nothing (`u.set_params`).
        SetParams = XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS => "set_params",
        /// Full statistics into the caller's buffer (`u.get_stats`).
        GetStats = XEN_DOMCTL_CARREFOUR_OP_GET_STATS => "get_stats",
    }
}

wire_enum! {
    /// `XEN_CARREFOUR_SAMPLER_*`: how Xen samples the domain's accesses.
    pub enum Sampler / UnknownSampler ("sampler", prefix "XEN_CARREFOUR_SAMPLER_") {
        /// IBS if usable, else fault.
        Default = XEN_CARREFOUR_SAMPLER_DEFAULT => "default",
        /// AMD IBS op sampling (NMI).
        Ibs = XEN_CARREFOUR_SAMPLER_IBS => "ibs",
        /// p2m hinting faults.
        Fault = XEN_CARREFOUR_SAMPLER_FAULT => "fault",
    }
}

wire_enum! {
    /// `XEN_CARREFOUR_PARAM_*`: a per-domain parameter.  Ratios are in
    /// permille, times in milliseconds, sizes in 4 KiB pages; the ranges are
    /// the engine's (`carrefour-core`).
    pub enum Param / UnknownParam ("parameter", prefix "XEN_CARREFOUR_PARAM_") {
        /// Length of a decision round, ms.
        EpochMs = XEN_CARREFOUR_PARAM_EPOCH_MS => "epoch_ms",
        /// DRAM accesses per microsecond below which Carrefour does nothing.
        MinMaptu = XEN_CARREFOUR_PARAM_MIN_MAPTU => "min_maptu",
        /// Controller imbalance above which shared pages are interleaved.
        InterleaveImbalancePermille =
            XEN_CARREFOUR_PARAM_INTERLEAVE_IMBALANCE_PERMILLE => "interleave_imbalance_permille",
        /// Local access ratio below which pages are migrated.
        MigrateLarPermille = XEN_CARREFOUR_PARAM_MIGRATE_LAR_PERMILLE => "migrate_lar_permille",
        /// Memory use at or below which replication may run.
        ReplicateMemoryPermille =
            XEN_CARREFOUR_PARAM_REPLICATE_MEMORY_PERMILLE => "replicate_memory_permille",
        /// Share of writes at or below which replication may run.
        ReplicateWritePermille =
            XEN_CARREFOUR_PARAM_REPLICATE_WRITE_PERMILLE => "replicate_write_permille",
        /// Replication orders a round needs before replication starts.
        ReplicateMinCandidates =
            XEN_CARREFOUR_PARAM_REPLICATE_MIN_CANDIDATES => "replicate_min_candidates",
        /// Samples a page needs before it is migrated.
        MigrateMinSamples = XEN_CARREFOUR_PARAM_MIGRATE_MIN_SAMPLES => "migrate_min_samples",
        /// Pages the sample table tracks at most.
        TrackedPages = XEN_CARREFOUR_PARAM_TRACKED_PAGES => "tracked_pages",
        /// Pages moved per epoch at most.
        BudgetPages = XEN_CARREFOUR_PARAM_BUDGET_PAGES => "budget_pages",
        /// Migration bandwidth cap, MB/s.
        BudgetMbPerSec = XEN_CARREFOUR_PARAM_BUDGET_MB_PER_SEC => "budget_mb_per_sec",
        /// Epochs a moved page stays put.
        CooldownEpochs = XEN_CARREFOUR_PARAM_COOLDOWN_EPOCHS => "cooldown_epochs",
        /// Epochs a ping-ponging page is frozen.
        FreezeEpochs = XEN_CARREFOUR_PARAM_FREEZE_EPOCHS => "freeze_epochs",
        /// CPU share sampling may cost.
        SamplingCpuPermille = XEN_CARREFOUR_PARAM_SAMPLING_CPU_PERMILLE => "sampling_cpu_permille",
        /// Sampling period.
        SamplingPeriod = XEN_CARREFOUR_PARAM_SAMPLING_PERIOD => "sampling_period",
        /// Agreement within an extent needed to move it whole.
        ExtentAgreePermille = XEN_CARREFOUR_PARAM_EXTENT_AGREE_PERMILLE => "extent_agree_permille",
        /// Replication on (1) or off (0).
        Replication = XEN_CARREFOUR_PARAM_REPLICATION => "replication",
    }
}
dense_index!(Param, XEN_CARREFOUR_PARAM_NR);

wire_enum! {
    /// `XEN_CARREFOUR_ACTION_*`: a kind of action the engine decides
    /// (index of `stats.actions[]`).
    pub enum ActionKind / UnknownActionKind ("action kind", prefix "XEN_CARREFOUR_ACTION_") {
        /// Move a page to the node that uses it.
        Migrate = XEN_CARREFOUR_ACTION_MIGRATE => "migrate",
        /// Move a shared page off a loaded controller.
        Interleave = XEN_CARREFOUR_ACTION_INTERLEAVE => "interleave",
        /// Copy a read-only page to the nodes that use it.
        Replicate = XEN_CARREFOUR_ACTION_REPLICATE => "replicate",
    }
}
dense_index!(ActionKind, XEN_CARREFOUR_ACTION_NR);

wire_enum! {
    /// `XEN_CARREFOUR_SKIP_*`: why Xen did not carry out an action (index of
    /// `stats.skipped[]`).
    pub enum SkipReason / UnknownSkipReason ("skip reason", prefix "XEN_CARREFOUR_SKIP_") {
        /// Grant or foreign mapping.
        ExtraRefs = XEN_CARREFOUR_SKIP_EXTRA_REFS => "extra_refs",
        /// p2m type is not plain RAM.
        NotRam = XEN_CARREFOUR_SKIP_NOT_RAM => "not_ram",
        /// Paged out or shared.
        PagedShared = XEN_CARREFOUR_SKIP_PAGED_SHARED => "paged_shared",
        /// Domain has devices.
        Passthrough = XEN_CARREFOUR_SKIP_PASSTHROUGH => "passthrough",
        /// Target node is full.
        NoMemory = XEN_CARREFOUR_SKIP_NO_MEMORY => "no_memory",
        /// Frame is on the target.
        AlreadyThere = XEN_CARREFOUR_SKIP_ALREADY_THERE => "already_there",
        /// E.g. replication.
        Unsupported = XEN_CARREFOUR_SKIP_UNSUPPORTED => "unsupported",
        /// Domain is going away.
        Dying = XEN_CARREFOUR_SKIP_DYING => "dying",
        /// Save or live migration under way (log-dirty mode).
        LogDirty = XEN_CARREFOUR_SKIP_LOG_DIRTY => "log_dirty",
    }
}
dense_index!(SkipReason, XEN_CARREFOUR_SKIP_NR);

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    /// The name must be the C name without its prefix, in lower case.
    fn name_from_c_name(c_name: &str, prefix: &str) -> String {
        c_name
            .strip_prefix(prefix)
            .expect("C name has the enum's prefix")
            .to_ascii_lowercase()
    }

    macro_rules! enum_tests {
        ($mod:ident, $name:ident, $error:ident, $first_unknown:expr) => {
            mod $mod {
                use super::*;

                #[test]
                fn names_are_the_lower_case_c_suffixes() {
                    for v in $name::ALL {
                        assert_eq!(v.name(), name_from_c_name(v.c_name(), $name::C_PREFIX));
                    }
                }

                #[test]
                fn names_round_trip() {
                    for v in $name::ALL {
                        assert_eq!($name::from_name(v.name()), Some(v));
                        assert_eq!(std::format!("{v}"), v.name());
                    }
                    assert_eq!($name::from_name(""), None);
                    assert_eq!($name::from_name("no_such_name"), None);
                    // Names are exact: no case folding, no C names.
                    let first = $name::ALL[0];
                    assert_eq!($name::from_name(&first.name().to_ascii_uppercase()), None);
                    assert_eq!($name::from_name(first.c_name()), None);
                }

                #[test]
                fn raw_values_round_trip() {
                    for v in $name::ALL {
                        assert_eq!($name::try_from(v.raw()), Ok(v));
                        assert_eq!(u32::from(v), v.raw());
                    }
                }

                #[test]
                fn unknown_raw_values_are_rejected() {
                    for raw in [$first_unknown, $first_unknown + 1, 0x8000_0000, u32::MAX] {
                        assert_eq!($name::try_from(raw), Err($error(raw)));
                    }
                }
            }
        };
    }

    enum_tests!(sub_op, SubOp, UnknownSubOp, 6);
    enum_tests!(sampler, Sampler, UnknownSampler, 3);
    enum_tests!(param, Param, UnknownParam, XEN_CARREFOUR_PARAM_NR as u32);
    enum_tests!(
        action_kind,
        ActionKind,
        UnknownActionKind,
        XEN_CARREFOUR_ACTION_NR as u32
    );
    enum_tests!(
        skip_reason,
        SkipReason,
        UnknownSkipReason,
        XEN_CARREFOUR_SKIP_NR as u32
    );

    #[test]
    fn sub_op_zero_is_unknown() {
        assert_eq!(SubOp::try_from(0), Err(UnknownSubOp(0)));
    }

    #[test]
    fn param_names_for_xl() {
        assert_eq!(Param::EpochMs.name(), "epoch_ms");
        assert_eq!(Param::MinMaptu.name(), "min_maptu");
        assert_eq!(
            Param::from_name("interleave_imbalance_permille"),
            Some(Param::InterleaveImbalancePermille)
        );
        assert_eq!(
            Param::from_name("budget_mb_per_sec"),
            Some(Param::BudgetMbPerSec)
        );
    }

    #[test]
    fn indices_follow_raw_values() {
        assert_eq!(Param::Replication.index(), 16);
        assert_eq!(ActionKind::Replicate.index(), 2);
        assert_eq!(SkipReason::Dying.index(), 7);
    }

    #[test]
    fn unknown_value_errors_say_what_they_are() {
        assert_eq!(std::format!("{}", UnknownParam(99)), "unknown parameter 99");
        assert_eq!(
            std::format!("{}", UnknownSubOp(0)),
            "unknown sub-operation 0"
        );
    }
}
