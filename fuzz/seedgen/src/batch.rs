//! Seeds of the `batch` target: `[control, count lo, count hi, descriptors]`,
//! descriptors of `[flags, key length, length lo, length hi]`, then a pool
//! of bytes (see `fuzz/src/targets/batch.rs`). The pool is a signed
//! segment, so descriptors without the MD5 header flag still hash a real
//! header.

use tcpmd5::wire::IpSegment;

use crate::{Seeds, ip_packet, md5, sign};

use tcpmd5_testkit::fuzz_input::batch_flag::{FLIP, MD5_HEADER, NO_KEY, SIGN, STRIDE_SHIFT, V6};

/// Length stride 1, 3 and 7 per segment.
const STRIDE_1: u8 = 1 << STRIDE_SHIFT;
const STRIDE_3: u8 = 3 << STRIDE_SHIFT;
const STRIDE_7: u8 = 7 << STRIDE_SHIFT;

fn seed(control: u8, count: u16, descriptors: &[[u8; 4]], pool: &[u8]) -> Vec<u8> {
    let n = u8::try_from(descriptors.len() - 1).expect("1..=16 descriptors");
    let mut out = vec![control];
    out.extend_from_slice(&(count - 1).to_le_bytes());
    out.push(n);
    for d in descriptors {
        out.extend_from_slice(d);
    }
    out.extend_from_slice(pool);
    out
}

pub(crate) fn batch(seeds: &mut Seeds) {
    let mut area = vec![1, 1];
    area.extend_from_slice(&md5(0));
    let packet = ip_packet(false, &area, b"batch payload", &[]);
    let signed = sign(&packet).unwrap_or(packet);
    let pool = IpSegment::parse(&signed)
        .map(|s| s.segment.to_vec())
        .unwrap_or_default();
    // Lengths: a bare header, one block less and more than 55 (padding in
    // the same or the next block), a full MTU, and 4095.
    let [ack, b55, b56, mtu, max] = [40u16, 55, 56, 1460, 4095].map(u16::to_le_bytes);
    let signed_v4 = MD5_HEADER | SIGN;
    let signed_v6 = V6 | MD5_HEADER | SIGN;
    let cases: &[(&str, u8, u16, &[[u8; 4]])] = &[
        ("one-signed-v4", 0, 1, &[[signed_v4, 15, ack[0], ack[1]]]),
        (
            "one-signed-v6-checksums",
            4,
            1,
            &[[signed_v6, 79, mtu[0], mtu[1]]],
        ),
        ("one-empty", 0, 1, &[[0, 0, 0, 0]]),
        (
            "lanes-17-mixed",
            1,
            17,
            &[
                [signed_v4 | STRIDE_1, 5, b55[0], b55[1]],
                [signed_v6 | STRIDE_3, 80, b56[0], b56[1]],
            ],
        ),
        (
            "mixed-families-keys-flips",
            5,
            64,
            &[
                [signed_v4, 1, ack[0], ack[1]],
                [signed_v6 | FLIP, 40, mtu[0], mtu[1]],
                [signed_v4 | NO_KEY, 7, ack[0], ack[1]],
                [MD5_HEADER | STRIDE_7, 20, b56[0], b56[1]],
                [V6 | STRIDE_3, 63, 0, 0],
            ],
        ),
        (
            "max-batch-acks",
            2,
            300,
            &[
                [signed_v4 | STRIDE_1, 11, ack[0], ack[1]],
                [signed_v6, 12, ack[0], ack[1]],
            ],
        ),
        (
            "long-and-short",
            3,
            32,
            &[
                [signed_v6, 33, max[0], max[1]],
                [signed_v4 | STRIDE_7, 3, ack[0], ack[1]],
            ],
        ),
    ];
    for (name, control, count, descriptors) in cases {
        seeds.put("batch", name, &seed(*control, *count, descriptors, &pool));
    }
}
