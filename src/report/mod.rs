//! Report stage: from a run's tables to what an analyst publishes —
//! `report.html` (self-contained), `report.md`, `figures.csv`/`figures.json`
//! and `charts/*.png|svg` — following a report definition (`reports/*.toml`).
//!
//! `render.rs` is pure: the run's tables (as `RunData`) and the results of
//! the definition's SQL, computed by the job before rendering, in; file names
//! and bytes out. Writing them is `writer.rs`'s job (into a run's staging
//! directory, or over the report files of a published run).

pub mod chart;
pub mod charts;
pub mod command;
pub mod context;
pub mod data;
pub mod definition;
pub mod document;
pub mod figures;
pub mod format;
pub mod headlines;
pub mod html;
pub mod markdown;
pub mod png;
pub mod render;
pub mod revisions;
pub mod sections;
pub mod writer;
