//! One connection to a Spark Connect server (Sail or Apache Spark 4): input
//! files registered as views, the script's views created, queries
//! collected as Arrow. Every failure becomes one line naming the remote
//! (or the path the server could not read) with exit code 7.

use std::path::Path;

use anyhow::Result;
use arrow::record_batch::RecordBatch;
use spark_connect::SparkSession;
use spark_connect::types::DataType as SparkType;

use crate::engine::spark::sql::{ROW_COLUMN, SourceType, ident};
use crate::error::engine_error;
use crate::model::FileFormat;

/// The oldest server major version the SQL is written for.
const MIN_MAJOR: u32 = 4;

/// Session settings the SQL relies on: timestamps read and shown in UTC,
/// and ANSI mode, so an overflow or a bad cast fails instead of becoming
/// NULL (the SQL says `TRY_CAST` where NULL is meant).
const SETTINGS: [(&str, &str); 2] = [
    ("spark.sql.session.timeZone", "UTC"),
    ("spark.sql.ansi.enabled", "true"),
];

/// A session on one server.
pub struct Server {
    session: SparkSession,
    pub remote: String,
    pub version: String,
    /// `--explain`: print each statement as it is sent.
    pub explain: bool,
}

/// A run leaves nothing behind on the server: its session (temporary
/// views, cached plans) is released when the run is done, as pyspark's
/// `stop()` does, instead of lingering until the server's idle timeout
/// (an hour on Spark; a long-lived server ran out of memory from them).
impl Drop for Server {
    fn drop(&mut self) {
        if let Err(e) = self.session.stop() {
            crate::log::info(format!(
                "engine spark: {}: releasing the session: {}",
                self.remote,
                first_line(&e)
            ));
        }
    }
}

