//! Start and end tags: the elements of a message are built and closed
//! here, with the depth, attribute and child bounds.

use quick_xml::events::attributes::Attributes;
use quick_xml::parser::{ElementParser, Parser};

use super::chars::{is_name, is_xml_space, unescape, utf8};
use super::{DecodeError, Decoder, Element, Event, SESSION, State, Step};

impl Decoder {
    pub(super) fn start_tag(&mut self, rest: &[u8]) -> Result<Step, DecodeError> {
        let limit = self.limits.max_token;
        let window = rest.get(1..rest.len().min(limit)).unwrap_or_default();
        let mut parser = ElementParser::default();
        let Some(gt) = parser.feed(window) else {
            return if rest.len() >= limit {
                Err(DecodeError::TooLarge("tag"))
            } else {
                Ok(Step::NeedMore)
            };
        };
        // `gt` indexes the window, which starts after `<`.
        let end = gt + 2;
        let inner = rest.get(1..gt + 1).unwrap_or_default();
        let (inner, self_closing) = match inner.strip_suffix(b"/") {
            Some(i) => (i, true),
            None => (inner, false),
        };
        let inner = utf8(inner)?;
        let name_len = inner.bytes().position(is_xml_space).unwrap_or(inner.len());
        let name = inner.get(..name_len).unwrap_or_default();
        if !is_name(name) {
            return Err(DecodeError::Malformed("bad element name"));
        }
        let attrs = self.attributes(inner, name_len)?;
        let element = Element {
            name: name.to_ascii_uppercase(),
            attrs,
            text: String::new(),
            children: Vec::new(),
        };

        match self.state {
            State::Prolog => {
                if element.name != SESSION {
                    return Err(DecodeError::Malformed("root element is not SESSION"));
                }
                self.loose_run = 0;
                self.state = if self_closing {
                    State::PendingEnd
                } else {
                    State::Session
                };
                return Ok(Step::Took(end, Some(Event::SessionStart)));
            }
            State::Session => {}
            // feed() never steps in the other states.
            State::PendingEnd | State::Ended | State::Failed(_) => return Ok(Step::NeedMore),
        }

        match self.stack.last() {
            None => {
                self.element_bytes = 0;
                self.loose_run = 0;
            }
            Some(parent) => {
                if self.stack.len() >= self.limits.max_depth {
                    return Err(DecodeError::TooDeep);
                }
                if parent.children.len() >= self.limits.max_children {
                    return Err(DecodeError::TooLarge("child elements"));
                }
            }
        }
        if self.limits.max_depth == 0 {
            return Err(DecodeError::TooDeep);
        }
        self.account_message(end)?;
        if self_closing {
            Ok(Step::Took(end, self.close(element)))
        } else {
            self.stack.push(element);
            Ok(Step::Took(end, None))
        }
    }

    fn attributes(
        &self,
        inner: &str,
        name_len: usize,
    ) -> Result<Vec<(String, String)>, DecodeError> {
        let mut attrs: Vec<(String, String)> = Vec::new();
        for attr in Attributes::new(inner, name_len) {
            let attr = attr.map_err(|_| DecodeError::Malformed("bad attribute syntax"))?;
            let key = attr.key.as_ref();
            if !is_name(key) {
                return Err(DecodeError::Malformed("bad attribute name"));
            }
            if attrs.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                return Err(DecodeError::Malformed("duplicate attribute"));
            }
            if attrs.len() >= self.limits.max_attrs {
                return Err(DecodeError::TooLarge("attributes"));
            }
            let value = unescape(&attr.value)?.into_owned();
            attrs.push((key.to_ascii_uppercase(), value));
        }
        Ok(attrs)
    }

    pub(super) fn end_tag(&mut self, rest: &[u8]) -> Result<Step, DecodeError> {
        let limit = self.limits.max_token;
        let Some(end) = Self::delimited(rest, 2, b">", limit, DecodeError::TooLarge("tag"))? else {
            return Ok(Step::NeedMore);
        };
        let name = utf8(rest.get(2..end - 1).unwrap_or_default())?;
        let name = name.trim_end_matches(|c: char| c.is_ascii() && is_xml_space(c as u8));
        if !is_name(name) {
            return Err(DecodeError::Malformed("bad end tag"));
        }
        if self.state != State::Session {
            return Err(DecodeError::Malformed("end tag outside SESSION"));
        }
        let Some(open) = self.stack.pop() else {
            if name.eq_ignore_ascii_case(SESSION) {
                self.state = State::Ended;
                return Ok(Step::Took(end, Some(Event::SessionEnd)));
            }
            return Err(DecodeError::Malformed("end tag without start tag"));
        };
        if !open.name.eq_ignore_ascii_case(name) {
            return Err(DecodeError::Malformed("mismatched end tag"));
        }
        self.account_message(end)?;
        Ok(Step::Took(end, self.close(open)))
    }

    /// Attaches a finished element to its parent, or reports it when it is
    /// a whole message.
    fn close(&mut self, element: Element) -> Option<Event> {
        match self.stack.last_mut() {
            Some(parent) => {
                parent.children.push(element);
                None
            }
            None => {
                self.loose_run = 0;
                // Give back the stack's memory: idle connections are many.
                self.stack = Vec::new();
                Some(Event::Element(element))
            }
        }
    }
}
