//! `validate_op`: every way a request is rejected, with the errno Xen
//! returns, and round trips of valid requests.

use hypercall_abi::*;

/// A valid set_params op with `assignments`, built field by field (not
/// through `Request::to_op`), so that tests can then break one field.
fn set_params_op(assignments: &[(u32, u64)]) -> XenDomctlCarrefourOp {
    let mut raw = XenCarrefourSetParams {
        nr_params: assignments.len() as u32,
        ..Default::default()
    };
    for (slot, &(id, value)) in raw.params.iter_mut().zip(assignments) {
        *slot = XenCarrefourParam { id, pad: 0, value };
    }
    XenDomctlCarrefourOp {
        cmd: XEN_DOMCTL_CARREFOUR_OP_SET_PARAMS,
        abi_version: XEN_CARREFOUR_ABI_VERSION,
        u: XenDomctlCarrefourOpU::with(&raw),
        ..Default::default()
    }
}

fn op(cmd: u32) -> XenDomctlCarrefourOp {
    XenDomctlCarrefourOp {
        cmd,
        abi_version: XEN_CARREFOUR_ABI_VERSION,
        ..Default::default()
    }
}

fn get_stats_op(size: u32, pad: u32) -> XenDomctlCarrefourOp {
    XenDomctlCarrefourOp {
        u: XenDomctlCarrefourOpU::with(&XenCarrefourGetStats {
            buffer: 0x7000_0000,
            size,
            pad,
        }),
        ..op(XEN_DOMCTL_CARREFOUR_OP_GET_STATS)
    }
}

fn enable_op(sampler: u32, pad: u32) -> XenDomctlCarrefourOp {
    XenDomctlCarrefourOp {
        u: XenDomctlCarrefourOpU::with(&XenCarrefourEnable { sampler, pad }),
        ..op(XEN_DOMCTL_CARREFOUR_OP_ENABLE)
    }
}

const EINVAL: i32 = -22;
const EOPNOTSUPP: i32 = -95;
const ENOBUFS: i32 = -105;

fn errno_of(op: &XenDomctlCarrefourOp) -> i32 {
    validate_op(op)
        .expect_err("the request should be rejected")
        .errno()
}

// --- Valid requests ------------------------------------------------------

fn every_kind_of_request() -> Vec<Request> {
    let mut requests = vec![Request::Disable, Request::GetInfo];
    requests.extend(Sampler::ALL.map(|sampler| Request::Enable { sampler }));
    for n in 1..=XEN_CARREFOUR_MAX_SET_PARAMS {
        let list: Vec<_> = Param::ALL[n..]
            .iter()
            .take(n)
            .map(|&param| ParamAssignment {
                param,
                value: u64::MAX - n as u64,
            })
            .collect();
        requests.push(Request::SetParams(ParamList::new(&list).unwrap()));
    }
    requests.push(Request::GetStats {
        buffer: 0xffff_8000_0000_1000,
        size: XEN_CARREFOUR_STATS_SIZE,
    });
    requests.push(Request::GetStats {
        buffer: 0,
        size: u32::MAX,
    });
    requests
}

#[test]
fn valid_requests_round_trip_through_the_raw_op() {
    for request in every_kind_of_request() {
        let raw = request.to_op();
        assert_eq!(raw.cmd, request.sub_op().raw());
        assert_eq!(raw.abi_version, XEN_CARREFOUR_ABI_VERSION);
        assert_eq!(validate_op(&raw), Ok(request), "{raw:?}");
    }
}

#[test]
fn valid_requests_round_trip_through_bytes() {
    for request in every_kind_of_request() {
        let mut bytes = [0u8; 120];
        request.to_op().write_to(&mut bytes).unwrap();
        let raw = XenDomctlCarrefourOp::read_from(&bytes).unwrap();
        assert_eq!(validate_op(&raw), Ok(request));
    }
}

