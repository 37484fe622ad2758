//! The report's sections, built from a run's data: headline sentences (every
//! number cited as a figure), tables by type, region and period, reported
//! losses against on-chain revenue, methodology and label vintage, data
//! provenance and the command that reproduces the run.
//!
//! Pure: `RunData` and a definition in, document blocks and figures out.
//! Nothing here is hard-coded about the data: a sentence says "rose" or
//! "fell" because of the sign of the value it quotes.

use crate::config::Period;
use crate::report::data::{Rollup, RunData, TableNames, cents, yearly_tables};
use crate::report::definition::ReportDefinition;
use crate::report::document::{Block, Part, Table, heading, text};
use crate::report::figures::{Figure, FigureBook, Unit};
use crate::report::format::{
    percent, signed_percent, slug, thousands, type_code, type_name, type_phrase,
};

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

    fn year_label(&self) -> String {
        self.year.to_string()
    }

    fn tables(&self) -> TableNames {
        yearly_tables(self.data.period)
    }

    fn year_row(&self, rows: &'a [Rollup], key: &str) -> Option<&'a Rollup> {
        let y = self.year_label();
        rows.iter().find(|r| r.period == y && r.key == key)
    }

    fn year_rows(&self, rows: &'a [Rollup]) -> Vec<&'a Rollup> {
        let y = self.year_label();
        rows.iter().filter(|r| r.period == y).collect()
    }
}

/// Whose figures: every scam address, one scam type, or one region.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Type(String),
    Region(String),
}

impl Scope {
    fn code(&self) -> String {
        match self {
            Scope::All => "ALL".to_string(),
            Scope::Type(t) => type_code(t),
            Scope::Region(r) => format!("REG-{}", slug(r)),
        }
    }

    fn table(&self, names: &TableNames) -> &'static str {
        match self {
            Scope::All => names.total,
            Scope::Type(_) => names.by_type,
            Scope::Region(_) => names.by_region,
        }
    }

    fn filter(&self, year: &str) -> String {
        match self {
            Scope::All => format!("period = '{year}'"),
            Scope::Type(t) => format!("period = '{year}' AND scam_type = '{t}'"),
            Scope::Region(r) => format!("period = '{year}' AND region = '{r}'"),
        }
    }

    fn describe(&self) -> String {
        match self {
            Scope::All => "all attributed scam addresses".to_string(),
            Scope::Type(t) => format!("{} scam addresses", type_name(t).to_lowercase()),
            Scope::Region(r) => format!("scam addresses attributed to {r}"),
        }
    }
}

/// A column of a rollup row that the text quotes.
#[derive(Debug, Clone, Copy)]
pub enum Metric {
    Revenue,
    RevenueYoy,
    Deposits,
    DepositsYoy,
    AvgDeposit,
    AvgDepositYoy,
    Share,
    Senders,
}

impl Metric {
    fn code(self) -> &'static str {
        match self {
            Metric::Revenue => "REV",
            Metric::RevenueYoy => "REV-YOY",
            Metric::Deposits => "DEP",
            Metric::DepositsYoy => "DEP-YOY",
            Metric::AvgDeposit => "AVG",
            Metric::AvgDepositYoy => "AVG-YOY",
            Metric::Share => "SHARE",
            Metric::Senders => "SND",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Metric::Revenue => "revenue_usd",
            Metric::RevenueYoy => "revenue_yoy",
            Metric::Deposits => "deposits",
            Metric::DepositsYoy => "deposits_yoy",
            Metric::AvgDeposit => "avg_deposit_usd",
            Metric::AvgDepositYoy => "avg_deposit_yoy",
            Metric::Share => "revenue_share",
            Metric::Senders => "senders",
        }
    }

    fn unit(self) -> Unit {
        match self {
            Metric::Revenue | Metric::AvgDeposit => Unit::Usd,
            Metric::Deposits | Metric::Senders => Unit::Count,
            _ => Unit::Ratio,
        }
    }

    fn value(self, r: &Rollup) -> Option<f64> {
        match self {
            Metric::Revenue => Some(r.revenue_usd),
            Metric::RevenueYoy => r.revenue_yoy,
            Metric::Deposits => Some(r.deposits as f64),
            Metric::DepositsYoy => r.deposits_yoy,
            Metric::AvgDeposit => r.avg_deposit_usd,
            Metric::AvgDepositYoy => r.avg_deposit_yoy,
            Metric::Share => r.revenue_share,
            Metric::Senders => Some(r.senders as f64),
        }
    }

    fn definition(self, scope: &Scope) -> String {
        let who = scope.describe();
        match self {
            Metric::Revenue => format!(
                "USD received by {who} from non-scam senders (priced deposits, summed in micro-dollars and rounded to cents); a lower bound"
            ),
            Metric::RevenueYoy => "revenue_usd / revenue_usd of the previous year - 1".to_string(),
            Metric::Deposits => format!("number of revenue transfers into {who}, priced or not"),
            Metric::DepositsYoy => "deposits / deposits of the previous year - 1".to_string(),
            Metric::AvgDeposit => "revenue_usd / priced deposits".to_string(),
            Metric::AvgDepositYoy => {
                "avg_deposit_usd / avg_deposit_usd of the previous year - 1".to_string()
            }
            Metric::Share => {
                "revenue_usd of the type / revenue_usd of all types in the year".to_string()
            }
            Metric::Senders => format!("distinct (chain, from_address) sending revenue to {who}"),
        }
    }
}

