//! The report's sections other than the headlines (`headlines.rs`): tables
//! by type, region and period, reported losses against on-chain revenue,
//! methodology and label vintage, data provenance and the command that
//! reproduces the run.
//!
//! Pure: `RunData` and a definition in, document blocks and figures out.

use crate::report::context::{Context, losses_by_type, period_word, ranked};
use crate::report::data::{Rollup, cents};
use crate::report::document::{Block, Part, Table, heading, text};
use crate::report::figures::{Figure, Unit};
use crate::report::format::{percent, signed_percent, thousands, type_name};

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
