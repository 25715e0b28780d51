//! Site-relative links of the spec's descriptions (`[UIA](/client-server-api/#...)`, as the
//! Matrix spec writes them since it moved to its own site) made absolute, to the spec site the
//! config names (`[docs] site`), so that rustdoc shows working links instead of dead text.

use super::{Api, Lifecycle, TypeKind};

/// The spec site when the config names none: the latest release of the Matrix spec.
pub const DEFAULT_SITE: &str = "https://spec.matrix.org/latest";

/// Rewrites every description of the model.
pub(super) fn absolute_links(api: &mut Api, site: &str) {
    let fix = |text: &mut Option<String>| {
        if let Some(text) = text {
            *text = crate::docs::absolute_links(text, site);
        }
    };
    let fix_lifecycle = |lifecycle: &mut Lifecycle| {
        for (_, what) in &mut lifecycle.changed_in {
            *what = crate::docs::absolute_links(what, site);
        }
    };
    fix(&mut api.description);
    for op in &mut api.operations {
        fix(&mut op.summary);
        fix(&mut op.description);
        fix_lifecycle(&mut op.lifecycle);
        for param in &mut op.params {
            fix(&mut param.doc);
            fix_lifecycle(&mut param.lifecycle);
        }
        if let Some(body) = &mut op.body {
            fix(&mut body.doc);
        }
        for response in &mut op.responses {
            response.doc = crate::docs::absolute_links(&response.doc, site);
        }
    }
    for def in &mut api.types {
        fix(&mut def.title);
        fix(&mut def.description);
        if let TypeKind::Struct(s) = &mut def.kind {
            for field in &mut s.fields {
                fix(&mut field.doc);
                fix_lifecycle(&mut field.lifecycle);
            }
            if let Some(extra) = &mut s.extra {
                fix(&mut extra.doc);
            }
        }
        if let TypeKind::Enum(e) = &mut def.kind {
            for variant in &mut e.variants {
                fix(&mut variant.doc);
            }
        }
    }
}
