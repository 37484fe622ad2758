//! The token registry: `(chain, contract)` → symbol, decimals and whether the
//! token is non-fungible, for exports that name tokens by contract and give
//! raw integer values. The embedded `tokens.toml` (major stablecoins and
//! wrapped assets), extended by a user registry (`--tokens FILE`) that is
//! consulted first. A registry is a value passed to the readers that need it,
//! never process-wide state.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use anyhow::Result;
use serde::Deserialize;

use crate::error::bad_input;

/// One registry entry.
#[derive(Debug, Clone, Deserialize)]
pub struct Token {
    pub chain: String,
    pub contract: String,
    pub symbol: String,
    pub decimals: u32,
    /// A non-fungible token: `value` is a token id, never an amount.
    #[serde(default)]
    pub nft: bool,
}

#[derive(Debug, Deserialize)]
struct RegistryFile {
    token: Vec<Token>,
}

type Entries = HashMap<(String, String), Token>;

/// The embedded registry, parsed once (checked by a unit test: it always parses).
static EMBEDDED: LazyLock<Entries> = LazyLock::new(|| {
    toml::from_str::<RegistryFile>(include_str!("tokens.toml"))
        .map(entries)
        .unwrap_or_default()
});

fn entries(file: RegistryFile) -> Entries {
    file.token
        .into_iter()
        .map(|t| ((t.chain.clone(), normalize_contract(&t.contract)), t))
        .collect()
}

/// The tokens a run knows: a user registry before the embedded one.
#[derive(Debug, Default)]
pub struct TokenRegistry {
    user: Entries,
}

impl TokenRegistry {
    /// The embedded registry alone.
    pub fn embedded() -> TokenRegistry {
        TokenRegistry::default()
    }

    /// The embedded registry extended by `--tokens FILE` (same layout as the
    /// embedded `tokens.toml`).
    pub fn with_user_file(path: Option<&Path>) -> Result<TokenRegistry> {
        let Some(path) = path else {
            return Ok(TokenRegistry::embedded());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad_input(format!("--tokens {}: {e}", path.display())))?;
        TokenRegistry::parse(&text, &format!("--tokens {}", path.display()))
    }

    /// The embedded registry extended by a registry's TOML text; errors
    /// name `source`.
    pub fn parse(text: &str, source: &str) -> Result<TokenRegistry> {
        let file: RegistryFile =
            toml::from_str(text).map_err(|e| bad_input(format!("{source}: {e}")))?;
        Ok(TokenRegistry {
            user: entries(file),
        })
    }

    /// The entry of a contract on a chain, if either registry has it.
    pub fn get(&self, chain: &str, contract: &str) -> Option<&Token> {
        let key = (chain.to_string(), normalize_contract(contract));
        self.user.get(&key).or_else(|| EMBEDDED.get(&key))
    }

    /// Symbol and decimals of a registry token.
    pub fn lookup(&self, chain: &str, contract: &str) -> Option<(String, u32)> {
        self.get(chain, contract)
            .map(|t| (t.symbol.clone(), t.decimals))
    }

    /// Whether a contract is a registered non-fungible token.
    pub fn is_nft(&self, chain: &str, contract: &str) -> bool {
        self.get(chain, contract).is_some_and(|t| t.nft)
    }
}

/// A contract as compared: EVM `0x` hex lowercased, anything else as is.
pub fn normalize_contract(c: &str) -> String {
    let c = c.trim();
    if c.to_ascii_lowercase().starts_with("0x") {
        c.to_ascii_lowercase()
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_registry_parses() {
        let file: RegistryFile = toml::from_str(include_str!("tokens.toml")).unwrap();
        assert_eq!(EMBEDDED.len(), file.token.len());
    }

    #[test]
    fn nfts_are_known_as_such() {
        let r = TokenRegistry::embedded();
        assert!(r.is_nft("ethereum", "0xBC4CA0EDA7647A8AB7C2061C2E118A18A936F13D"));
        assert!(!r.is_nft("ethereum", "0xdac17f958d2ee523a2206206994597c13d831ec7"));
    }

    #[test]
    fn the_registry_knows_the_major_stablecoins() {
        let r = TokenRegistry::embedded();
        assert_eq!(
            r.lookup("ethereum", "0xDAC17F958D2EE523A2206206994597C13D831EC7"),
            Some(("USDT".into(), 6))
        );
        assert_eq!(
            r.lookup("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            Some(("USDT".into(), 6))
        );
        assert_eq!(
            r.lookup("ethereum", "0x0000000000000000000000000000000000000000"),
            None
        );
    }

    #[test]
    fn a_user_registry_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(
            &path,
            "[[token]]\nchain = \"ethereum\"\ncontract = \"0xDAC17F958D2EE523A2206206994597C13D831EC7\"\nsymbol = \"MINE\"\ndecimals = 2\n",
        )
        .unwrap();
        let r = TokenRegistry::with_user_file(Some(&path)).unwrap();
        assert_eq!(
            r.lookup("ethereum", "0xdac17f958d2ee523a2206206994597c13d831ec7"),
            Some(("MINE".into(), 2))
        );
    }
}
