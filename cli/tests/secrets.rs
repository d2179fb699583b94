//! Secrets never reach output: not in reports, not in errors, not even
//! when a key is written backwards (`SECRET=SCOPE`) or its hex is bad.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::process::Command;

use common::*;
use tcpmd5_cli::link::LinkType;

/// A character no output holds, inside a `hex:` secret.
const BAD_DIGIT: char = '\u{a7}';

#[test]
fn secrets_never_appear() {
    let dir = TempDir::new("secret");
    let good = signed(&v4(), SECRET.as_bytes());
    let path = dir.path("s.pcap");
    write_pcap(&path, LinkType::Raw, &[(good.clone(), good.len() as u32)]);
    let keys = dir.path("keys.txt");
    std::fs::write(
        &keys,
        format!(
            "192.0.2.2={SECRET}\n10.0.0.0/8=hex:{}\n",
            tcpmd5_cli::hex::encode(SECRET.as_bytes())
        ),
    )
    .unwrap();
    let backwards = dir.path("backwards.txt");
    std::fs::write(&backwards, format!("# peers\n{SECRET}=192.0.2.2\n")).unwrap();
    let bird = dir.path("bird.conf");
    std::fs::write(
        &bird,
        format!("protocol bgp a {{\n local 192.0.2.1 as 1;\n neighbor 192.0.2.2 as 2;\n password \"{SECRET}\";\n}}\n"),
    )
    .unwrap();
    let frr = dir.path("frr.conf");
    std::fs::write(
        &frr,
        format!(
            "router bgp 1\n neighbor 192.0.2.3 remote-as 2\n neighbor 192.0.2.3 password {SECRET}\n neighbor 192.0.2.4 password {SECRET} more\n"
        ),
    )
    .unwrap();
    let long = "L".repeat(70) + SECRET;
    let hexs = tcpmd5_cli::hex::encode(SECRET.as_bytes());
    let runs: Vec<Vec<String>> = vec![
        vec![
            "verify".into(),
            path.display().to_string(),
            "--keys".into(),
            keys.display().to_string(),
        ],
        vec![
            "verify".into(),
            path.display().to_string(),
            "--format".into(),
            "json".into(),
            "--key".into(),
            format!("192.0.2.0/24={SECRET}"),
        ],
        vec![
            "explain".into(),
            tcpmd5_cli::hex::encode(&good),
            "--key".into(),
            format!("192.0.2.2={SECRET}"),
        ],
        vec![
            "explain".into(),
            tcpmd5_cli::hex::encode(&good),
            "--format".into(),
            "json".into(),
            "--keys".into(),
            keys.display().to_string(),
        ],
        vec![
            "explain".into(),
            "45".into(),
            "--key".into(),
            format!("192.0.2.2={long}"),
        ],
        vec![
            "explain".into(),
            "45".into(),
            "--key".into(),
            format!("300.0.0.1={SECRET}"),
        ],
        // Written backwards (SECRET=SCOPE), in a file and as an argument.
        vec![
            "explain".into(),
            "45".into(),
            "--keys".into(),
            backwards.display().to_string(),
        ],
        vec![
            "explain".into(),
            "45".into(),
            "--key".into(),
            format!("{SECRET}=192.0.2.2"),
        ],
        vec![
            "explain".into(),
            "45".into(),
            "--key".into(),
            format!("{SECRET}=hex:{hexs}"),
        ],
        // A hex secret with a bad digit: its position, never the digit.
        vec![
            "explain".into(),
            "45".into(),
            "--key".into(),
            format!("192.0.2.2=hex:{hexs}{BAD_DIGIT}00"),
        ],
        // Routers' passwords.
        vec![
            "verify".into(),
            path.display().to_string(),
            "--router".into(),
            bird.display().to_string(),
            "--router".into(),
            frr.display().to_string(),
        ],
        vec![
            "sign".into(),
            "--hex".into(),
            tcpmd5_cli::hex::encode(&good),
            "--key".into(),
            format!("192.0.2.2={SECRET}"),
        ],
    ];
    for args in runs {
        let out = Command::new(BIN).args(&args).output().unwrap();
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains(SECRET) && !text.contains(&hexs) && !text.contains(BAD_DIGIT),
                "{args:?} printed the secret: {text}"
            );
        }
    }
}
