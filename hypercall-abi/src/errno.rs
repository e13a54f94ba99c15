//! Xen's errno values, from `xen/include/public/errno.h` (Xen 4.17).
//!
//! Hypercalls return `-value`.  They are Xen's numbers, not the host's
//! libc's (the two agree on x86 Linux, which Xen copied, but only Xen's are
//! the ABI).  `EINTR` and `ERESTART` are internal to Xen and never reach a
//! caller, so they are not listed.  With `XEN_SRC` set, the bindgen check
//! compares every value with that tree's `errno.h`.

/// Operation not permitted.
pub const EPERM: i32 = 1;
/// No such file or directory.
pub const ENOENT: i32 = 2;
/// No such process (here: no such domain).
pub const ESRCH: i32 = 3;
/// I/O error.
pub const EIO: i32 = 5;
/// No such device or address.
pub const ENXIO: i32 = 6;
/// Arg list too long.
pub const E2BIG: i32 = 7;
/// Exec format error.
pub const ENOEXEC: i32 = 8;
/// Bad file number.
pub const EBADF: i32 = 9;
/// No child processes.
pub const ECHILD: i32 = 10;
/// Try again.
pub const EAGAIN: i32 = 11;
/// Operation would block (alias of `EAGAIN`).
pub const EWOULDBLOCK: i32 = 11;
/// Out of memory.
pub const ENOMEM: i32 = 12;
/// Permission denied.
pub const EACCES: i32 = 13;
/// Bad address.
pub const EFAULT: i32 = 14;
/// Device or resource busy.
pub const EBUSY: i32 = 16;
/// File exists.
pub const EEXIST: i32 = 17;
/// Cross-device link.
pub const EXDEV: i32 = 18;
/// No such device.
pub const ENODEV: i32 = 19;
/// Not a directory.
pub const ENOTDIR: i32 = 20;
/// Is a directory.
pub const EISDIR: i32 = 21;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// File table overflow.
pub const ENFILE: i32 = 23;
/// Too many open files.
pub const EMFILE: i32 = 24;
/// No space left on device.
pub const ENOSPC: i32 = 28;
/// Read-only file system.
pub const EROFS: i32 = 30;
/// Too many links.
pub const EMLINK: i32 = 31;
/// Math argument out of domain of func.
pub const EDOM: i32 = 33;
/// Math result not representable.
pub const ERANGE: i32 = 34;
/// Resource deadlock would occur.
pub const EDEADLK: i32 = 35;
/// Resource deadlock would occur (alias of `EDEADLK`).
pub const EDEADLOCK: i32 = 35;
/// File name too long.
pub const ENAMETOOLONG: i32 = 36;
/// No record locks available.
pub const ENOLCK: i32 = 37;
/// Function not implemented.
pub const ENOSYS: i32 = 38;
/// Directory not empty.
pub const ENOTEMPTY: i32 = 39;
/// No data available.
pub const ENODATA: i32 = 61;
/// Timer expired.
pub const ETIME: i32 = 62;
/// Not a data message.
pub const EBADMSG: i32 = 74;
/// Value too large for defined data type.
pub const EOVERFLOW: i32 = 75;
/// Illegal byte sequence.
pub const EILSEQ: i32 = 84;
/// Socket operation on non-socket.
pub const ENOTSOCK: i32 = 88;
/// Message too large.
pub const EMSGSIZE: i32 = 90;
/// Operation not supported.
pub const EOPNOTSUPP: i32 = 95;
/// Address already in use.
pub const EADDRINUSE: i32 = 98;
/// Cannot assign requested address.
pub const EADDRNOTAVAIL: i32 = 99;
/// No buffer space available.
pub const ENOBUFS: i32 = 105;
/// Transport endpoint is already connected.
pub const EISCONN: i32 = 106;
/// Transport endpoint is not connected.
pub const ENOTCONN: i32 = 107;
/// Connection timed out.
pub const ETIMEDOUT: i32 = 110;
/// Connection refused.
pub const ECONNREFUSED: i32 = 111;

/// Every value above with its name, as `errno.h` spells it without the
/// `XEN_` prefix (for the bindgen check and for messages).
pub const ALL: &[(&str, i32)] = &[
    ("EPERM", EPERM),
    ("ENOENT", ENOENT),
    ("ESRCH", ESRCH),
    ("EIO", EIO),
    ("ENXIO", ENXIO),
    ("E2BIG", E2BIG),
    ("ENOEXEC", ENOEXEC),
    ("EBADF", EBADF),
    ("ECHILD", ECHILD),
    ("EAGAIN", EAGAIN),
    ("EWOULDBLOCK", EWOULDBLOCK),
    ("ENOMEM", ENOMEM),
    ("EACCES", EACCES),
    ("EFAULT", EFAULT),
    ("EBUSY", EBUSY),
    ("EEXIST", EEXIST),
    ("EXDEV", EXDEV),
    ("ENODEV", ENODEV),
    ("ENOTDIR", ENOTDIR),
    ("EISDIR", EISDIR),
    ("EINVAL", EINVAL),
    ("ENFILE", ENFILE),
    ("EMFILE", EMFILE),
    ("ENOSPC", ENOSPC),
    ("EROFS", EROFS),
    ("EMLINK", EMLINK),
    ("EDOM", EDOM),
    ("ERANGE", ERANGE),
    ("EDEADLK", EDEADLK),
    ("EDEADLOCK", EDEADLOCK),
    ("ENAMETOOLONG", ENAMETOOLONG),
    ("ENOLCK", ENOLCK),
    ("ENOSYS", ENOSYS),
    ("ENOTEMPTY", ENOTEMPTY),
    ("ENODATA", ENODATA),
    ("ETIME", ETIME),
    ("EBADMSG", EBADMSG),
    ("EOVERFLOW", EOVERFLOW),
    ("EILSEQ", EILSEQ),
    ("ENOTSOCK", ENOTSOCK),
    ("EMSGSIZE", EMSGSIZE),
    ("EOPNOTSUPP", EOPNOTSUPP),
    ("EADDRINUSE", EADDRINUSE),
    ("EADDRNOTAVAIL", EADDRNOTAVAIL),
    ("ENOBUFS", ENOBUFS),
    ("EISCONN", EISCONN),
    ("ENOTCONN", ENOTCONN),
    ("ETIMEDOUT", ETIMEDOUT),
    ("ECONNREFUSED", ECONNREFUSED),
];

/// The name of a positive errno value (the first, for aliases), if Xen has
/// one.
pub fn name(errno: i32) -> Option<&'static str> {
    ALL.iter().find(|&&(_, v)| v == errno).map(|&(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_the_carrefour_abi_relies_on() {
        assert_eq!(EINVAL, 22);
        assert_eq!(EOPNOTSUPP, 95);
        assert_eq!(ENOBUFS, 105);
        assert_eq!(ESRCH, 3);
        assert_eq!(EPERM, 1);
        assert_eq!(ENOMEM, 12);
        assert_eq!(EBUSY, 16);
    }

    #[test]
    fn names_find_the_first_of_aliases() {
        assert_eq!(name(11), Some("EAGAIN"));
        assert_eq!(name(35), Some("EDEADLK"));
        assert_eq!(name(4), None); // EINTR is internal to Xen
    }
}
