//! The kernel modules the suite needs (veth, vrf) and what they depend on,
//! found through `modules.dep` (a `modules_install` tree) or, where depmod
//! never ran (a Debian package: its postinst makes modules.dep), through
//! each module's own `.modinfo` `depends=`; decompressed for busybox
//! `insmod`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use object::{Object, ObjectSection};

use crate::deb::decompress;
use crate::error::VmError;

/// Modules the suite uses when the kernel has them as modules: veth for
/// every lab, vrf for the VRF cases.
pub(crate) const WANTED: &[&str] = &["veth", "vrf"];

/// A module to load in the guest, decompressed.
#[derive(Debug, Clone)]
pub(crate) struct Module {
    /// Its name (`veth`).
    pub name: String,
    /// The plain ELF object.
    pub object: Vec<u8>,
}

/// The module name of a `modules.dep` path (`kernel/drivers/net/veth.ko.xz`
/// is `veth`).
fn module_name(path: &str) -> &str {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.split(".ko").next().unwrap_or(base)
}

/// Module names treat `-` and `_` alike.
fn normalise(name: &str) -> String {
    name.replace('-', "_")
}

/// Every module file below `dir`, as paths relative to `root`.
fn module_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), VmError> {
    for entry in std::fs::read_dir(dir).map_err(VmError::io(dir))? {
        let path: PathBuf = entry.map_err(VmError::io(dir))?.path();
        if path.is_dir() {
            module_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel.to_string_lossy();
            if rel.contains(".ko") {
                out.push(rel.into_owned());
            }
        }
    }
    Ok(())
}

/// The `depends=` names in a module's `.modinfo` section.
fn modinfo_depends(object_bytes: &[u8]) -> Result<Vec<String>, String> {
    let file = object::File::parse(object_bytes).map_err(|e| e.to_string())?;
    let Some(section) = file.section_by_name(".modinfo") else {
        return Ok(Vec::new());
    };
    let data = section.data().map_err(|e| e.to_string())?;
    Ok(data
        .split(|b| *b == 0)
        .filter_map(|field| field.strip_prefix(b"depends="))
        .flat_map(|deps| {
            String::from_utf8_lossy(deps)
                .split(',')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|d| !d.is_empty())
        .collect())
}

/// `modules.dep` rebuilt from the modules' own `.modinfo`, for the wanted
/// modules and their dependencies only.
fn dep_from_modinfo(release_dir: &Path, wanted: &[&str]) -> Result<String, VmError> {
    let kernel_dir = release_dir.join("kernel");
    let mut files = Vec::new();
    if kernel_dir.is_dir() {
        module_files(release_dir, &kernel_dir, &mut files)?;
    }
    let by_name: BTreeMap<String, &str> = files
        .iter()
        .map(|f| (normalise(module_name(f)), f.as_str()))
        .collect();
    let mut text = String::new();
    let mut pending: Vec<String> = wanted.iter().map(|w| normalise(w)).collect();
    let mut done = HashSet::new();
    while let Some(name) = pending.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        let Some(rel) = by_name.get(&name) else {
            continue;
        };
        let (path, object) = read_module(release_dir, rel)?;
        let deps = modinfo_depends(&object).map_err(|detail| VmError::Package {
            path: path.clone(),
            detail,
        })?;
        let dep_paths: Vec<&str> = deps
            .iter()
            .filter_map(|d| by_name.get(&normalise(d)).copied())
            .collect();
        text.push_str(&format!("{rel}: {}\n", dep_paths.join(" ")));
        pending.extend(deps.iter().map(|d| normalise(d)));
    }
    Ok(text)
}

/// `modules.dep` as module path -> dependency paths.
fn parse_dep(text: &str) -> BTreeMap<&str, Vec<&str>> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(module, deps)| (module.trim(), deps.split_whitespace().collect()))
        .collect()
}

/// The paths of `wanted` modules present in `deps`, each after its
/// dependencies (load order). A wanted module that is absent is built in
/// or missing; the suite then says which.
fn load_order<'a>(deps: &BTreeMap<&'a str, Vec<&'a str>>, wanted: &[&str]) -> Vec<&'a str> {
    fn visit<'a>(
        path: &'a str,
        deps: &BTreeMap<&'a str, Vec<&'a str>>,
        seen: &mut HashSet<&'a str>,
        order: &mut Vec<&'a str>,
    ) {
        if !seen.insert(path) {
            return;
        }
        for dep in deps.get(path).into_iter().flatten() {
            visit(dep, deps, seen, order);
        }
        order.push(path);
    }
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    for want in wanted {
        if let Some(path) = deps.keys().find(|p| module_name(p) == *want) {
            visit(path, deps, &mut seen, &mut order);
        }
    }
    order
}

/// The wanted modules of the tree `release_dir` (`lib/modules/<release>`)
/// with their dependencies, in load order, decompressed.
pub(crate) fn collect(release_dir: &Path) -> Result<Vec<Module>, VmError> {
    let dep_file = release_dir.join("modules.dep");
    let text = if dep_file.is_file() {
        std::fs::read_to_string(&dep_file).map_err(VmError::io(&dep_file))?
    } else {
        dep_from_modinfo(release_dir, WANTED)?
    };
    let deps = parse_dep(&text);
    load_order(&deps, WANTED)
        .into_iter()
        .map(|rel| {
            let (_, object) = read_module(release_dir, rel)?;
            Ok(Module {
                name: module_name(rel).to_owned(),
                object,
            })
        })
        .collect()
}

/// A module file of the package, decompressed, with its path (for errors).
fn read_module(release_dir: &Path, rel: &str) -> Result<(PathBuf, Vec<u8>), VmError> {
    let path = release_dir.join(rel);
    let bytes = std::fs::read(&path).map_err(VmError::io(&path))?;
    let object = decompress(rel, &bytes).map_err(|detail| VmError::Package {
        path: path.clone(),
        detail,
    })?;
    Ok((path, object))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEP: &str = "kernel/drivers/net/veth.ko.xz:\n\
kernel/drivers/net/vrf.ko.xz: kernel/net/ipv6/ipv6.ko.xz kernel/lib/x.ko.xz\n\
kernel/net/ipv6/ipv6.ko.xz: kernel/lib/x.ko.xz\n\
kernel/lib/x.ko.xz:\n\
kernel/drivers/net/dummy.ko.xz:\n";

    #[test]
    fn dependencies_load_first_and_once() {
        let deps = parse_dep(DEP);
        let order: Vec<&str> = load_order(&deps, WANTED)
            .into_iter()
            .map(module_name)
            .collect();
        assert_eq!(order, ["veth", "x", "ipv6", "vrf"]);
    }

    #[test]
    fn absent_modules_are_left_out() {
        let deps = parse_dep("kernel/drivers/net/dummy.ko:\n");
        assert!(load_order(&deps, WANTED).is_empty());
        assert_eq!(module_name("kernel/drivers/net/veth.ko"), "veth");
    }
}
