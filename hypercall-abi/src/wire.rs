//! Safe conversion between the mirror structs and their bytes.
//!
//! Each struct is written field by field at `offset_of!` of the field, in the
//! machine's byte order: exactly the bytes a C compiler lays out for the same
//! struct on the same machine (the layout assertions make the offsets equal
//! to C's, and `tests/wire_image.rs` compares the bytes with the in-memory
//! image).  No struct has implicit padding (asserted in `layout.rs`), so the
//! bytes determine the value and the value determines every byte.
//!
//! This is what lets `xen_domctl_carrefour_op.u`, a C union, be a byte array
//! with typed accessors instead of a Rust `union`: no `unsafe` anywhere.

use core::fmt;

/// Implementation details of [`Wire`], not nameable outside the crate.
pub(crate) mod sealed {
    /// Field-level encoding.  Callers guarantee the slice lengths: `put`
    /// gets at least `SIZE` bytes, `get` reads from at least `SIZE` bytes.
    /// A shorter slice is a bug in this crate and panics.
    pub trait Codec: Sized {
        /// Bytes of the C object (== `size_of::<Self>()`, asserted).
        const SIZE: usize;
        fn put(&self, out: &mut [u8]);
        fn get(bytes: &[u8]) -> Self;
    }
}
use sealed::Codec;

/// A slice was too short for the struct read from or written to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortBuffer {
    /// Bytes the struct needs.
    pub needed: usize,
    /// Bytes the slice had.
    pub got: usize,
}

impl fmt::Display for ShortBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "buffer of {} bytes, {} needed", self.got, self.needed)
    }
}

/// A type of the ABI that converts to and from its C bytes (native byte
/// order).  Sealed: implemented for the mirror structs, their integer
/// fields and arrays of them.
pub trait Wire: Codec + Copy {
    /// Size in bytes of the C object, `size_of::<Self>()`.
    const WIRE_SIZE: usize = <Self as Codec>::SIZE;

    /// Writes the C image of `self` to `out[..WIRE_SIZE]`; the rest of `out`
    /// is left alone.
    fn write_to(&self, out: &mut [u8]) -> Result<(), ShortBuffer> {
        let got = out.len();
        match out.get_mut(..Self::WIRE_SIZE) {
            Some(dst) => {
                self.put(dst);
                Ok(())
            }
            None => Err(ShortBuffer {
                needed: Self::WIRE_SIZE,
                got,
            }),
        }
    }

    /// Reads a value from the C image in `bytes[..WIRE_SIZE]`.  Every byte
    /// pattern is a valid value: the structs hold only integers.
    fn read_from(bytes: &[u8]) -> Result<Self, ShortBuffer> {
        match bytes.get(..Self::WIRE_SIZE) {
            Some(src) => Ok(Self::get(src)),
            None => Err(ShortBuffer {
                needed: Self::WIRE_SIZE,
                got: bytes.len(),
            }),
        }
    }
}

/// A member of the union `xen_domctl_carrefour_op.u`: what
/// [`XenDomctlCarrefourOpU::read`](crate::XenDomctlCarrefourOpU::read) and
/// [`write`](crate::XenDomctlCarrefourOpU::write) accept.
pub trait UnionMember: Wire {
    /// The C name of the member (`enable`, `info`, ...).
    const MEMBER: &'static str;
}

macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl Codec for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn put(&self, out: &mut [u8]) {
                out[..Self::SIZE].copy_from_slice(&self.to_ne_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                let mut raw = [0u8; core::mem::size_of::<$t>()];
                raw.copy_from_slice(&bytes[..Self::SIZE]);
                <$t>::from_ne_bytes(raw)
            }
        }
        impl Wire for $t {}
    )*};
}
int_codec!(u8, u32, u64);

/// Arrays are their elements back to back: the element size is its stride
/// because no ABI struct has trailing padding (asserted in `layout.rs`).
impl<T: Codec, const N: usize> Codec for [T; N] {
    const SIZE: usize = T::SIZE * N;
    fn put(&self, out: &mut [u8]) {
        for (i, item) in self.iter().enumerate() {
            item.put(&mut out[i * T::SIZE..]);
        }
    }
    fn get(bytes: &[u8]) -> Self {
        core::array::from_fn(|i| T::get(&bytes[i * T::SIZE..]))
    }
}
impl<T: Wire, const N: usize> Wire for [T; N] {}

/// Implements the codec of a mirror struct from the list of its fields with
/// their types, and asserts at compile time that the listed fields cover
/// the struct exactly (no implicit padding, no field forgotten).  A type
/// written here that differs from the field's fails to compile.
macro_rules! struct_codec {
    ($name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        impl $crate::wire::sealed::Codec for $name {
            const SIZE: usize = core::mem::size_of::<$name>();
            fn put(&self, out: &mut [u8]) {
                $(
                    <$ty as $crate::wire::sealed::Codec>::put(
                        &self.$field,
                        &mut out[core::mem::offset_of!($name, $field)..],
                    );
                )*
            }
            fn get(bytes: &[u8]) -> Self {
                $name {
                    $(
                        $field: <$ty as $crate::wire::sealed::Codec>::get(
                            &bytes[core::mem::offset_of!($name, $field)..],
                        ),
                    )*
                }
            }
        }
        impl $crate::wire::Wire for $name {}
        const _: () = assert!(
            0 $(+ <$ty as $crate::wire::sealed::Codec>::SIZE)* == core::mem::size_of::<$name>(),
            concat!(stringify!($name), ": fields do not cover the struct (implicit padding?)")
        );
    };
}
pub(crate) use struct_codec;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_use_native_byte_order() {
        let mut out = [0u8; 8];
        0x0102_0304_0506_0708u64.write_to(&mut out).unwrap();
        assert_eq!(out, 0x0102_0304_0506_0708u64.to_ne_bytes());
        assert_eq!(u64::read_from(&out), Ok(0x0102_0304_0506_0708));
    }

    #[test]
    fn arrays_are_elements_back_to_back() {
        let mut out = [0u8; 12];
        [1u32, 2, 3].write_to(&mut out).unwrap();
        assert_eq!(&out[4..8], &2u32.to_ne_bytes());
        assert_eq!(<[u32; 3]>::read_from(&out), Ok([1, 2, 3]));
    }

    #[test]
    fn short_slices_are_errors_not_panics() {
        assert_eq!(
            u64::read_from(&[0u8; 7]),
            Err(ShortBuffer { needed: 8, got: 7 })
        );
        assert_eq!(
            [1u32, 2].write_to(&mut [0u8; 5]),
            Err(ShortBuffer { needed: 8, got: 5 })
        );
    }

    #[test]
    fn writing_leaves_the_rest_of_the_slice_alone() {
        let mut out = [0xffu8; 6];
        0u32.write_to(&mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 0, 0xff, 0xff]);
    }
}
