//! The shared libraries a dynamically linked binary needs at run time:
//! its program interpreter and the DT_NEEDED closure, read from the ELF.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use object::Endianness;
use object::elf::{DT_NEEDED, DT_RPATH, DT_RUNPATH, FileHeader64};
use object::read::elf::{Dyn, FileHeader, ProgramHeader, SectionHeader};

use crate::error::VmError;

/// Where the dynamic linker looks when the binary says nothing else.
const DEFAULT_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// What one ELF file asks of the dynamic linker.
#[derive(Debug, Default)]
struct Wants {
    interpreter: Option<PathBuf>,
    needed: Vec<String>,
    search: Vec<PathBuf>,
}

fn elf_error(path: &Path, detail: impl std::fmt::Display) -> VmError {
    VmError::Elf {
        path: path.to_owned(),
        detail: detail.to_string(),
    }
}

fn read_wants(path: &Path) -> Result<Wants, VmError> {
    let data = std::fs::read(path).map_err(VmError::io(path))?;
    let data = data.as_slice();
    let header = FileHeader64::<Endianness>::parse(data).map_err(|e| elf_error(path, e))?;
    let endian = header.endian().map_err(|e| elf_error(path, e))?;
    let mut wants = Wants::default();
    for ph in header
        .program_headers(endian, data)
        .map_err(|e| elf_error(path, e))?
    {
        if let Some(interp) = ph
            .interpreter(endian, data)
            .map_err(|e| elf_error(path, e))?
        {
            wants.interpreter = Some(PathBuf::from(String::from_utf8_lossy(interp).into_owned()));
        }
    }
    let sections = header
        .sections(endian, data)
        .map_err(|e| elf_error(path, e))?;
    for section in sections.iter() {
        let Some((entries, link)) = section
            .dynamic(endian, data)
            .map_err(|e| elf_error(path, e))?
        else {
            continue;
        };
        let strings = sections
            .strings(endian, data, link)
            .map_err(|e| elf_error(path, e))?;
        for entry in entries {
            let tag = entry.tag(endian);
            if tag != DT_NEEDED && tag != DT_RUNPATH && tag != DT_RPATH {
                continue;
            }
            let value = entry
                .string(endian, strings)
                .map_err(|e| elf_error(path, e))?;
            let value = String::from_utf8_lossy(value).into_owned();
            if tag == DT_NEEDED {
                wants.needed.push(value);
            } else {
                // $ORIGIN-relative entries do not apply to system libraries.
                wants.search.extend(
                    value
                        .split(':')
                        .filter(|d| !d.contains('$') && !d.is_empty())
                        .map(PathBuf::from),
                );
            }
        }
    }
    Ok(wants)
}

/// The absolute paths of every shared object `binary` needs (the program
/// interpreter included), to be placed at the same paths in the guest.
pub(crate) fn shared_libraries(binary: &Path) -> Result<BTreeSet<PathBuf>, VmError> {
    let mut found = BTreeSet::new();
    let mut pending = vec![binary.to_owned()];
    let mut done_names = BTreeSet::new();
    while let Some(path) = pending.pop() {
        let wants = read_wants(&path)?;
        if let Some(interp) = wants.interpreter
            && found.insert(interp.clone())
        {
            pending.push(interp);
        }
        for name in wants.needed {
            if !done_names.insert(name.clone()) {
                continue;
            }
            let dirs = wants
                .search
                .iter()
                .map(PathBuf::as_path)
                .chain(DEFAULT_DIRS.iter().map(Path::new));
            let lib = dirs
                .map(|d| d.join(&name))
                .find(|p| p.is_file())
                .ok_or_else(|| elf_error(&path, format!("needed library {name} not found")))?;
            if found.insert(lib.clone()) {
                pending.push(lib);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_binary_needs_libc_and_its_interpreter() {
        let me = std::env::current_exe().expect("current_exe");
        let libs = shared_libraries(&me).expect("the test binary's libraries");
        let names: Vec<String> = libs
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().any(|n| n.starts_with("libc.so")), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("ld-linux")), "{names:?}");
    }
}