/// Cite one metric of a rollup row as a figure (None when the value is null).
fn cite(ctx: &mut Context, scope: &Scope, row: &Rollup, metric: Metric) -> Option<Part> {
    let value = metric.value(row)?;
    let year = ctx.year_label();
    let id = format!("F-{year}-{}-{}", scope.code(), metric.code());
    let figure = Figure::new(id, value, metric.unit(), &year).from_table(
        scope.table(&ctx.tables()),
        scope.filter(&year),
        format!("{} ({})", metric.definition(scope), metric.column()),
    );
    Some(ctx.book.cite(figure))
}

fn up_down(v: f64) -> &'static str {
    if v >= 0.0 { "up" } else { "down" }
}

fn rose_fell(v: f64) -> &'static str {
    if v >= 0.0 { "rose" } else { "fell" }
}

/// The types with a headline: the definition's list, else the three largest.
fn headline_types(ctx: &Context) -> Vec<String> {
    let present: Vec<&Rollup> = ctx.year_rows(&ctx.data.year_by_type);
    if ctx.definition.headline_types.is_empty() {
        let mut rows = present;
        rows.sort_by(|a, b| {
            cents(b.revenue_usd)
                .cmp(&cents(a.revenue_usd))
                .then(a.key.cmp(&b.key))
        });
        return rows.iter().take(3).map(|r| r.key.clone()).collect();
    }
    ctx.definition
        .headline_types
        .iter()
        .filter(|t| present.iter().any(|r| &r.key == *t))
        .cloned()
        .collect()
}

/// Headline findings, one sentence per finding.
pub fn headlines(ctx: &mut Context) -> Vec<Block> {
    let mut blocks = vec![heading(2, "Headline findings", "headlines")];
    if !ctx.complete_year {
        blocks.push(Block::Note(vec![text(format!(
            "{} is not complete in this run (not every {} of it is present, or --from/--to cut it): growth rates compare part of a year with a whole one.",
            ctx.year,
            period_word(ctx.data.period)
        ))]));
    }
    let mut items = Vec::new();
    items.extend(total_sentence(ctx));
    for t in headline_types(ctx) {
        items.extend(type_sentence(ctx, &t));
    }
    items.extend(share_sentence(ctx));
    items.extend(region_sentence(ctx));
    items.extend(losses_sentence(ctx));
    if items.is_empty() {
        items.push(vec![text(format!(
            "The run has no scam revenue in {}.",
            ctx.year
        ))]);
    }
    blocks.push(Block::List(items));
    blocks
}

fn period_word(p: Period) -> &'static str {
    match p {
        Period::Quarter => "quarter",
        Period::Month => "month",
        Period::Year => "day",
    }
}

