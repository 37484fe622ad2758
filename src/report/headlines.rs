//! Headline findings: sentences a journalist can quote, generated from the
//! yearly tables, every number cited through the figure book with a stable
//! ID. Nothing is hard-coded about the data: a sentence says "rose" or
//! "fell" because of the sign of the value it quotes.

use crate::report::context::{Context, losses_by_type, period_word, ranked};
use crate::report::data::{Rollup, TableNames, cents};
use crate::report::document::{Block, Part, heading, text};
use crate::report::figures::{Figure, Unit};
use crate::report::format::{slug, type_code, type_name, type_phrase};

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
