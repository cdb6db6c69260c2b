//! Where each node of a YAML document starts, by path, so that errors found after
//! deserialisation (an unknown elevation, a bad size) still point at a line and column.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// 1-based line and column of every value (`a/b/0`) and every mapping key (`a/b#key`).
#[derive(Default)]
pub(crate) struct Locations {
    at: HashMap<String, (usize, usize)>,
}

impl Locations {
    pub(crate) fn of(text: &str) -> Self {
        let mut recv = Receiver::default();
        // A syntax error here is also a syntax error for serde, which reports it first.
        let _ = Parser::new_from_str(text).load(&mut recv, false);
        Locations { at: recv.at }
    }

    /// The place of the value at `path` (segments joined with `/`), or of its nearest ancestor.
    pub(crate) fn value(&self, path: &str) -> (usize, usize) {
        let mut p = path;
        loop {
            if let Some(at) = self.at.get(p) {
                return *at;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.at.get("").copied().unwrap_or((1, 1)),
            }
        }
    }

    /// The place of the key that holds `path`, falling back to its value.
    pub(crate) fn key(&self, path: &str) -> (usize, usize) {
        match self.at.get(&format!("{path}#key")) {
            Some(at) => *at,
            None => self.value(path),
        }
    }
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

#[derive(Default)]
struct Receiver {
    stack: Vec<Frame>,
    at: HashMap<String, (usize, usize)>,
}

impl Receiver {
    /// The path the next node takes, or None when the next node is a mapping key.
    fn next_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map { path, key: Some(k) }) => Some(join(path, k)),
            Some(Frame::Seq { path, next }) => {
                let p = join(path, &next.to_string());
                *next += 1;
                Some(p)
            }
        }
    }

    fn value_done(&mut self) {
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            *key = None;
        }
    }
}

fn join(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_string()
    } else {
        format!("{path}/{segment}")
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let place = (mark.line(), mark.col() + 1);
        match ev {
            Event::Scalar(value, ..) => match self.next_path() {
                None => {
                    if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                        self.at.insert(format!("{}#key", join(path, &value)), place);
                        *key = Some(value);
                    }
                }
                Some(p) => {
                    self.at.insert(p, place);
                    self.value_done();
                }
            },
            Event::Alias(_) => {
                if let Some(p) = self.next_path() {
                    self.at.insert(p, place);
                    self.value_done();
                }
            }
            Event::MappingStart(..) => {
                let path = self.next_path().unwrap_or_default();
                self.at.insert(path.clone(), place);
                self.stack.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.next_path().unwrap_or_default();
                self.at.insert(path.clone(), place);
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_values_in_block_and_flow_style() {
        let text = "a:\n  b: 1\nrules:\n  - { id: x, tags: [p, q] }\n";
        let loc = Locations::of(text);
        assert_eq!(loc.key("a/b"), (2, 3));
        assert_eq!(loc.value("a/b"), (2, 6));
        assert_eq!(loc.value("rules/0/tags/1"), (4, 24));
        assert_eq!(loc.key("rules/0/id"), (4, 7));
        // Unknown paths fall back to the nearest known ancestor.
        assert_eq!(loc.value("rules/0/nothing/here"), (4, 5));
    }
}