fn total_sentence(ctx: &mut Context) -> Option<Vec<Part>> {
    let row = ctx.year_row(&ctx.data.year_total, "")?;
    let scope = Scope::All;
    let y = ctx.year;
    let mut parts = vec![text("Addresses reported as scams received at least ")];
    parts.extend(cite(ctx, &scope, row, Metric::Revenue));
    parts.push(text(format!(" in {y}")));
    if let Some(g) = row.revenue_yoy {
        parts.push(text(format!(", {} ", up_down(g))));
        parts.extend(cite(ctx, &scope, row, Metric::RevenueYoy));
        parts.push(text(format!(" on {}", y - 1)));
    }
    parts.push(text(", in "));
    parts.extend(cite(ctx, &scope, row, Metric::Deposits));
    parts.push(text(" deposits from "));
    parts.extend(cite(ctx, &scope, row, Metric::Senders));
    parts.push(text(" distinct sending addresses."));
    Some(parts)
}

fn type_sentence(ctx: &mut Context, scam_type: &str) -> Option<Vec<Part>> {
    let row = ctx.year_row(&ctx.data.year_by_type, scam_type)?;
    let scope = Scope::Type(scam_type.to_string());
    let y = ctx.year;
    let mut parts = vec![text(format!(
        "{} revenue reached at least ",
        type_phrase(scam_type)
    ))];
    parts.extend(cite(ctx, &scope, row, Metric::Revenue));
    parts.push(text(format!(" in {y}")));
    let (Some(rev_g), Some(dep_g)) = (row.revenue_yoy, row.deposits_yoy) else {
        parts.push(text(", from "));
        parts.extend(cite(ctx, &scope, row, Metric::Deposits));
        parts.push(text(format!(
            " deposits; there is no {} figure to compare with.",
            y - 1
        )));
        return Some(parts);
    };
    parts.push(text(format!(", {} ", up_down(rev_g))));
    parts.extend(cite(ctx, &scope, row, Metric::RevenueYoy));
    parts.push(text(format!(
        " on {}, while the number of deposits {} ",
        y - 1,
        rose_fell(dep_g)
    )));
    parts.extend(cite(ctx, &scope, row, Metric::DepositsYoy));
    parts.push(text(" to "));
    parts.extend(cite(ctx, &scope, row, Metric::Deposits));
    if let (Some(g), Some(_)) = (row.avg_deposit_yoy, row.avg_deposit_usd) {
        parts.push(text(format!("; the average deposit {} ", rose_fell(g))));
        parts.extend(cite(ctx, &scope, row, Metric::AvgDepositYoy));
        parts.push(text(" to "));
        parts.extend(cite(ctx, &scope, row, Metric::AvgDeposit));
    }
    parts.push(text("."));
    Some(parts)
}

/// Rows of the year ordered by revenue, largest first (ties by name).
fn ranked(rows: Vec<&Rollup>) -> Vec<&Rollup> {
    let mut rows = rows;
    rows.sort_by(|a, b| {
        cents(b.revenue_usd)
            .cmp(&cents(a.revenue_usd))
            .then(a.key.cmp(&b.key))
    });
    rows
}

fn share_sentence(ctx: &mut Context) -> Option<Vec<Part>> {
    let rows = ranked(ctx.year_rows(&ctx.data.year_by_type));
    let first = *rows.first()?;
    first.revenue_share?;
    let mut parts = vec![text(format!(
        "{} scams took the largest share of {} revenue, ",
        type_name(&first.key),
        ctx.year
    ))];
    parts.extend(cite(
        ctx,
        &Scope::Type(first.key.clone()),
        first,
        Metric::Share,
    ));
    if let Some(second) = rows.get(1).copied().filter(|r| r.revenue_share.is_some()) {
        parts.push(text(format!(
            ", ahead of {} scams at ",
            type_name(&second.key).to_lowercase()
        )));
        parts.extend(cite(
            ctx,
            &Scope::Type(second.key.clone()),
            second,
            Metric::Share,
        ));
    }
    parts.push(text("."));
    Some(parts)
}