#[test]
fn any_minor_version_of_the_same_major_is_accepted() {
    for minor in [0, 1, 0x7fff, 0xffff] {
        let raw = XenDomctlCarrefourOp {
            abi_version: (xen_carrefour_abi_major(XEN_CARREFOUR_ABI_VERSION) << 16) | minor,
            ..op(XEN_DOMCTL_CARREFOUR_OP_DISABLE)
        };
        assert_eq!(validate_op(&raw), Ok(Request::Disable));
    }
}

#[test]
fn parameter_values_are_not_range_checked_here() {
    // Ranges are the engine's: any u64 passes the ABI check.
    for value in [0, 1, u64::MAX] {
        let raw = set_params_op(&[(XEN_CARREFOUR_PARAM_EPOCH_MS, value)]);
        let Ok(Request::SetParams(list)) = validate_op(&raw) else {
            panic!("rejected {value}");
        };
        assert_eq!(list.get(Param::EpochMs), Some(value));
    }
}

#[test]
fn set_params_keeps_the_callers_order() {
    let raw = set_params_op(&[
        (XEN_CARREFOUR_PARAM_REPLICATION, 0),
        (XEN_CARREFOUR_PARAM_EPOCH_MS, 1000),
        (XEN_CARREFOUR_PARAM_BUDGET_PAGES, 512),
    ]);
    let Ok(Request::SetParams(list)) = validate_op(&raw) else {
        panic!()
    };
    let params: Vec<_> = list.as_slice().iter().map(|a| a.param).collect();
    assert_eq!(
        params,
        [Param::Replication, Param::EpochMs, Param::BudgetPages]
    );
    assert_eq!(list.len(), 3);
    assert!(!list.is_empty());
    assert_eq!(list.get(Param::MinMaptu), None);
}

#[test]
fn set_params_ignores_entries_past_nr_params() {
    let mut raw = set_params_op(&[(XEN_CARREFOUR_PARAM_EPOCH_MS, 1000)]);
    let mut sp: XenCarrefourSetParams = raw.u.read();
    sp.params[1] = XenCarrefourParam {
        id: 999,
        pad: 7,
        value: 1,
    };
    sp.params[5] = XenCarrefourParam {
        id: XEN_CARREFOUR_PARAM_EPOCH_MS,
        pad: 0,
        value: 2,
    };
    raw.u.write(&sp);
    let Ok(Request::SetParams(list)) = validate_op(&raw) else {
        panic!()
    };
    assert_eq!(
        list.as_slice(),
        [ParamAssignment {
            param: Param::EpochMs,
            value: 1000
        }]
    );
}

#[test]
fn disable_and_get_info_do_not_read_the_union() {
    for (cmd, expected) in [
        (XEN_DOMCTL_CARREFOUR_OP_DISABLE, Request::Disable),
        (XEN_DOMCTL_CARREFOUR_OP_GET_INFO, Request::GetInfo),
    ] {
        let raw = XenDomctlCarrefourOp {
            u: XenDomctlCarrefourOpU { bytes: [0xff; 104] },
            ..op(cmd)
        };
        assert_eq!(validate_op(&raw), Ok(expected));
    }
}

// --- Header-level rejections ---------------------------------------------

#[test]
fn wrong_abi_major_is_einval() {
    for version in [0, 0x0000_ffff, 0x0002_0000, 0xffff_0000, u32::MAX] {
        let raw = XenDomctlCarrefourOp {
            abi_version: version,
            ..op(XEN_DOMCTL_CARREFOUR_OP_GET_INFO)
        };
        assert_eq!(
            validate_op(&raw),
            Err(AbiError::AbiVersionMismatch { caller: version })
        );
        assert_eq!(errno_of(&raw), EINVAL);
    }
}

#[test]
fn abi_version_is_checked_before_the_sub_operation() {
    // Another major may number sub-operations differently: -EINVAL, not
    // -EOPNOTSUPP.
    let raw = XenDomctlCarrefourOp {
        abi_version: 0x0002_0000,
        ..op(99)
    };
    assert_eq!(errno_of(&raw), EINVAL);
}

