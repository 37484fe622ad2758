//! The command line: every flag, its help text and its parsing. clap lives here
//! only; `commands/` turns each subcommand's Args into a typed config.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::EXIT_CODES_HELP;
use crate::names::{PRESET_CANONICAL, PRESET_TOKEN_TRANSFERS, PRESET_TRANSACTIONS};

/// Parse `std::env::args`, exiting with code 2 on a usage error.
pub fn parse() -> Cli {
    Cli::parse()
}

/// Reproducible scam-revenue trends from crypto transfer exports and scam reports.
///
/// All revenue figures are lower bounds: only flows into addresses that some
/// report attributed to a scam are counted (METHODOLOGY v1).
#[derive(Debug, Parser)]
#[command(name = "scamtrends", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print nothing but errors on stderr.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Log format on stderr: human lines, or one JSON object per line for machines.
    /// Example: --log-format json
    #[arg(long, global = true, value_enum, default_value_t = LogFormatArg::Human)]
    pub log_format: LogFormatArg,
}

/// `--log-format` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load, validate, attribute, measure and publish the revenue tables.
    ///
    /// Example: scamtrends run --data sample-data --out out --period quarter
    #[command(after_help = EXIT_CODES_HELP)]
    Run(RunArgs),
    /// Check the inputs and print rows read / accepted / rejected / duplicate per file.
    ///
    /// Writes nothing. Example: scamtrends validate --transfers exports/ --reports reports.csv
    #[command(after_help = EXIT_CODES_HELP)]
    Validate(ValidateArgs),
    /// Re-hash a run's inputs, re-run it, and compare every output's SHA-256.
    ///
    /// Prints "reproduced" or names each file that differs. Run it from the
    /// directory the original run was started in (input paths are relative to it).
    /// Example: scamtrends verify out
    #[command(after_help = EXIT_CODES_HELP)]
    Verify(VerifyArgs),
    /// Revenue per period as labels accumulate: one line per --labels-as-of date.
    ///
    /// Writes DIR/revisions.parquet and DIR/revisions.svg.
    /// Example: scamtrends revisions --labels-as-of 2023-12-31,2024-06-30,2024-12-31 --period year
    #[command(after_help = EXIT_CODES_HELP)]
    Revisions(RevisionsArgs),
    /// Run a SQL file (polars-sql) over a run's output tables.
    ///
    /// Tables are named after their files: revenue, revenue_by_type, revenue_by_region,
    /// revenue_total, reported_losses, their yearly_* companions, attributed_transfers,
    /// addresses, rejects.
    /// Example: scamtrends query queries/top_regions_per_type.sql --run out --format csv
    #[command(after_help = EXIT_CODES_HELP)]
    Query(QueryArgs),
    /// Re-render charts, report.html, report.md and figures.csv/json of a run.
    ///
    /// Reads the run's Parquet tables and manifest; recomputes nothing.
    /// Example: scamtrends report --run out --definition reports/quarterly.toml
    #[command(after_help = EXIT_CODES_HELP)]
    Report(ReportArgs),
    /// Convert transfers exports once into a Parquet store partitioned by chain and month.
    ///
    /// Exports already in the store (same SHA-256) are skipped, so a cron job that
    /// adds a day of exports pays only for that day; `run --store DIR` reads it.
    /// Example: scamtrends ingest exports/ --store store
    #[command(after_help = EXIT_CODES_HELP)]
    Ingest(IngestArgs),
    /// Tell what an export holds: format, layout, schema, rows, sample, rejects.
    ///
    /// Example: scamtrends inspect exports/token_transfers.json
    #[command(after_help = EXIT_CODES_HELP)]
    Inspect(InspectArgs),
    /// Write a synthetic canonical dataset in the standard layout.
    ///
    /// Example: scamtrends generate --rows 1000000 --seed 7 --out synthetic --format parquet
    #[command(after_help = EXIT_CODES_HELP)]
    Generate(GenerateArgs),
}

