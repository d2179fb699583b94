//! Turning what the user named (a bzImage, a Debian kernel package file, or
//! a Debian package name) into a kernel image and its module tree.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::deb;
use crate::error::VmError;
use crate::progress::Stage;

/// A bootable kernel and where its modules are.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// The name reports use: the package name, or the image's file name.
    pub name: String,
    /// The image qemu boots (`-kernel`).
    pub image: PathBuf,
    /// `lib/modules/<release>` of the kernel, when it has modules.
    pub modules: Option<PathBuf>,
}

/// The cache directory: `$TCPMD5_CACHE`, else `$XDG_CACHE_HOME/tcpmd5`,
/// else `~/.cache/tcpmd5` (shared with `ci/build-ao-kernel.sh`).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TCPMD5_CACHE") {
        return dir.into();
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("tcpmd5")
}

/// Resolves `spec`; `modules` is a `make modules_install INSTALL_MOD_PATH=`
/// tree for a bare image.
pub fn resolve(spec: &str, modules: Option<&Path>, cache: &Path) -> Result<Kernel, VmError> {
    let path = Path::new(spec);
    if path.is_file() && spec.ends_with(".deb") {
        return from_deb(path, cache);
    }
    if path.is_file() {
        let modules = modules.map(|m| module_tree(m, spec)).transpose()?;
        return Ok(Kernel {
            name: file_name(path),
            image: path.to_owned(),
            modules,
        });
    }
    if is_package_name(spec) {
        let deb = download(spec, cache)?;
        let mut kernel = from_deb(&deb, cache)?;
        spec.clone_into(&mut kernel.name);
        return Ok(kernel);
    }
    Err(VmError::Kernel {
        spec: spec.to_owned(),
        detail: "neither a file nor a Debian package name".to_owned(),
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn is_package_name(spec: &str) -> bool {
    !spec.is_empty()
        && spec
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
}

/// `apt-get download` into the cache (works as a normal user); a package
/// already there is reused.
fn download(package: &str, cache: &Path) -> Result<PathBuf, VmError> {
    let dir = cache.join("debs");
    std::fs::create_dir_all(&dir).map_err(VmError::io(&dir))?;
    if let Some(found) = find_deb(&dir, package)? {
        return Ok(found);
    }
    Stage::Download.show(package);
    let out = Command::new("apt-get")
        .arg("download")
        .arg(package)
        .current_dir(&dir)
        .output()
        .map_err(|e| VmError::Command {
            program: "apt-get".to_owned(),
            detail: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(VmError::Command {
            program: format!("apt-get download {package}"),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    find_deb(&dir, package)?.ok_or_else(|| VmError::Kernel {
        spec: package.to_owned(),
        detail: format!(
            "apt-get download left no {package}_*.deb in {}",
            dir.display()
        ),
    })
}

fn find_deb(dir: &Path, package: &str) -> Result<Option<PathBuf>, VmError> {
    let prefix = format!("{package}_");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(VmError::io(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = file_name(p);
            name.starts_with(&prefix) && name.ends_with(".deb")
        })
        .collect();
    found.sort();
    Ok(found.pop())
}

/// Unpacks a kernel package into the cache (once) and finds its image and
/// modules.
fn from_deb(deb: &Path, cache: &Path) -> Result<Kernel, VmError> {
    let stem = file_name(deb);
    let stem = stem.trim_end_matches(".deb");
    let dir = cache.join("kernels").join(stem);
    let done = dir.join(".unpacked");
    if !done.exists() {
        Stage::Unpack.show(stem);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(VmError::io(&dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(VmError::io(&dir))?;
        deb::unpack(deb, &dir)?;
        std::fs::write(&done, b"").map_err(VmError::io(&done))?;
    }
    let image = first_entry(&dir.join("boot"), "vmlinuz-")?.ok_or_else(|| VmError::Package {
        path: deb.to_owned(),
        detail: "no boot/vmlinuz-* in the package".to_owned(),
    })?;
    let mut modules = None;
    for base in ["lib/modules", "usr/lib/modules"] {
        if let Some(m) = first_entry(&dir.join(base), "")? {
            modules = Some(m);
            break;
        }
    }
    let name = stem.split('_').next().unwrap_or(stem).to_owned();
    Ok(Kernel {
        name,
        image,
        modules,
    })
}

/// The first entry of `dir` (sorted) whose name starts with `prefix`.
fn first_entry(dir: &Path, prefix: &str) -> Result<Option<PathBuf>, VmError> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(VmError::io(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| file_name(p).starts_with(prefix))
        .collect();
    entries.sort();
    Ok(entries.into_iter().next())
}

/// `lib/modules/<release>` inside a modules_install tree (or the release
/// directory itself).
fn module_tree(dir: &Path, spec: &str) -> Result<PathBuf, VmError> {
    if dir.join("modules.dep").is_file() {
        return Ok(dir.to_owned());
    }
    for base in ["lib/modules", "usr/lib/modules"] {
        if let Some(release) = first_entry(&dir.join(base), "")? {
            return Ok(release);
        }
    }
    Err(VmError::Kernel {
        spec: spec.to_owned(),
        detail: format!(
            "--modules {}: no modules.dep, nor lib/modules/<release>/ below it",
            dir.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_told_from_paths() {
        assert!(is_package_name("linux-image-6.12.117+deb12-cloud-amd64"));
        assert!(!is_package_name("./bzImage"));
        assert!(!is_package_name("arch/x86/boot/bzImage"));
        assert!(!is_package_name(""));
    }
}