fn region_sentence(ctx: &mut Context) -> Option<Vec<Part>> {
    let rows = ranked(ctx.year_rows(&ctx.data.year_by_region));
    let top = *rows.iter().find(|r| r.key != "Unknown")?;
    let mut parts = vec![text(format!(
        "Among regions (from the country of the reports naming each address), {} received the most in {}: at least ",
        top.key, ctx.year
    ))];
    parts.extend(cite(
        ctx,
        &Scope::Region(top.key.clone()),
        top,
        Metric::Revenue,
    ));
    parts.push(text("."));
    Some(parts)
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

fn losses_sentence(ctx: &mut Context) -> Option<Vec<Part>> {
    let year = ctx.year_label();
    let by_type = losses_by_type(ctx.data, &year);
    let reports: i64 = by_type.iter().map(|(_, r, _)| r).sum();
    let loss_cents: i64 = by_type.iter().map(|(_, _, c)| c).sum();
    if reports == 0 {
        return None;
    }
    let table = ctx.tables().losses;
    let filter = format!("period = '{year}' (summed over scam types and regions)");
    let loss = Figure::new(
        format!("F-{year}-ALL-LOSS"),
        loss_cents as f64 / 100.0,
        Unit::Usd,
        &year,
    )
    .from_table(
        table,
        filter.clone(),
        "sum of loss_usd reported by victims, each report once (loss_usd)".into(),
    );
    let count = Figure::new(
        format!("F-{year}-ALL-REPORTS"),
        reports as f64,
        Unit::Count,
        &year,
    )
    .from_table(
        table,
        filter,
        "sum of distinct reports per scam type and region (reports)".into(),
    );
    let mut parts = vec![text(format!("Victims' reports dated {year} claim "))];
    parts.push(ctx.book.cite(loss));
    parts.push(text(" in losses across "));
    parts.push(ctx.book.cite(count));
    parts.push(text(" reports"));
    if let Some(total) = ctx
        .year_row(&ctx.data.year_total, "")
        .filter(|r| r.revenue_usd > 0.0)
    {
        let ratio = loss_cents as f64 / cents(total.revenue_usd) as f64;
        let figure = Figure::new(
            format!("F-{year}-ALL-LOSS-RATIO"),
            ratio,
            Unit::Ratio,
            &year,
        )
        .from_table(
            table,
            format!("period = '{year}', over F-{year}-ALL-REV"),
            "reported losses / on-chain revenue of the same year".into(),
        );
        parts.push(text(", equal to "));
        parts.push(ctx.book.cite(figure));
        parts.push(text(" of the on-chain revenue measured for the year"));
    }
    parts.push(text("."));
    Some(parts)
}

fn usd_cell(v: f64) -> String {
    format!("${}", thousands(v.round() as i64))
}

fn opt_usd(v: Option<f64>) -> String {
    v.map(usd_cell).unwrap_or_else(|| "–".into())
}

fn opt_growth(v: Option<f64>) -> String {
    v.map(signed_percent).unwrap_or_else(|| "–".into())
}

fn growth_table(
    caption: String,
    first: &str,
    rows: &[&Rollup],
    name: impl Fn(&str) -> String,
) -> Table {
    Table {
        caption,
        columns: [
            first,
            "Revenue (lower bound)",
            "Share",
            "Revenue YoY",
            "Deposits",
            "Deposits YoY",
            "Avg deposit",
            "Avg YoY",
            "Senders",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, true, true, true, true, true, true, true, true],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    name(&r.key),
                    usd_cell(r.revenue_usd),
                    r.revenue_share.map(percent).unwrap_or_else(|| "–".into()),
                    opt_growth(r.revenue_yoy),
                    thousands(r.deposits),
                    opt_growth(r.deposits_yoy),
                    opt_usd(r.avg_deposit_usd),
                    opt_growth(r.avg_deposit_yoy),
                    thousands(r.senders),
                ]
            })
            .collect(),
        anchor_rows: false,
    }
}

/// Revenue, deposits and growth by scam type for the headline year.
pub fn types_table(ctx: &mut Context) -> Vec<Block> {
    let rows = ranked(ctx.year_rows(&ctx.data.year_by_type));
    let caption = format!(
        "Source: {}.parquet, period = '{}'. YoY: change on {}.",
        ctx.tables().by_type,
        ctx.year,
        ctx.year - 1
    );
    vec![
        heading(2, &format!("By scam type, {}", ctx.year), "types"),
        Block::Table(growth_table(caption, "Scam type", &rows, type_name)),
    ]
}

