//! `ao_keys`: TCP-AO and MD5 keys on one socket (`AoKeyTable` next to
//! `KeyTable`): a sequence of `TCP_AO_ADD_KEY`, `setsockopt(TCP_MD5SIG[_EXT])`
//! and overlap queries against the flat-list models. An AO key is refused
//! with `EKEYREJECTED` when an MD5 key covers its peer in any L3 domain
//! (the model's `matches_any_l3index`); an MD5 key (not a delete) when an AO
//! prefix covers its address; what passes the check is applied to both key
//! tables and compared as `key_table` does.

use core::net::IpAddr;

use arbitrary::Arbitrary;
use tcpmd5::Family;
use tcpmd5::ao_keys::{AoKeyTable, AoPeer, EKEYREJECTED};
use tcpmd5::key_table::KeyTable;

use super::key_table::{AddrSel, DEVICES, RequestSpec};
use crate::key_model::{ModelResult, ModelTable, addr_bytes, prefix_equal, v4_mapped};

/// One step.
#[derive(Debug, Arbitrary)]
pub enum AoOp {
    /// `TCP_AO_ADD_KEY` for a peer and a prefix length (taken modulo the
    /// address bits plus one: the kernel refuses longer ones before this).
    AddAo(AddrSel, u8),
    /// `setsockopt(TCP_MD5SIG[_EXT])`.
    Md5(RequestSpec),
    /// Whether an AO key covers the address.
    Covers(AddrSel),
}

/// A socket family and the operations.
#[derive(Debug, Arbitrary)]
pub struct AoKeysInput {
    v6_socket: bool,
    ops: Vec<AoOp>,
}

/// The model's AO peers: `tcp_ao_do_lookup` with any L3 index, a v4-mapped
/// address looked up as IPv4.
fn model_covers(ao: &[(IpAddr, u8)], addr: IpAddr) -> bool {
    let addr = match addr {
        IpAddr::V6(a) => v4_mapped(&a).map_or(addr, IpAddr::V4),
        v4 => v4,
    };
    ao.iter().any(|(peer, prefix)| {
        peer.is_ipv4() == addr.is_ipv4()
            && prefix_equal(&addr_bytes(peer), &addr_bytes(&addr), u32::from(*prefix))
    })
}

/// The entry point.
pub fn run(input: &AoKeysInput) {
    let socket = if input.v6_socket {
        Family::V6
    } else {
        Family::V4
    };
    let (mut ao, mut md5) = (AoKeyTable::new(), KeyTable::new());
    let (mut model_ao, mut model_md5) = (Vec::new(), ModelTable::default());
    for op in input.ops.iter().take(64) {
        match op {
            AoOp::AddAo(sel, prefix) => {
                let addr = sel.addr();
                let bits = if addr.is_ipv4() { 32 } else { 128 };
                let prefix = prefix % (bits + 1);
                let got = ao.add(AoPeer { addr, prefix }, &md5);
                let want = if model_md5.matches_any_l3index(addr) {
                    Err(EKEYREJECTED)
                } else {
                    model_ao.push((addr, prefix));
                    Ok(())
                };
                assert_eq!(got, want, "TCP_AO_ADD_KEY {addr}/{prefix}");
                assert_eq!(md5.matches_any_l3index(addr), want.is_err());
            }
            AoOp::Md5(spec) => {
                let req = spec.request();
                let gate = ao.check_md5(&req);
                let rejected = req.keylen != 0 && model_covers(&model_ao, req.addr);
                assert_eq!(gate.is_err(), rejected, "TCP_MD5SIG {req:?}");
                if let Err(errno) = gate {
                    assert_eq!(errno, EKEYREJECTED);
                    continue;
                }
                let got = md5.apply(socket, &req, DEVICES);
                let want = model_md5.apply(socket, &req, DEVICES);
                assert_eq!(
                    got.is_ok(),
                    matches!(
                        want,
                        ModelResult::Added | ModelResult::Replaced | ModelResult::Deleted
                    ),
                    "{req:?} on {socket}: library {got:?}, model {want:?}"
                );
                assert_eq!(md5.entries().len(), model_md5.keys.len());
            }
            AoOp::Covers(sel) => {
                let addr = sel.addr();
                assert_eq!(ao.covers(addr), model_covers(&model_ao, addr), "{addr}");
                assert_eq!(
                    md5.matches_any_l3index(addr),
                    model_md5.matches_any_l3index(addr),
                    "{addr}"
                );
            }
        }
    }
}
