//! `key_sockopt`: raw `setsockopt(TCP_MD5SIG[_EXT])` bytes, as a program
//! hands them to the kernel, through `KeyTable::apply_raw` and through the
//! model of [`crate::key_model`] after the model's own reading of
//! `struct tcp_md5sig`. The same bytes are applied twice (an add becomes a
//! replace, a delete becomes `ENOENT`); results, entries and lookups must
//! agree each time, and `Md5SigRequest::to_bytes` of the model's reading
//! must be applied the same as the raw bytes.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tcpmd5::Family;
use tcpmd5::key_table::{KeyChange, KeyTable, Md5SigOption, Md5SigRequest, TCP_MD5SIG_LEN};

use super::context::assert_context;
use super::key_table::DEVICES;
use crate::key_model::{ModelResult, ModelTable};

/// The model's reading of `optval`: the `struct tcp_md5sig` fields at their
/// C offsets (`sockaddr_storage` 0..128: family 0..2, `sin_addr` 4..8,
/// `sin6_addr` 8..24; flags 128, prefixlen 129, keylen 130..132, ifindex
/// 132..136, key 136..216), zero past the end of a short buffer.
fn read_request(socket: Family, option: Md5SigOption, optval: &[u8]) -> Md5SigRequest {
    let mut cmd = [0u8; TCP_MD5SIG_LEN];
    let n = optval.len().min(TCP_MD5SIG_LEN);
    cmd[..n].copy_from_slice(&optval[..n]);
    let addr = match socket {
        Family::V4 => IpAddr::V4(Ipv4Addr::new(cmd[4], cmd[5], cmd[6], cmd[7])),
        Family::V6 => IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(&cmd[8..24]).expect("16 bytes"),
        )),
    };
    let mut key = [0u8; 80];
    key.copy_from_slice(&cmd[136..216]);
    Md5SigRequest {
        option,
        sa_family: u16::from_ne_bytes([cmd[0], cmd[1]]),
        addr,
        flags: cmd[128],
        prefixlen: cmd[129],
        keylen: u16::from_ne_bytes([cmd[130], cmd[131]]),
        ifindex: i32::from_ne_bytes([cmd[132], cmd[133], cmd[134], cmd[135]]),
        key,
        optlen: optval.len(),
    }
}

fn same_result(got: Result<KeyChange, tcpmd5::KeyTableError>, want: ModelResult) -> bool {
    match (got, want) {
        (Ok(KeyChange::Added), ModelResult::Added)
        | (Ok(KeyChange::Replaced), ModelResult::Replaced)
        | (Ok(KeyChange::Deleted), ModelResult::Deleted) => true,
        (Err(e), ModelResult::Einval) => e.errno_name() == "EINVAL",
        (Err(e), ModelResult::Enoent) => e.errno_name() == "ENOENT",
        _ => false,
    }
}

/// The entry point: `[control]` then `optval`. Control bits: 1 an IPv6
/// socket (else IPv4), 2 `TCP_MD5SIG_EXT` (else `TCP_MD5SIG`).
pub fn run(data: &[u8]) {
    let Some((&control, optval)) = data.split_first() else {
        return;
    };
    let socket = if control & 1 != 0 {
        Family::V6
    } else {
        Family::V4
    };
    let option = if control & 2 != 0 {
        Md5SigOption::Md5SigExt
    } else {
        Md5SigOption::Md5Sig
    };
    // The uapi option numbers (include/uapi/linux/tcp.h).
    assert_eq!(option.optname(), if control & 2 != 0 { 32 } else { 14 });
    let request = read_request(socket, option, optval);
    let mut table = KeyTable::new();
    let mut via_request = KeyTable::new();
    let mut model = ModelTable::default();
    for round in 0..3 {
        // Rounds 0 and 1 apply the bytes (an add becomes a replace); round 2
        // deletes what they named with a request built by `delete`.
        let (optval, request) = if round < 2 {
            (optval, request.clone())
        } else {
            let mut delete = Md5SigRequest::delete(request.addr);
            delete.option = option;
            delete.sa_family = request.sa_family;
            delete.flags = request.flags;
            delete.prefixlen = request.prefixlen;
            delete.ifindex = request.ifindex;
            (&delete.to_bytes()[..], delete)
        };
        let got = table.apply_raw(socket, option, optval, DEVICES);
        let want = model.apply(socket, &request, DEVICES);
        assert!(
            same_result(got, want),
            "round {round}, {request:?} on {socket}: library {got:?}, model {want:?}"
        );
        if let Err(e) = got {
            assert_context(&e);
        }
        let again = via_request.apply(socket, &request, DEVICES);
        assert_eq!(again, got, "round {round}: to_bytes of the model's reading");
        let entries = table.entries();
        assert_eq!(entries.len(), model.keys.len(), "table sizes differ");
        for (l, m) in entries.iter().zip(model.keys.iter().rev()) {
            assert!(m.matches(l), "entries differ: {l:?} vs {m:?}");
        }
        for l3index in [0, 5, 7] {
            let lib = table.lookup(request.addr, l3index);
            let want = model.lookup(request.addr, l3index);
            assert!(
                match (lib, want) {
                    (None, None) => true,
                    (Some(l), Some(m)) => m.matches(l),
                    _ => false,
                },
                "lookup({}, l3 {l3index}): library {lib:?}, model {want:?}",
                request.addr
            );
        }
    }
}