/// The first line of a server error (the rest is its stack trace).
fn first_line(err: &dyn std::fmt::Display) -> String {
    let text = err.to_string();
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut line = line.trim().to_string();
    if line.len() > 400 {
        let cut = (0..=400)
            .rev()
            .find(|i| line.is_char_boundary(*i))
            .unwrap_or(0);
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
        probe(remote).map_err(|e| unreachable(&e))?;
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
        for (key, value) in SETTINGS {
            server.set(key, value)?;
        }
        Ok(server)
    }

    /// Set a session configuration (Sail takes these only through the
    /// configuration call, not as SQL `SET`).
    fn set(&self, key: &str, value: &str) -> Result<()> {
        if self.explain {
            println!("-- session setting {key} = {value}\n");
        }
        self.session
            .conf()
            .set(key, value)
            .map_err(|e| self.refused(&format!("refused the setting {key}"), &e))
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
        let started = std::time::Instant::now();
        let df = self.session.sql(sql).map_err(|e| fail(&e))?;
        let batches = df.collect_record_batches().map_err(|e| fail(&e))?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        crate::log::info(format!(
            "engine spark: {what}: {rows} rows in {} ms",
            started.elapsed().as_millis()
        ));
        Ok(batches)
    }

    /// Write view `view` to Parquet at `location` on the server and make
    /// `view` read that copy.
    pub fn materialize(&self, view: &str, location: &str) -> Result<()> {
        if self.explain {
            println!("-- {view}: written to {location} and read back from there\n");
        }
        let started = std::time::Instant::now();
        // a failure to read an input surfaces here too: the write is the
        // first statement that reads every transfer
        let cannot = |what: &str, e: &dyn std::fmt::Display| {
            engine_error(format!(
                "Spark Connect server {}: {what} {view} at {location} (--spark-staging) failed: {}",
                self.remote,
                first_line(e)
            ))
        };
        let df = self
            .session
            .sql(&format!("SELECT * FROM {}", ident(view)))
            .map_err(|e| cannot("computing and writing", &e))?;
        // read back with the view's own schema: a view without rows
        // writes no file a reader could infer it from
        let schema = df
            .schema()
            .map_err(|e| cannot("computing and writing", &e))?
            .json();
        df.write()
            .mode("overwrite")
            .format("parquet")
            .save(Some(location))
            .map_err(|e| cannot("computing and writing", &e))?;
        self.session
            .read()
            .format("parquet")
            .schema(schema)
            .load(Some(location))
            .create_or_replace_temp_view(view)
            .map_err(|e| cannot("reading back", &e))?;
        crate::log::info(format!(
            "engine spark: {view} staged in {} ms",
            started.elapsed().as_millis()
        ));
        Ok(())
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
        // a URI's fields were not counted by the client: a row with more or
        // fewer fields than the header fails the read (Spark would pad or
        // cut it) instead of becoming a reject
        let mode = match crate::readers::sources::is_uri(&location) {
            true => "FAILFAST",
            false => "PERMISSIVE",
        };
        let df = match format {
            FileFormat::Parquet => reader.format("parquet").load(Some(&location)),
            FileFormat::Csv | FileFormat::CsvGz | FileFormat::CsvZst => reader
                .format("csv")
                .option("header", "true")
                .option("escape", "\"")
                .option("multiLine", "true")
                .option("mode", mode)
                .load(Some(&location)),
            other => {
                return Err(crate::error::bad_input(format!(
                    "{}: --engine spark reads CSV, CSV.gz, CSV.zst and Parquet in the canonical layout, not {other:?}; \
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

impl Server {
    /// The files `uri` names, as the server lists them: `path, length,
    /// mtime` (Unix seconds) and `sha256`, hashed where the files are.
    pub fn list(&self, uri: &str) -> Result<Vec<RecordBatch>> {
        let cannot = |e: &dyn std::fmt::Display| {
            engine_error(format!(
                "Spark Connect server {} cannot list {uri}: {}",
                self.remote,
                first_line(e)
            ))
        };
        if self.explain {
            println!("-- listing: {uri} (binaryFile)\n");
        }
        self.session
            .read()
            .format("binaryFile")
            .load(Some(uri))
            .create_or_replace_temp_view("scamtrends_listing")
            .map_err(|e| cannot(&e))?;
        let sql = "SELECT path, length, CAST(unix_seconds(modificationTime) AS BIGINT) AS mtime, \
                   sha2(content, 256) AS sha256 FROM scamtrends_listing";
        self.show(sql);
        let df = self.session.sql(sql).map_err(|e| cannot(&e))?;
        df.collect_record_batches().map_err(|e| cannot(&e))
    }

    /// Into how many parts the server splits view `view` when it reads it
    /// (more than one: its rows are not numbered in file order).
    pub fn read_parts(&self, view: &str) -> Result<i64> {
        // Spark refuses a non-deterministic function inside an aggregate
        let sql = format!(
            "SELECT COUNT(DISTINCT p) AS n FROM (SELECT spark_partition_id() AS p FROM {})",
            ident(view)
        );
        let batches = self.collect("counting the parts a file is read in", &sql)?;
        let df = crate::engine::spark::frames::to_frame(
            &batches,
            &[("n", crate::engine::spark::frames::Want::Int)],
        )?;
        Ok(df.column("n")?.i64()?.get(0).unwrap_or(0))
    }
}

impl Server {
    /// Make view `view` the Parquet file at `location` with each row's
    /// 1-based index in the file as [`ROW_COLUMN`], where the server gives
    /// one (Spark's `_metadata.row_index`); `false` where it does not (Sail)
    /// and the view is left as it was.
    pub fn number_rows(&self, view: &str, location: &str) -> bool {
        let select = format!(
            "SELECT *, CAST(_metadata.row_index + 1 AS BIGINT) AS {} FROM parquet.{}",
            ident(ROW_COLUMN),
            ident(location)
        );
        let probe = format!("SELECT {} FROM ({select}) LIMIT 0", ident(ROW_COLUMN));
        if self.collect("asking for row indexes", &probe).is_err() {
            crate::log::info(format!(
                "engine spark: {location}: the server gives no row index; rows numbered in read order"
            ));
            return false;
        }
        self.create_view(view, &select).is_ok()
    }
}

/// How long the first TCP connection may take. The client retries an
/// unavailable server for minutes (as pyspark does, for a cluster that is
/// restarting); a server that is not listening at all is reported at once.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `sc://HOST[:PORT][/;params]` → `(HOST, PORT)`, 15002 by default.
pub fn host_port(remote: &str) -> Option<(String, u16)> {
    let rest = remote.strip_prefix("sc://")?;
    let authority = rest.split(['/', ';']).next()?;
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 15002,
    };
    (!host.is_empty()).then(|| (host.to_string(), port))
}

/// Fail fast when nothing listens at the remote.
fn probe(remote: &str) -> std::io::Result<()> {
    use std::net::{TcpStream, ToSocketAddrs};
    let (host, port) = host_port(remote).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not an sc://HOST:PORT URL",
        )
    })?;
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address for the host");
    for addr in (host.as_str(), port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, PROBE_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
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
                SparkType::Float => SourceType::Single,
                SparkType::Double => SourceType::Double,
                SparkType::Decimal { .. } => SourceType::Decimal,
                SparkType::Timestamp | SparkType::TimestampNtz => SourceType::Timestamp,
                SparkType::Date => SourceType::Date,
                _ => SourceType::Text,
            };
            (f.name.clone(), t)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_name_a_host_and_a_port() {
        let hp = |r: &str| host_port(r);
        assert_eq!(
            hp("sc://127.0.0.1:15002"),
            Some(("127.0.0.1".into(), 15002))
        );
        assert_eq!(
            hp("sc://spark.example.org"),
            Some(("spark.example.org".into(), 15002))
        );
        assert_eq!(
            hp("sc://h:443/;use_ssl=true;token=x"),
            Some(("h".into(), 443))
        );
        assert_eq!(hp("sc://[::1]:15003"), Some(("::1".into(), 15003)));
        assert_eq!(hp("sc://[::1]"), Some(("::1".into(), 15002)));
        assert_eq!(hp("http://h:1"), None);
        assert_eq!(hp("sc://:1"), None);
        assert_eq!(hp("sc://h:notaport"), None);
    }
}
