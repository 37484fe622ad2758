//! Resolving a run's inputs: the PATH arguments become sorted file lists
//! with their SHA-256 (or an ingest store and its exports), and the files
//! that shape attribution and reading — column mapping, token registry,
//! taxonomy — are read and checked. What comes out is what an engine takes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;

use crate::error::bad_input;
use crate::method::taxonomy::Taxonomy;
use crate::model::{InputFile, InputSpec, ShapingFile};
use crate::readers::mapping::Mapping;
use crate::readers::sources::{RemoteFiles, hex, resolve_inputs_on};
use crate::readers::tokens::TokenRegistry;

/// Where a run's transfers come from.
#[derive(Debug)]
pub enum TransferSource {
    /// Export files, sorted by path.
    Files(Vec<InputFile>),
    /// An ingest store: all of its exports, or only `sources` (by path).
    Store { dir: PathBuf, sources: Vec<String> },
}

/// Every input of one run, resolved and read where small.
#[derive(Debug)]
pub struct ResolvedInputs {
    pub transfers: TransferSource,
    pub reports: Vec<InputFile>,
    pub prices: Vec<InputFile>,
    pub mapping: Mapping,
    pub tokens: Arc<TokenRegistry>,
    pub taxonomy: Arc<Taxonomy>,
    /// Stop reading transfers as soon as more rows are rejected than this
    /// share of the export allows (`--max-reject-rate`; `None`: read all).
    pub max_reject_rate: Option<f64>,
}

/// Resolve `spec` and read the taxonomy file (`None`: the default taxonomy);
/// URI inputs are described by `remote` (the engine whose server opens
/// them; `None`: a URI is refused).
pub fn resolve_on(
    spec: &InputSpec,
    taxonomy: Option<&Path>,
    remote: Option<&dyn RemoteFiles>,
) -> Result<ResolvedInputs> {
    let tokens = Arc::new(TokenRegistry::with_user_file(spec.tokens.as_deref())?);
    let mapping = Mapping::load(spec.mapping.as_deref())?
        .with_transfers_format(spec.transfers_format.as_deref());
    let reports = resolve_inputs_on("reports", &spec.reports, remote)?;
    let prices = resolve_inputs_on("prices", &spec.prices, remote)?;
    let transfers = match &spec.store {
        Some(dir) => TransferSource::Store {
            dir: dir.clone(),
            sources: spec.store_sources.clone(),
        },
        None => TransferSource::Files(resolve_inputs_on("transfers", &spec.transfers, remote)?),
    };
    Ok(ResolvedInputs {
        transfers,
        reports,
        prices,
        mapping,
        tokens,
        taxonomy: Arc::new(read_taxonomy(taxonomy)?),
        max_reject_rate: None,
    })
}

/// The taxonomy, mapping and token files of a run, hashed (each read again:
/// they are small).
pub fn shaping_files(spec: &InputSpec, taxonomy: Option<&Path>) -> Result<Vec<ShapingFile>> {
    let named = [
        ("taxonomy", taxonomy),
        ("mapping", spec.mapping.as_deref()),
        ("tokens", spec.tokens.as_deref()),
    ];
    let mut out = Vec::new();
    for (role, path) in named {
        if let Some(path) = path {
            let bytes = std::fs::read(path)
                .map_err(|e| bad_input(format!("--{role} {}: {e}", path.display())))?;
            out.push(ShapingFile::of(
                role,
                &path.display().to_string(),
                &bytes,
                sha256(&bytes),
            ));
        }
    }
    Ok(out)
}

/// Lowercase hex SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// The default taxonomy, extended by `--taxonomy FILE` when given.
pub fn read_taxonomy(path: Option<&Path>) -> Result<Taxonomy> {
    let Some(path) = path else {
        return Ok(Taxonomy::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("--taxonomy {}: {e}", path.display())))?;
    Taxonomy::from_file_text(&text, &format!("--taxonomy {}", path.display()))
}