/// Revenue and growth by region for the headline year (largest first).
pub fn regions_table(ctx: &mut Context) -> Vec<Block> {
    let rows = ranked(ctx.year_rows(&ctx.data.year_by_region));
    let shown: Vec<&Rollup> = rows
        .iter()
        .take(ctx.definition.top_regions)
        .copied()
        .collect();
    let total = ctx
        .year_row(&ctx.data.year_total, "")
        .map(|r| r.revenue_usd)
        .unwrap_or(0.0);
    let mut table = growth_table(
        format!(
            "Source: {}.parquet, period = '{}'; the {} largest of {} regions. Share: of all revenue that year.",
            ctx.tables().by_region,
            ctx.year,
            shown.len(),
            rows.len()
        ),
        "Region",
        &shown,
        |k| k.to_string(),
    );
    for (row, r) in table.rows.iter_mut().zip(&shown) {
        row[2] = if total > 0.0 {
            percent(r.revenue_usd / total)
        } else {
            "–".into()
        };
    }
    vec![
        heading(2, &format!("By region, {}", ctx.year), "regions"),
        Block::Table(table),
    ]
}

/// Totals per run period (the trend behind the charts).
pub fn trend_table(ctx: &mut Context) -> Vec<Block> {
    let rows: Vec<&Rollup> = ctx.data.total.iter().collect();
    let mut table = growth_table(
        "Source: revenue_total.parquet, every period of the run. YoY: change on the same period a year earlier.".into(),
        "Period",
        &rows,
        |k| k.to_string(),
    );
    for (row, r) in table.rows.iter_mut().zip(&rows) {
        row[0] = r.period.clone();
    }
    for row in &mut table.rows {
        row.remove(2);
    }
    table.columns.remove(2);
    table.numeric.remove(2);
    vec![
        heading(
            2,
            &format!("All scam types per {}", period_word(ctx.data.period)),
            "trend",
        ),
        Block::Table(table),
    ]
}

/// Reported losses against on-chain revenue by type.
pub fn losses_table(ctx: &mut Context) -> Vec<Block> {
    let year = ctx.year_label();
    let losses = losses_by_type(ctx.data, &year);
    let revenue = ctx.year_rows(&ctx.data.year_by_type);
    let mut types: Vec<String> = losses.iter().map(|(t, _, _)| t.clone()).collect();
    types.extend(revenue.iter().map(|r| r.key.clone()));
    types.sort();
    types.dedup();
    let rows = types
        .iter()
        .map(|t| {
            let (reports, loss) = losses
                .iter()
                .find(|(k, _, _)| k == t)
                .map(|(_, r, c)| (*r, *c))
                .unwrap_or((0, 0));
            let rev = revenue
                .iter()
                .find(|r| &r.key == t)
                .map(|r| cents(r.revenue_usd))
                .unwrap_or(0);
            let ratio = if rev > 0 {
                percent(loss as f64 / rev as f64)
            } else {
                "–".into()
            };
            vec![
                type_name(t),
                thousands(reports),
                usd_cell(loss as f64 / 100.0),
                usd_cell(rev as f64 / 100.0),
                ratio,
            ]
        })
        .collect();
    vec![
        heading(
            2,
            &format!("Reported losses and on-chain revenue, {year}"),
            "losses",
        ),
        Block::Paragraph(vec![text(
            "Reported losses are what victims said they lost in reports dated that year, classified by the report's own label; on-chain revenue is what the attributed addresses received. The two measure different things: many victims never report, and a report may name an address that received money from others.",
        )]),
        Block::Table(Table {
            caption: format!(
                "Sources: {}.parquet (summed over regions) and {}.parquet, period = '{year}'.",
                ctx.tables().losses,
                ctx.tables().by_type
            ),
            columns: [
                "Scam type",
                "Reports",
                "Reported losses",
                "On-chain revenue",
                "Losses / revenue",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, true, true, true, true],
            rows,
            anchor_rows: false,
        }),
    ]
}

