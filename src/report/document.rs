//! The report as a renderer-neutral document: headings, paragraphs whose
//! numbers are cited figures, tables, chart slots and code blocks. The HTML
//! and Markdown renderers walk the same blocks, so the two files always say
//! the same thing.

/// Inline content of a paragraph or list item.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    /// A number from `figures.csv`: shown as `text` followed by its ID.
    Figure {
        id: String,
        text: String,
    },
    /// Inline code (a path, a flag, a hash).
    Code(String),
}

/// A table with a caption naming where its numbers come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<String>,
    /// Right-align these columns (numbers).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    /// The first cell of each row is an anchor target (figure IDs).
    pub anchor_rows: bool,
}

/// A block of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading {
        level: u8,
        text: String,
        anchor: String,
    },
    Paragraph(Vec<Part>),
    List(Vec<Vec<Part>>),
    Table(Table),
    /// A chart: its id under `charts/` and its title (alt text).
    Chart {
        id: String,
        title: String,
    },
    CodeBlock(String),
    /// A highlighted note (lower bound, synthetic data).
    Note(Vec<Part>),
}

/// Shorthand: a text part.
pub fn text(s: impl Into<String>) -> Part {
    Part::Text(s.into())
}

/// Shorthand: a heading block.
pub fn heading(level: u8, text: &str, anchor: &str) -> Block {
    Block::Heading {
        level,
        text: text.to_string(),
        anchor: anchor.to_string(),
    }
}

/// The plain text of a paragraph, figures with their IDs in brackets (tests, logs).
pub fn plain(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Text(t) | Part::Code(t) => t.clone(),
            Part::Figure { id, text } => format!("{text} [{id}]"),
        })
        .collect()
}
