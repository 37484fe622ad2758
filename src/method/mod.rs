//! METHODOLOGY v1 as pure stages: lazy frames in, lazy frames out, no file
//! I/O, no flags, no process-wide state. `validate` (§1–2 rules and the
//! after-load checks), `taxonomy` (§3), `attribute` (§4), `regions` (§5),
//! `pricing` and `period` (§6), `measure` (§6–7).

pub mod attribute;
pub mod measure;
pub mod period;
pub mod pricing;
pub mod regions;
pub mod taxonomy;
pub mod validate;