#[test]
fn non_zero_flags_are_einval() {
    for flags in [1, 0x8000_0000, u32::MAX] {
        let raw = XenDomctlCarrefourOp {
            flags,
            ..op(XEN_DOMCTL_CARREFOUR_OP_DISABLE)
        };
        assert_eq!(validate_op(&raw), Err(AbiError::NonZeroFlags { flags }));
        assert_eq!(errno_of(&raw), EINVAL);
    }
}

#[test]
fn non_zero_op_pad_is_einval() {
    let raw = XenDomctlCarrefourOp {
        pad: 1,
        ..op(XEN_DOMCTL_CARREFOUR_OP_DISABLE)
    };
    assert_eq!(
        validate_op(&raw),
        Err(AbiError::NonZeroPad {
            field: PadField::Op
        })
    );
    assert_eq!(errno_of(&raw), EINVAL);
}

#[test]
fn unknown_sub_operation_is_eopnotsupp() {
    for cmd in [0, 6, 7, 0x100, u32::MAX] {
        let raw = op(cmd);
        assert_eq!(
            validate_op(&raw),
            Err(AbiError::UnknownSubOp(UnknownSubOp(cmd)))
        );
        assert_eq!(errno_of(&raw), EOPNOTSUPP);
    }
}

#[test]
fn flags_and_pad_are_checked_before_the_sub_operation() {
    let raw = XenDomctlCarrefourOp { flags: 1, ..op(0) };
    assert_eq!(errno_of(&raw), EINVAL);
}

// --- enable -------------------------------------------------------------

#[test]
fn enable_with_non_zero_pad_is_einval() {
    let raw = enable_op(XEN_CARREFOUR_SAMPLER_IBS, 1);
    assert_eq!(
        validate_op(&raw),
        Err(AbiError::NonZeroPad {
            field: PadField::Enable
        })
    );
    assert_eq!(errno_of(&raw), EINVAL);
}

#[test]
fn enable_with_unknown_sampler_is_einval() {
    for sampler in [3, 4, u32::MAX] {
        let raw = enable_op(sampler, 0);
        assert_eq!(
            validate_op(&raw),
            Err(AbiError::UnknownSampler(UnknownSampler(sampler)))
        );
        assert_eq!(errno_of(&raw), EINVAL);
    }
}

#[test]
fn enable_accepts_every_sampler() {
    for sampler in Sampler::ALL {
        assert_eq!(
            validate_op(&enable_op(sampler.raw(), 0)),
            Ok(Request::Enable { sampler })
        );
    }
}

// --- set_params -----------------------------------------------------------

#[test]
fn set_params_with_non_zero_pad_is_einval() {
    let mut raw = set_params_op(&[(XEN_CARREFOUR_PARAM_EPOCH_MS, 1000)]);
    let mut sp: XenCarrefourSetParams = raw.u.read();
    sp.pad = 1;
    raw.u.write(&sp);
    assert_eq!(
        validate_op(&raw),
        Err(AbiError::NonZeroPad {
            field: PadField::SetParams
        })
    );
    assert_eq!(errno_of(&raw), EINVAL);
}

#[test]
fn set_params_with_no_parameter_is_einval() {
    let raw = set_params_op(&[]);
    assert_eq!(
        validate_op(&raw),
        Err(AbiError::BadParamCount { nr_params: 0 })
    );
    assert_eq!(errno_of(&raw), EINVAL);
}

#[test]
fn set_params_with_more_than_the_maximum_is_einval() {
    for nr_params in [XEN_CARREFOUR_MAX_SET_PARAMS as u32 + 1, 1000, u32::MAX] {
        let mut raw = set_params_op(&[(XEN_CARREFOUR_PARAM_EPOCH_MS, 1000)]);
        let mut sp: XenCarrefourSetParams = raw.u.read();
        sp.nr_params = nr_params;
        raw.u.write(&sp);
        assert_eq!(
            validate_op(&raw),
            Err(AbiError::BadParamCount { nr_params })
        );
        assert_eq!(errno_of(&raw), EINVAL);
    }
}

