//! One connection to a Spark Connect server (Sail or Apache Spark 4): input
//! files registered as views, the script's views created, queries
//! collected as Arrow. Every failure becomes one line naming the remote
//! (or the path the server could not read) with exit code 7.

use std::path::Path;

use anyhow::Result;
use arrow::record_batch::RecordBatch;
use spark_connect::SparkSession;
use spark_connect::types::DataType as SparkType;

use crate::engine::spark::sql::{SourceType, ident};
use crate::error::engine_error;
use crate::model::FileFormat;

/// The oldest server major version the SQL is written for.
const MIN_MAJOR: u32 = 4;

/// A session on one server.
pub struct Server {
    session: SparkSession,
    pub remote: String,
    pub version: String,
    /// `--explain`: print each statement as it is sent.
    pub explain: bool,
}

/// The first line of a server error (the rest is its stack trace).
fn first_line(err: &dyn std::fmt::Display) -> String {
    let text = err.to_string();
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut line = line.trim().to_string();
    if line.len() > 400 {
        let cut = (0..=400).rev().find(|i| line.is_char_boundary(*i)).unwrap_or(0);
        line.truncate(cut);
        line.push('…');
    }
    line
}

impl Server {
    /// Connect and check the server's version.
    pub fn connect(remote: &str, explain: bool) -> Result<Server> {
        let unreachable = |e: &dyn std::fmt::Display| {
            engine_error(format!(
                "Spark Connect server {remote}: cannot connect: {}",
                first_line(e)
            ))
        };
        let session = SparkSession::builder()
            .remote(remote)
            .get_or_create()
            .map_err(|e| unreachable(&e))?;
        let version = session.version().map_err(|e| unreachable(&e))?;
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.trim().parse().ok())
            .unwrap_or(0);
        if major < MIN_MAJOR {
            return Err(engine_error(format!(
                "Spark Connect server {remote} runs Spark {version}; scamtrends needs Spark {MIN_MAJOR} or later (or Sail)"
            )));
        }
        let server = Server {
            session,
            remote: remote.to_string(),
            version,
            explain,
        };
        server.execute("SET spark.sql.session.timeZone = UTC")?;
        server.execute("SET spark.sql.ansi.enabled = true")?;
        Ok(server)
    }

    fn refused(&self, what: &str, err: &dyn std::fmt::Display) -> anyhow::Error {
        engine_error(format!(
            "Spark Connect server {}: {what}: {}",
            self.remote,
            first_line(err)
        ))
    }

    /// Run a statement that returns nothing of interest.
    pub fn execute(&self, sql: &str) -> Result<()> {
        self.show(sql);
        let df = self
            .session
            .sql(sql)
            .map_err(|e| self.refused("refused a statement", &e))?;
        df.collect_record_batches()
            .map_err(|e| self.refused("refused a statement", &e))?;
        Ok(())
    }

    fn show(&self, sql: &str) {
        if self.explain {
            println!("{sql};\n");
        }
    }

    /// Create (or replace) a temporary view.
    pub fn create_view(&self, name: &str, select: &str) -> Result<()> {
        self.execute(&format!(
            "CREATE OR REPLACE TEMPORARY VIEW {} AS {select}",
            ident(name)
        ))
    }

    /// Run a query and collect its result.
    pub fn collect(&self, what: &str, sql: &str) -> Result<Vec<RecordBatch>> {
        self.show(sql);
        let fail = |e: &dyn std::fmt::Display| self.refused(&format!("{what} failed"), e);
        let df = self.session.sql(sql).map_err(|e| fail(&e))?;
        df.collect_record_batches().map_err(|e| fail(&e))
    }

    /// Register one input file as view `view`; returns its columns and
    /// their types as the server reads them (CSV: all text).
    pub fn register(
        &self,
        view: &str,
        path: &Path,
        format: FileFormat,
    ) -> Result<Vec<(String, SourceType)>> {
        let location = server_path(path);
        let reader = self.session.read();
        let df = match format {
            FileFormat::Parquet => reader.format("parquet").load(Some(&location)),
            FileFormat::Csv | FileFormat::CsvGz => reader
                .format("csv")
                .option("header", "true")
                .option("escape", "\"")
                .option("multiLine", "true")
                .load(Some(&location)),
            other => {
                return Err(crate::error::bad_input(format!(
                    "{}: --engine spark reads CSV, CSV.gz and Parquet in the canonical layout, not {other:?}; \
                     run it on the local engine, or convert it first (docs/scale-out.md)",
                    path.display()
                )));
            }
        };
        let cannot_read = |e: &dyn std::fmt::Display| {
            engine_error(format!(
                "Spark Connect server {} cannot read {location}: {}",
                self.remote,
                first_line(e)
            ))
        };
        let schema = df.schema().map_err(|e| cannot_read(&e))?;
        df.create_or_replace_temp_view(view)
            .map_err(|e| cannot_read(&e))?;
        if self.explain {
            println!("-- {view}: {location} ({format:?})\n");
        }
        columns_of(&schema)
    }
}

/// The path as the server opens it: absolute for a local file (the server
/// runs elsewhere), a URI (`s3a://…`) as given.
pub fn server_path(path: &Path) -> String {
    let text = path.display().to_string();
    if text.contains("://") {
        return text;
    }
    std::path::absolute(path)
        .map(|p| p.display().to_string())
        .unwrap_or(text)
}

fn columns_of(schema: &SparkType) -> Result<Vec<(String, SourceType)>> {
    let SparkType::Struct { fields } = schema else {
        return Err(engine_error("the server described a file without columns"));
    };
    Ok(fields
        .iter()
        .map(|f| {
            let t = match &f.data_type {
                SparkType::Byte | SparkType::Short | SparkType::Integer | SparkType::Long => {
                    SourceType::Integer
                }
                SparkType::Float | SparkType::Double | SparkType::Decimal { .. } => {
                    SourceType::Float
                }
                SparkType::Timestamp | SparkType::TimestampNtz => SourceType::Timestamp,
                SparkType::Date => SourceType::Date,
                _ => SourceType::Text,
            };
            (f.name.clone(), t)
        })
        .collect())
}
