//! Many independent MD5 digests at once.
//!
//! MD5 is a serial chain within one message, so one stream cannot use a
//! CPU's vector units; many messages can, one per 32-bit lane: 16 lanes with
//! AVX-512, 8 per register with AVX2
//! (two registers side by side). [`Md5Lanes`] picks the widest kernel the CPU has at
//! run time (or the one you force with [`Md5Lanes::with_kernel`]) and
//! schedules messages of any lengths into the lanes so that they stay busy.
//!
//! Each message is a list of parts hashed back to back, so a caller can
//! hash scattered bytes (a header built on the stack, a payload in place, a
//! key) without copying them together.
//!
//! ```
//! use md5_lanes::Md5Lanes;
//!
//! let lanes = Md5Lanes::new();
//! let digests = lanes.digest(&[[&b"hello "[..], b"world"], [b"", b""]]);
//! assert_eq!(digests[0][..4], [0x5e, 0xb6, 0x3b, 0xbb]);
//! assert_eq!(digests[1][..4], [0xd4, 0x1d, 0x8c, 0xd9]); // MD5("")
//! ```
//!
//! The kernels' `unsafe` (vector loads and stores, and the calls into
//! `#[target_feature]` functions once the CPU was seen to have the feature)
//! is confined to `src/x86/`; the scheduler and the scalar kernel are safe
//! code. Under Miri, which cannot run vector intrinsics, only the scalar
//! kernel exists (`ci/miri.sh` runs the scheduler and it there).

use core::fmt;

mod scalar;
mod schedule;
mod steps;
#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86;

/// An MD5 digest.
pub type Digest = [u8; 16];

/// A compression kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// One message at a time, portable `u32` code: every architecture.
    Scalar,
    /// 16 lanes (two 8-lane registers), AVX2 (x86-64).
    Avx2,
    /// 16 lanes, AVX-512F (x86-64).
    Avx512,
}

impl Kernel {
    /// Every kernel, narrowest first.
    pub const ALL: [Kernel; 3] = [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512];

    /// Messages hashed side by side.
    pub fn lanes(self) -> usize {
        match self {
            Kernel::Scalar => scalar::LANES,
            Kernel::Avx2 => 16,
            Kernel::Avx512 => 16,
        }
    }

    /// A short stable name (`scalar`, `avx2`, `avx512`).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
        }
    }

    /// The kernel of that [`name`](Kernel::name).
    pub fn from_name(name: &str) -> Option<Kernel> {
        Kernel::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether this CPU can run it.
    pub fn is_supported(self) -> bool {
        Md5Lanes::with_kernel(self).is_ok()
    }

    /// The widest kernel this CPU can run.
    pub fn best() -> Kernel {
        Md5Lanes::new().kernel()
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The CPU cannot run the kernel asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported {
    /// The kernel asked for.
    pub kernel: Kernel,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "this CPU cannot run the {} MD5 kernel", self.kernel)
    }
}

impl std::error::Error for Unsupported {}

/// The output slice does not have one digest per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LengthMismatch {
    /// Messages given.
    pub messages: usize,
    /// Digest slots given.
    pub digests: usize,
}

impl fmt::Display for LengthMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} messages but room for {} digests",
            self.messages, self.digests
        )
    }
}

impl std::error::Error for LengthMismatch {}

/// A kernel the CPU was seen to support.
#[derive(Debug, Clone, Copy)]
enum Dispatch {
    Scalar,
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    Avx2(x86::Avx2),
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    Avx512(x86::Avx512),
}

/// A multi-lane MD5 hasher bound to one kernel.
#[derive(Debug, Clone, Copy)]
pub struct Md5Lanes {
    dispatch: Dispatch,
}

impl Default for Md5Lanes {
    fn default() -> Md5Lanes {
        Md5Lanes::new()
    }
}

impl Md5Lanes {
    /// The widest kernel this CPU runs: AVX-512, else AVX2, else scalar.
    pub fn new() -> Md5Lanes {
        Kernel::ALL
            .into_iter()
            .rev()
            .find_map(|k| Md5Lanes::with_kernel(k).ok())
            .unwrap_or(Md5Lanes {
                dispatch: Dispatch::Scalar,
            })
    }

    /// That kernel, if this CPU can run it (for tests and benchmarks).
    pub fn with_kernel(kernel: Kernel) -> Result<Md5Lanes, Unsupported> {
        let dispatch = match kernel {
            Kernel::Scalar => Some(Dispatch::Scalar),
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Kernel::Avx2 => x86::Avx2::detect().map(Dispatch::Avx2),
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Kernel::Avx512 => x86::Avx512::detect().map(Dispatch::Avx512),
            #[cfg(any(not(target_arch = "x86_64"), miri))]
            Kernel::Avx2 | Kernel::Avx512 => None,
        };
        dispatch
            .map(|dispatch| Md5Lanes { dispatch })
            .ok_or(Unsupported { kernel })
    }

    /// The kernel in use.
    pub fn kernel(&self) -> Kernel {
        match self.dispatch {
            Dispatch::Scalar => Kernel::Scalar,
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Dispatch::Avx2(_) => Kernel::Avx2,
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Dispatch::Avx512(_) => Kernel::Avx512,
        }
    }

    /// The MD5 of each message (its parts concatenated), in order.
    pub fn digest<'a, M: AsRef<[&'a [u8]]>>(&self, messages: &[M]) -> Vec<Digest> {
        let mut out = vec![[0u8; 16]; messages.len()];
        self.digest_each(messages, &mut out);
        out
    }

    /// [`digest`](Md5Lanes::digest) into `out`, one slot per message.
    pub fn digest_into<'a, M: AsRef<[&'a [u8]]>>(
        &self,
        messages: &[M],
        out: &mut [Digest],
    ) -> Result<(), LengthMismatch> {
        if out.len() != messages.len() {
            return Err(LengthMismatch {
                messages: messages.len(),
                digests: out.len(),
            });
        }
        self.digest_each(messages, out);
        Ok(())
    }

    fn digest_each<'a, M: AsRef<[&'a [u8]]>>(&self, messages: &[M], out: &mut [Digest]) {
        match self.dispatch {
            Dispatch::Scalar => schedule::run(messages, out, scalar::compress),
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Dispatch::Avx2(token) => {
                schedule::run(messages, out, |s, l, b| token.compress(s, l, b));
            }
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            Dispatch::Avx512(token) => {
                schedule::run(messages, out, |s, l, b| token.compress(s, l, b));
            }
        }
    }
}