#[test]
fn set_params_accepts_one_to_the_maximum() {
    for n in 1..=XEN_CARREFOUR_MAX_SET_PARAMS as u32 {
        let assignments: Vec<_> = (0..n).map(|id| (id, u64::from(id))).collect();
        let Ok(Request::SetParams(list)) = validate_op(&set_params_op(&assignments)) else {
            panic!("{n} parameters rejected");
        };
        assert_eq!(list.len(), n as usize);
    }
}

#[test]
fn set_params_with_an_unknown_parameter_is_einval() {
    for id in [XEN_CARREFOUR_PARAM_NR as u32, 100, u32::MAX] {
        let raw = set_params_op(&[(XEN_CARREFOUR_PARAM_EPOCH_MS, 1000), (id, 1)]);
        assert_eq!(
            validate_op(&raw),
            Err(AbiError::UnknownParam {
                index: 1,
                id: UnknownParam(id)
            })
        );
        assert_eq!(errno_of(&raw), EINVAL);
    }
}

#[test]
fn set_params_with_non_zero_entry_pad_is_einval() {
    let mut raw = set_params_op(&[
        (XEN_CARREFOUR_PARAM_EPOCH_MS, 1000),
        (XEN_CARREFOUR_PARAM_MIN_MAPTU, 15),
        (XEN_CARREFOUR_PARAM_TRACKED_PAGES, 30000),
    ]);
    let mut sp: XenCarrefourSetParams = raw.u.read();
    sp.params[2].pad = 0x100;
    raw.u.write(&sp);
    assert_eq!(
        validate_op(&raw),
        Err(AbiError::NonZeroPad {
            field: PadField::Param { index: 2 }
        })
    );
    assert_eq!(errno_of(&raw), EINVAL);
}

#[test]
fn set_params_setting_a_parameter_twice_is_einval() {
    let raw = set_params_op(&[
        (XEN_CARREFOUR_PARAM_EPOCH_MS, 1000),
        (XEN_CARREFOUR_PARAM_MIN_MAPTU, 15),
        (XEN_CARREFOUR_PARAM_EPOCH_MS, 2000),
    ]);
    assert_eq!(
        validate_op(&raw),
        Err(AbiError::DuplicateParam {
            index: 2,
            param: Param::EpochMs
        })
    );
    assert_eq!(errno_of(&raw), EINVAL);
}

#[test]
fn set_params_reports_the_first_bad_entry() {
    // Entry 1 has a bad pad, entry 2 an unknown id: entry 1 is reported.
    let mut raw = set_params_op(&[(0, 1), (1, 1), (500, 1)]);
    let mut sp: XenCarrefourSetParams = raw.u.read();
    sp.params[1].pad = 1;
    raw.u.write(&sp);
    assert_eq!(
        validate_op(&raw),
        Err(AbiError::NonZeroPad {
            field: PadField::Param { index: 1 }
        })
    );
}

#[test]
fn param_list_enforces_its_invariants() {
    let a = |param, value| ParamAssignment { param, value };
    assert_eq!(
        ParamList::new(&[]),
        Err(AbiError::BadParamCount { nr_params: 0 })
    );
    let seven: Vec<_> = Param::ALL[..7].iter().map(|&p| a(p, 1)).collect();
    assert_eq!(
        ParamList::new(&seven),
        Err(AbiError::BadParamCount { nr_params: 7 })
    );
    assert_eq!(
        ParamList::new(&[a(Param::Replication, 1), a(Param::Replication, 0)]),
        Err(AbiError::DuplicateParam {
            index: 1,
            param: Param::Replication
        })
    );
    let list = ParamList::new(&[a(Param::FreezeEpochs, 4)]).unwrap();
    assert_eq!(list.as_slice(), [a(Param::FreezeEpochs, 4)]);
}

// --- get_stats --------------------------------------------------------------

