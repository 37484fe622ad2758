//! Synthetic transfers: background traffic plus calibrated scam deposits,
//! produced row by row so that any number of rows streams in bounded memory.
//! Mess: duplicate deposits repeated in the next file, upper-case EVM
//! addresses, internal flows, self-transfers, cash-outs and a few bad rows.

use std::collections::VecDeque;

use super::prices::Prices;
use super::rng::Rng;
use super::world::{CHAINS, Group, ScamAddress, address, asset_for, tx_hash};

/// One transfer before formatting.
#[derive(Clone)]
pub struct Transfer {
    pub chain: &'static str,
    pub tx_hash: String,
    pub transfer_index: i64,
    pub block_time: i64,
    pub from_address: String,
    pub to_address: String,
    pub asset: &'static str,
    pub amount: f64,
    pub amount_usd: Option<f64>,
    /// Write `block_time` as unparseable text (where the file stores text).
    pub bad_time: bool,
}

/// A deposit planned inside a group, before it becomes a row.
struct Deposit {
    usd: f64,
    time: i64,
    sender: usize,
    address: usize,
}

/// Produces the rows of the whole dataset in order.
pub struct RowSource<'a> {
    rng: Rng,
    addresses: &'a [ScamAddress],
    groups: &'a [Group],
    prices: &'a Prices,
    next_group: usize,
    pending: VecDeque<Deposit>,
    senders: Vec<String>,
    scam_left: u64,
    rows_left: u64,
    /// Copies of deposits to repeat in the next file.
    pub duplicates: Vec<Transfer>,
}

const YEAR_SECONDS: i64 = 365 * 86_400;

impl<'a> RowSource<'a> {
    pub fn new(
        rng: Rng,
        addresses: &'a [ScamAddress],
        groups: &'a [Group],
        prices: &'a Prices,
        rows: u64,
    ) -> Self {
        let scam_left = groups.iter().map(|g| g.deposits).sum();
        RowSource {
            rng,
            addresses,
            groups,
            prices,
            next_group: 0,
            pending: VecDeque::new(),
            senders: Vec::new(),
            scam_left,
            rows_left: rows.max(scam_left),
            duplicates: Vec::new(),
        }
    }

    /// The next row, or `None` when all rows are out.
    pub fn next_row(&mut self) -> Option<Transfer> {
        if self.rows_left == 0 {
            return None;
        }
        // spread scam deposits evenly through the rows
        let scam = self.rng.below(self.rows_left) < self.scam_left;
        self.rows_left -= 1;
        if scam {
            self.scam_left -= 1;
            return self.scam_deposit();
        }
        Some(self.background())
    }

    fn scam_deposit(&mut self) -> Option<Transfer> {
        while self.pending.is_empty() {
            let group = self.groups.get(self.next_group)?;
            self.next_group += 1;
            self.load_group(group);
        }
        let d = self.pending.pop_front()?;
        let a = &self.addresses[d.address];
        let t = self.transfer(
            a.chain,
            self.senders[d.sender].clone(),
            a.address.clone(),
            d.usd,
            d.time,
        );
        let t = self.mess_up_case(t);
        if self.rng.chance(0.005) {
            self.duplicates.push(t.clone());
        }
        Some(t)
    }

    /// Draw a group's deposits and rescale them to its exact revenue.
    fn load_group(&mut self, g: &Group) {
        let mut rng = self.rng.fork(g.year as u64 * 100 + g.type_idx as u64);
        let start = chrono::NaiveDate::from_ymd_opt(g.year, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp())
            .unwrap_or(0);
        let addresses = self.addresses;
        let chain_of = |i: usize| addresses[g.addresses[i]].chain;
        let draws: Vec<(f64, i64, usize)> = (0..g.deposits)
            .map(|_| {
                (
                    rng.lognormal_unit_mean(0.9),
                    start + rng.below(YEAR_SECONDS as u64) as i64,
                    rng.below(g.addresses.len() as u64) as usize,
                )
            })
            .collect();
        let scale = g.revenue_usd / draws.iter().map(|d| d.0).sum::<f64>();
        self.senders = (0..g.senders)
            .map(|i| address(&mut rng, chain_of(i as usize % g.addresses.len())))
            .collect();
        self.pending = draws
            .into_iter()
            .map(|(w, time, a)| Deposit {
                usd: w * scale,
                time,
                sender: self.sender_on_chain(&mut rng, chain_of(a)),
                address: g.addresses[a],
            })
            .collect();
    }

