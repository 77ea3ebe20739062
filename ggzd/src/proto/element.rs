//! A small DOM for one protocol message (one child of `SESSION`).

/// An XML element with its attributes, text and child elements.
///
/// The decoder upper-cases element and attribute names, because the
/// protocol matches them case-insensitively (docs/client-server.md §1); values and text are
/// kept verbatim after unescaping. The lookup helpers compare names
/// case-insensitively too, so hand-built elements behave the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Element name, ASCII upper-case when decoded.
    pub name: String,
    /// Attributes in document order, names ASCII upper-case when decoded.
    pub attrs: Vec<(String, String)>,
    /// All character data directly inside this element (text and CDATA,
    /// concatenated in order), not trimmed.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// An element with the given name and nothing else.
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Element::default()
        }
    }

    /// Builder helper: adds an attribute.
    pub fn with_attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attrs.push((name.into(), value.into()));
        self
    }

    /// Builder helper: sets the text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    /// Builder helper: appends a child.
    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// Whether this element has the given name (case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// Value of the named attribute (case-insensitive name).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// First child with the given name (case-insensitive).
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(name))
    }

    /// All children with the given name (case-insensitive), in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.is(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let e = Element::new("TABLE")
            .with_attr("ID", "4")
            .with_child(Element::new("DESC").with_text("x"))
            .with_child(Element::new("SEAT").with_attr("NUM", "0"))
            .with_child(Element::new("SEAT").with_attr("NUM", "1"));
        assert_eq!(e.attr("id"), Some("4"));
        assert_eq!(e.attr("GAME"), None);
        assert_eq!(e.child("desc").map(|d| d.text.as_str()), Some("x"));
        assert!(e.child("SPECTATOR").is_none());
        let nums: Vec<_> = e
            .children_named("seat")
            .filter_map(|s| s.attr("NUM"))
            .collect();
        assert_eq!(nums, ["0", "1"]);
        assert!(e.is("table"));
    }
}