/// How the figures were computed, with the lower-bound caveat and label vintage.
pub fn methodology(ctx: &mut Context) -> Vec<Block> {
    let p = &ctx.data.provenance;
    let addresses = Figure::new(
        "F-RUN-ADDR".into(),
        ctx.data.addresses as f64,
        Unit::Count,
        "run",
    )
    .from_table(
        "addresses",
        "all rows".into(),
        "scam addresses attributed from the reports (one row per chain and address)".into(),
    );
    let vintage = &p.label_vintage;
    let latest = vintage
        .latest_reported_at
        .clone()
        .unwrap_or_else(|| "no report".into());
    let as_of = match &vintage.labels_as_of {
        Some(d) => format!("only reports dated on or before {d} were used (--labels-as-of {d})"),
        None => "every report in the inputs was used (no --labels-as-of)".to_string(),
    };
    let mut intro = vec![text("The figures count transfers into ")];
    intro.push(ctx.book.cite(addresses));
    intro.push(text(format!(
        " addresses that scam reports name, each attributed to the scam type and region most of its reports give (methodology v{}). A transfer is revenue when it reaches a scam address from an address that is not one; transfers between scam addresses are internal and never counted. USD values use the sender's amount in USD when the export has it, otherwise the asset's daily close (or the latest close up to 7 days earlier); an unpriced deposit is counted but never valued at zero.",
        p.methodology_version
    )));
    vec![
        heading(2, "Methodology", "methodology"),
        Block::Note(vec![text(
            "Every revenue figure is a lower bound: only addresses that someone reported as a scam are counted, and reports arrive late, so figures for recent periods rise as new reports name more addresses.",
        )]),
        Block::Paragraph(intro),
        Block::Paragraph(vec![text(format!(
            "Label vintage: the latest report used is dated {latest}; {as_of}. The earliest report is dated {}.",
            vintage
                .earliest_reported_at
                .clone()
                .unwrap_or_else(|| "–".into())
        ))]),
        Block::Paragraph(vec![
            text("The full rules are in "),
            Part::Code("docs/methodology.md".into()),
            text(
                "; every number in the text above is listed with its source table and filter under Figures.",
            ),
        ]),
    ]
}

/// Inputs with sizes, hashes and row counts; rejects by reason.
pub fn provenance(ctx: &mut Context) -> Vec<Block> {
    let p = &ctx.data.provenance;
    let inputs = Table {
        caption: "Every input file as hashed when the run read it (manifest.json).".into(),
        columns: [
            "Kind",
            "File",
            "Format",
            "Bytes",
            "SHA-256",
            "Rows read",
            "Accepted",
            "Rejected",
            "Duplicates",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, false, true, false, true, true, true, true],
        rows: p
            .inputs
            .iter()
            .map(|i| {
                vec![
                    i.kind.clone(),
                    i.path.clone(),
                    i.format.clone(),
                    thousands(i.bytes as i64),
                    i.sha256.clone(),
                    thousands(i.rows_read as i64),
                    thousands(i.rows_accepted as i64),
                    thousands(i.rows_rejected as i64),
                    thousands(i.duplicates_dropped as i64),
                ]
            })
            .collect(),
        anchor_rows: false,
    };
    let rejects = Table {
        caption:
            "Source: rejects.parquet (one row per rejected input row, with file, row and column)."
                .into(),
        columns: ["Input", "Reason", "Rows"].map(String::from).to_vec(),
        numeric: vec![false, false, true],
        rows: ctx
            .data
            .rejects
            .iter()
            .map(|r| vec![r.input.clone(), r.reason.clone(), thousands(r.rows)])
            .collect(),
        anchor_rows: false,
    };
    let mut blocks = vec![heading(2, "Data provenance", "provenance")];
    if p.synthetic_data {
        blocks.push(Block::Note(vec![text(
            "Synthetic sample data: these inputs were generated by `scamtrends generate` and describe no real scam, address or victim.",
        )]));
    }
    blocks.push(Block::Table(inputs));
    if rejects.rows.is_empty() {
        blocks.push(Block::Paragraph(vec![text("No input row was rejected.")]));
    } else {
        blocks.push(Block::Table(rejects));
    }
    blocks
}

/// The command that reproduces the run, and the check that it did.
pub fn reproduce(ctx: &mut Context) -> Vec<Block> {
    let p = &ctx.data.provenance;
    let command = crate::report::command::run_command(&p.parameters);
    let out = p.parameters.out.display().to_string();
    vec![
        heading(2, "How to reproduce", "reproduce"),
        Block::Paragraph(vec![text(format!(
            "With the input files above (same SHA-256) and scamtrends {}, this command writes the same tables, charts and figures byte for byte:",
            p.tool.version
        ))]),
        Block::CodeBlock(command),
        Block::Paragraph(vec![text(
            "To check a published run against its inputs and the tool:",
        )]),
        Block::CodeBlock(format!("scamtrends verify {out}")),
    ]
}
