//! Every source of keys a subcommand takes, read in order: `--keys` files
//! (with their host sections), `--router` configurations, `--key`
//! arguments.

use crate::args::KeyArgs;
use crate::error::CliError;
use crate::keys::{AoKeySpec, KeyRing, parse_ao_key, parse_key, read_ao_key_lines, read_key_file};
use crate::router::read_router;

/// The keys of `--keys` files, `--router` files and `--key` arguments,
/// in that order (later is newer: an argument overrides a file line
/// for the same scope, as a later `setsockopt` does).
pub fn load(args: &KeyArgs) -> Result<KeyRing, CliError> {
    let mut specs = Vec::new();
    let mut holders = Vec::new();
    for path in &args.key_files {
        read_key_file(path, &mut specs, &mut holders)?;
    }
    for path in &args.routers {
        read_router(path, &mut specs, &mut holders)?;
    }
    for (i, arg) in args.keys.iter().enumerate() {
        let origin = format!("--key #{}", i + 1);
        // Named by its position only: either side of `=` may be the
        // secret (an argument written SECRET=SCOPE).
        let spec =
            parse_key(arg, origin.clone()).map_err(|detail| CliError::argument(origin, detail))?;
        specs.push(spec);
    }
    Ok(KeyRing::with_holders(specs, holders))
}

/// The TCP-AO keys: `ao` lines of `--keys` files, then `--ao-key`
/// arguments.
pub fn load_ao(args: &KeyArgs) -> Result<Vec<AoKeySpec>, CliError> {
    let mut specs = Vec::new();
    for path in &args.key_files {
        read_ao_key_lines(path, &mut specs)?;
    }
    for (i, arg) in args.ao_keys.iter().enumerate() {
        let origin = format!("--ao-key #{}", i + 1);
        let spec = parse_ao_key(arg, origin.clone())
            .map_err(|detail| CliError::argument(origin, detail))?;
        specs.push(spec);
    }
    Ok(specs)
}
