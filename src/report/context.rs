//! What every section and headline shares: the `Context` of one render (the
//! run's data, the definition, the headline year and the figure book), and
//! the orderings and sums both the tables and the sentences use.

use crate::model::Period;
use crate::report::data::{Rollup, RunData, TableNames, cents, yearly_tables};
use crate::report::definition::ReportDefinition;
use crate::report::figures::FigureBook;

/// What every section needs.
pub struct Context<'a> {
    pub data: &'a RunData,
    pub definition: &'a ReportDefinition,
    /// The headline year and whether the run covers all of it.
    pub year: i32,
    pub complete_year: bool,
    pub book: FigureBook,
}

impl<'a> Context<'a> {
    pub fn new(
        data: &'a RunData,
        definition: &'a ReportDefinition,
        year: i32,
        complete_year: bool,
    ) -> Self {
        Context {
            data,
            definition,
            year,
            complete_year,
            book: FigureBook::default(),
        }
    }

    pub(crate) fn year_label(&self) -> String {
        self.year.to_string()
    }

    pub(crate) fn tables(&self) -> TableNames {
        yearly_tables(self.data.period)
    }

    pub(crate) fn year_row(&self, rows: &'a [Rollup], key: &str) -> Option<&'a Rollup> {
        let y = self.year_label();
        rows.iter().find(|r| r.period == y && r.key == key)
    }

    pub(crate) fn year_rows(&self, rows: &'a [Rollup]) -> Vec<&'a Rollup> {
        let y = self.year_label();
        rows.iter().filter(|r| r.period == y).collect()
    }
}

/// The word for one period of a run (a yearly run's trend is per day).
pub fn period_word(p: Period) -> &'static str {
    match p {
        Period::Quarter => "quarter",
        Period::Month => "month",
        Period::Year => "day",
    }
}

/// Rows of the year ordered by revenue, largest first (ties by name).
pub fn ranked(rows: Vec<&Rollup>) -> Vec<&Rollup> {
    let mut rows = rows;
    rows.sort_by(|a, b| {
        cents(b.revenue_usd)
            .cmp(&cents(a.revenue_usd))
            .then(a.key.cmp(&b.key))
    });
    rows
}

/// Reported losses of the year by scam type, in cents (sum over regions).
pub fn losses_by_type(data: &RunData, year: &str) -> Vec<(String, i64, i64)> {
    let mut out: Vec<(String, i64, i64)> = Vec::new();
    for row in data.year_losses.iter().filter(|r| r.period == year) {
        match out.iter_mut().find(|(t, _, _)| *t == row.scam_type) {
            Some(entry) => {
                entry.1 += row.reports;
                entry.2 += cents(row.loss_usd);
            }
            None => out.push((row.scam_type.clone(), row.reports, cents(row.loss_usd))),
        }
    }
    out.sort();
    out
}