/// Where the inputs come from. With none of these flags, `--data sample-data`.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Dataset in the standard layout: DIR/transfers/, DIR/reports.{csv,parquet},
    /// DIR/prices.{csv,parquet}. Example: --data sample-data
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Transfers: a file, a directory (every .csv, .csv.gz, .csv.zst, .parquet
    /// inside, sorted by path) or a glob; repeatable. Example: --transfers 'exports/*.parquet'
    #[arg(long, visible_alias = "transactions", value_name = "PATH")]
    pub transfers: Vec<String>,
    /// Read transfers from an ingest store (`scamtrends ingest`) instead of
    /// exports; reports and prices still come from --reports/--prices or --data
    #[arg(long, value_name = "DIR", conflicts_with = "transfers")]
    pub store: Option<PathBuf>,
    /// Scam reports (file, directory or glob; repeatable). Example: --reports reports.csv
    #[arg(long, value_name = "PATH")]
    pub reports: Vec<String>,
    /// Daily USD prices (optional; without them only `amount_usd` values count).
    /// Example: --prices prices.csv
    #[arg(long, value_name = "PATH")]
    pub prices: Vec<String>,
    /// Layout of the transfers files: detected from the header (auto), or forced.
    /// Example: --transfers-format ethereum-etl-token-transfers
    #[arg(long, value_enum, default_value_t = TransfersFormatArg::Auto)]
    pub transfers_format: TransfersFormatArg,
    /// TOML token registry extending the embedded one (contract → symbol,
    /// decimals, nft), for raw token values. Example: --tokens tokens.toml
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,
    /// TOML column mapping for exports that are not in the canonical columns
    /// (see docs/cli.md). Example: --mapping btc-prices.toml
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Accept an export with no transfers (otherwise it is an error).
    #[arg(long)]
    pub allow_empty: bool,
    /// Largest share of rejected rows per input kind before the run fails.
    /// Example: --max-reject-rate 0.01
    #[arg(long, value_name = "FRACTION", default_value_t = 0.05)]
    pub max_reject_rate: f64,
}

/// Where the method runs (`run`, `validate`, `revisions`, `query`, `verify`).
#[derive(Debug, Args, Clone)]
pub struct EngineArgs {
    /// local: in this process; spark: on a Spark Connect server (Sail or
    /// Apache Spark 4), same figures byte for byte. Example: --engine spark
    #[arg(long, value_enum, default_value_t = EngineArg::Local)]
    pub engine: EngineArg,
    /// The Spark Connect server of --engine spark [default: $SPARK_REMOTE].
    /// Example: --spark-remote sc://127.0.0.1:15002
    #[arg(long, value_name = "URL")]
    pub spark_remote: Option<String>,
    /// With --engine spark: print every SQL statement sent to the server.
    #[arg(long)]
    pub explain: bool,
    /// With --engine spark: a directory or URI the server writes the
    /// scam-bound transfers to once, so later queries do not re-read the
    /// exports [default: a temporary directory when the server is on this
    /// machine; none otherwise]. Example: --spark-staging s3a://bucket/tmp
    #[arg(long, value_name = "DIR|URI")]
    pub spark_staging: Option<String>,
}

/// `--engine` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    Local,
    Spark,
}

/// Flags of `scamtrends run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output directory, replaced atomically when the run succeeds. Example: --out out/2024q4
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Period of every table. Example: --period month
    #[arg(long, value_enum, default_value_t = PeriodArg::Quarter)]
    pub period: PeriodArg,
    /// Region level: UN M49 region, sub-region, or ISO alpha-2 country.
    /// Example: --region-level continent
    #[arg(long, value_enum, default_value_t = RegionLevelArg::Subregion)]
    pub region_level: RegionLevelArg,
    /// Use only reports with reported_at on or before this day (attribution and
    /// reported losses). Example: --labels-as-of 2024-12-31
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub labels_as_of: Option<String>,
    /// Count only transfers on or after this UTC day (and reports for reported
    /// losses). Example: --from 2023-01-01
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Count only transfers on or before this UTC day (inclusive). Example: --to 2024-12-31
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Do nothing (exit 0, one log line) when the inputs' hashes and the
    /// parameters equal those of the last run in --out. For cron jobs.
    #[arg(long)]
    pub if_changed: bool,
    /// TOML file extending or overriding the scam-type aliases.
    /// Example: --taxonomy taxonomy.toml
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
    /// Report definition (TOML) for report.html, report.md, figures and charts;
    /// its query files are relative to it [default: the built-in copy of
    /// reports/quarterly.toml]
    #[arg(long, value_name = "FILE", conflicts_with = "no_report")]
    pub report: Option<PathBuf>,
    /// Write the tables and manifest only, no report or charts
    #[arg(long)]
    pub no_report: bool,
}

