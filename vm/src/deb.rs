//! Unpacking a Debian package (`ar` archive holding `data.tar.{xz,zst,gz}`)
//! without dpkg, so that a normal user on any distribution can do it.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use crate::error::VmError;

/// Unpacks the `data.tar.*` member of the package at `deb` into `dest`.
pub(crate) fn unpack(deb: &Path, dest: &Path) -> Result<(), VmError> {
    let file = File::open(deb).map_err(VmError::io(deb))?;
    let mut archive = ar::Archive::new(BufReader::new(file));
    while let Some(entry) = archive.next_entry() {
        let mut entry = entry.map_err(|e| package(deb, format!("not an ar archive: {e}")))?;
        let name = String::from_utf8_lossy(entry.header().identifier()).into_owned();
        if !name.starts_with("data.tar") {
            continue;
        }
        let mut compressed = Vec::new();
        entry
            .read_to_end(&mut compressed)
            .map_err(VmError::io(deb))?;
        let tar_bytes = decompress(&name, &compressed).map_err(|e| package(deb, e))?;
        let mut tar = tar::Archive::new(Cursor::new(tar_bytes));
        tar.set_preserve_permissions(false);
        return tar
            .unpack(dest)
            .map_err(|e| package(deb, format!("{name}: {e}")));
    }
    Err(package(deb, "no data.tar member".to_owned()))
}

/// Decompresses `bytes` by the compression its file `name` ends with
/// (`.xz`, `.zst`, `.gz`, or none).
pub(crate) fn decompress(name: &str, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    if name.ends_with(".xz") {
        lzma_rs::xz_decompress(&mut Cursor::new(bytes), &mut out)
            .map_err(|e| format!("{name}: xz: {e}"))?;
    } else if name.ends_with(".zst") {
        ruzstd::decoding::StreamingDecoder::new(Cursor::new(bytes))
            .map_err(|e| format!("{name}: zstd: {e}"))?
            .read_to_end(&mut out)
            .map_err(|e| format!("{name}: zstd: {e}"))?;
    } else if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| format!("{name}: gzip: {e}"))?;
    } else {
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

fn package(path: &Path, detail: String) -> VmError {
    VmError::Package {
        path: path.to_owned(),
        detail,
    }
}
