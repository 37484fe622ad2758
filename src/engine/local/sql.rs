//! SQL (polars-sql) over named tables: a run's tables in memory while it
//! publishes, or its Parquet files for `scamtrends query` and
//! `report --run`. Registered under their file stems; a query outside the
//! allow-list (`readers::sql`) is refused before polars sees it.

use anyhow::Result;
use polars::prelude::*;
use polars::sql::SQLContext;

use crate::engine::TableSource;
use crate::readers::sql::check_query;

/// Execute `sql` with every table registered by its name.
pub fn execute(tables: &[(String, TableSource)], sql: &str) -> Result<DataFrame> {
    let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
    check_query(sql, &names)?;
    let mut ctx = SQLContext::new();
    for (name, source) in tables {
        let lf = match source {
            TableSource::Frame(df) => df.clone().lazy(),
            TableSource::Parquet(path) => LazyFrame::scan_parquet(
                PlRefPath::try_from_path(path)?,
                ScanArgsParquet::default(),
            )?,
        };
        ctx.register(name, lf);
    }
    Ok(ctx.execute(sql)?.collect()?)
}