/// Flags of `scamtrends validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Flags of `scamtrends revisions`.
#[derive(Debug, Args)]
pub struct RevisionsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Label vintages, comma-separated. Example: --labels-as-of 2023-12-31,2024-12-31
    #[arg(long, value_name = "D1,D2,...", required = true)]
    pub labels_as_of: String,
    /// Period of the table. Example: --period quarter
    #[arg(long, value_enum, default_value_t = PeriodArg::Year)]
    pub period: PeriodArg,
    /// Region level used for attribution (regions do not change totals).
    #[arg(long, value_enum, default_value_t = RegionLevelArg::Subregion)]
    pub region_level: RegionLevelArg,
    /// TOML file extending the scam-type aliases.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
    /// Output directory (replaced atomically). Example: --out out/revisions
    #[arg(long, value_name = "DIR", default_value = "out/revisions")]
    pub out: PathBuf,
}

/// Flags of `scamtrends query`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Transfers exports: files, directories or globs (any layout `run` reads)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,
    /// The store directory (created when missing)
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,
    /// Layout of the exports (as for `run`)
    #[arg(long, value_enum, default_value_t = TransfersFormatArg::Auto)]
    pub transfers_format: TransfersFormatArg,
    /// Column mapping for other layouts (as for `run`)
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Token registry extending the embedded one (as for `run`)
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run directory (written by `scamtrends run`)
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub run: PathBuf,
    /// Report definition (TOML); its query files are relative to it
    /// [default: the built-in copy of reports/quarterly.toml]
    #[arg(long, value_name = "FILE")]
    pub definition: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL file. Example: queries/quarter_on_quarter.sql
    #[arg(value_name = "FILE.sql")]
    pub file: PathBuf,
    /// The run directory whose Parquet tables the query reads. Example: --run out
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub run: PathBuf,
    /// Output format: a printed table, CSV, or Parquet (Parquet needs --output).
    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
    /// Write the result to this file instead of stdout. Example: --output top.csv
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `--format` values of `query`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum QueryFormat {
    Table,
    Csv,
    Parquet,
}

/// Flags of `scamtrends inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A file, a directory or a glob. Example: exports/
    #[arg(value_name = "PATH")]
    pub path: String,
    /// Sample rows to print per file.
    #[arg(long, default_value_t = 5)]
    pub sample: usize,
    /// Rows validated per file to show what would be rejected.
    #[arg(long, default_value_t = 100_000)]
    pub sample_rows: usize,
}

/// Flags of `scamtrends verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Output directory of the run to verify (holding manifest.json). Example: out
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Where the re-run runs: the local engine by default (it re-proves a
    /// Spark run's figures here); --engine spark for a run whose inputs
    /// are URIs only a server reads.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Flags of `scamtrends generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of transfer rows (before the injected duplicates and bad rows).
    /// Example: --rows 100000000
    #[arg(long, default_value_t = 200_000)]
    pub rows: u64,
    /// Seed of the pseudo-random generator: the same seed gives the same files.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// Directory to write the dataset into (created). Example: --out sample-data
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// File format of the transfers.
    #[arg(long, value_enum, default_value_t = FormatArg::Parquet)]
    pub format: FormatArg,
    /// Number of transfer files under DIR/transfers/.
    #[arg(long, default_value_t = 4)]
    pub files: u32,
}

/// `--transfers-format` values.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum TransfersFormatArg {
    #[default]
    Auto,
    Canonical,
    EthereumEtlTokenTransfers,
    EthereumEtlTransactions,
}

impl TransfersFormatArg {
    /// The preset name recorded in the manifest; `None` for auto-detection.
    pub fn preset(self) -> Option<&'static str> {
        match self {
            TransfersFormatArg::Auto => None,
            TransfersFormatArg::Canonical => Some(PRESET_CANONICAL),
            TransfersFormatArg::EthereumEtlTokenTransfers => Some(PRESET_TOKEN_TRANSFERS),
            TransfersFormatArg::EthereumEtlTransactions => Some(PRESET_TRANSACTIONS),
        }
    }
}

/// `--period` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PeriodArg {
    Quarter,
    Month,
    Year,
}

/// `--region-level` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RegionLevelArg {
    Continent,
    Subregion,
    Country,
}

/// `--format` values of `generate`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Parquet,
}
