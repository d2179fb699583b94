//! Every option-layout corner case, signed, to a listener with and without a
//! key. The expected verdict is the model's under the probed semantics.

use tcpmd5::Family;
use tcpmd5_testkit::layouts::corner_cases;

use super::kit::common::{key, listener_with_key, probe, syn};
use crate::case::Case;
use crate::segment::Signing;

/// Cases of this area.
//= type=test
//= 3.0/option-syntax
//= linux/parse-legacy
//= linux/auth-hdr-drop
pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (with_key, area) in [(true, "layouts-key"), (false, "layouts-nokey")] {
        for layout in corner_cases() {
            let summary = format!("SYN with {}", layout.summary);
            let area_bytes = layout.area.clone();
            cases.extend(Case::per_family(
                area,
                layout.name,
                &summary,
                move |ctx, family: Family| {
                    let listener = listener_with_key(ctx, family, with_key)?;
                    let mut spec = syn(ctx, family, 11);
                    spec.tcp.options = area_bytes.clone();
                    spec.signing = Signing::Key(key());
                    Ok(probe(ctx, &listener, &spec))
                },
            ));
        }
    }
    cases
}