    /// A sender whose chain matches the receiving address's.
    fn sender_on_chain(&self, rng: &mut Rng, chain: &str) -> usize {
        let n = self.senders.len();
        let start = rng.below(n as u64) as usize;
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| self.sender_chain(i) == chain)
            .unwrap_or(start)
    }

    fn sender_chain(&self, i: usize) -> &'static str {
        let s = &self.senders[i];
        if s.starts_with("0x") {
            "ethereum"
        } else if s.starts_with("bc1") {
            "bitcoin"
        } else {
            "tron"
        }
    }

    fn transfer(
        &mut self,
        chain: &'static str,
        from: String,
        to: String,
        usd: f64,
        time: i64,
    ) -> Transfer {
        let asset = asset_for(&mut self.rng, chain);
        let price = self.prices.on(asset, time.div_euclid(86_400));
        let stable = asset == "USDT" || asset == "USDC";
        let amount_usd = (stable && self.rng.chance(0.5)).then(|| (usd * 100.0).round() / 100.0);
        Transfer {
            chain,
            tx_hash: tx_hash(&mut self.rng, chain),
            transfer_index: if chain == "tron" {
                0
            } else {
                self.rng.below(if chain == "bitcoin" { 3 } else { 200 }) as i64
            },
            block_time: time,
            from_address: from,
            to_address: to,
            asset,
            amount: ((usd / price) * 1e6).round() / 1e6,
            amount_usd,
            bad_time: false,
        }
    }

    fn mess_up_case(&mut self, mut t: Transfer) -> Transfer {
        if t.to_address.starts_with("0x") && self.rng.chance(0.2) {
            t.to_address = format!("0x{}", t.to_address[2..].to_uppercase());
        }
        t
    }

    /// Ordinary traffic, with the occasional internal flow, self-transfer,
    /// cash-out or bad row.
    fn background(&mut self) -> Transfer {
        let chain = CHAINS[self
            .rng
            .weighted(&CHAINS.iter().map(|c| c.weight).collect::<Vec<_>>())]
        .name;
        let start = 1_640_995_200; // 2022-01-01
        let time = start + self.rng.below(3 * YEAR_SECONDS as u64) as i64;
        let usd = 500.0 * self.rng.lognormal_unit_mean(1.2);
        let x = self.rng.unit();
        let scam = |s: &mut Self| s.scam_on(chain);
        let (from, to) = match (x, scam(self)) {
            (x, Some(a)) if x < 0.004 => (a.clone(), scam(self).unwrap_or(a)), // internal (or self)
            (x, Some(a)) if x < 0.005 => (a.clone(), a),                       // self-transfer
            (x, Some(a)) if x < 0.015 => (a, address(&mut self.rng, chain)),   // cash-out
            _ => (address(&mut self.rng, chain), address(&mut self.rng, chain)),
        };
        let mut t = self.transfer(chain, from, to, usd, time);
        let bad = self.rng.unit();
        if bad < 0.0002 {
            t.amount = -t.amount;
        } else if bad < 0.0004 {
            t.bad_time = true;
        }
        t
    }

    fn scam_on(&mut self, chain: &str) -> Option<String> {
        let n = self.addresses.len() as u64;
        (0..8)
            .map(|_| &self.addresses[self.rng.below(n) as usize])
            .find(|a| a.chain == chain)
            .map(|a| a.address.clone())
    }
}