#[test]
fn get_stats_with_non_zero_pad_is_einval() {
    let raw = get_stats_op(XEN_CARREFOUR_STATS_SIZE, 1);
    assert_eq!(
        validate_op(&raw),
        Err(AbiError::NonZeroPad {
            field: PadField::GetStats
        })
    );
    assert_eq!(errno_of(&raw), EINVAL);
}

#[test]
fn get_stats_pad_is_checked_before_the_size() {
    assert_eq!(errno_of(&get_stats_op(0, 1)), EINVAL);
}

#[test]
fn get_stats_with_a_small_buffer_is_enobufs_and_says_the_size_needed() {
    assert_eq!(XEN_CARREFOUR_STATS_SIZE, 1360);
    for size in [0, 1, XEN_CARREFOUR_STATS_SIZE - 1] {
        let raw = get_stats_op(size, 0);
        assert_eq!(
            validate_op(&raw),
            Err(AbiError::StatsBufferTooSmall {
                size,
                needed: XEN_CARREFOUR_STATS_SIZE
            })
        );
        assert_eq!(errno_of(&raw), ENOBUFS);
    }
}

#[test]
fn get_stats_accepts_a_buffer_of_the_size_or_larger() {
    for size in [
        XEN_CARREFOUR_STATS_SIZE,
        XEN_CARREFOUR_STATS_SIZE + 1,
        u32::MAX,
    ] {
        assert_eq!(
            validate_op(&get_stats_op(size, 0)),
            Ok(Request::GetStats {
                buffer: 0x7000_0000,
                size
            })
        );
    }
}

// --- errors ---------------------------------------------------------------

#[test]
fn errno_values_are_xens() {
    assert_eq!(errno::EINVAL, 22);
    assert_eq!(errno::EOPNOTSUPP, 95);
    assert_eq!(errno::ENOBUFS, 105);
    assert_eq!(
        AbiError::UnknownSubOp(UnknownSubOp(0)).errno(),
        -errno::EOPNOTSUPP
    );
    assert_eq!(
        AbiError::StatsBufferTooSmall {
            size: 0,
            needed: 1360
        }
        .errno(),
        -errno::ENOBUFS
    );
    for e in [
        AbiError::AbiVersionMismatch { caller: 0 },
        AbiError::NonZeroFlags { flags: 1 },
        AbiError::NonZeroPad {
            field: PadField::Op,
        },
        AbiError::UnknownSampler(UnknownSampler(9)),
        AbiError::BadParamCount { nr_params: 0 },
        AbiError::UnknownParam {
            index: 0,
            id: UnknownParam(99),
        },
        AbiError::DuplicateParam {
            index: 1,
            param: Param::EpochMs,
        },
    ] {
        assert_eq!(e.errno(), -errno::EINVAL, "{e:?}");
    }
}

#[test]
fn error_messages_name_the_c_field() {
    let cases = [
        (
            AbiError::NonZeroPad {
                field: PadField::Param { index: 3 },
            },
            "u.set_params.params[3].pad must be zero",
        ),
        (
            AbiError::NonZeroPad {
                field: PadField::GetStats,
            },
            "u.get_stats.pad must be zero",
        ),
        (
            AbiError::UnknownParam {
                index: 0,
                id: UnknownParam(99),
            },
            "u.set_params.params[0].id: unknown parameter 99",
        ),
        (
            AbiError::DuplicateParam {
                index: 2,
                param: Param::EpochMs,
            },
            "u.set_params.params[2] sets epoch_ms a second time",
        ),
        (
            AbiError::UnknownSubOp(UnknownSubOp(42)),
            "cmd: unknown sub-operation 42",
        ),
        (
            AbiError::StatsBufferTooSmall {
                size: 0,
                needed: 1360,
            },
            "u.get_stats.size 0 too small, 1360 needed",
        ),
        (
            AbiError::AbiVersionMismatch {
                caller: 0x0002_0000,
            },
            "ABI version 0x00020000 has major 2, Xen's is 0x00010000",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}
