//! Typed indices of a [`StrutNetwork`](super::StrutNetwork)'s nodes and struts.
//!
//! Both are 32-bit (a network of more than 4·10⁹ nodes or struts would not fit in memory
//! anyway), print as the bare number, and serialize as it, so reports and messages read as
//! before. Use [`NodeId::index`] / [`StrutId::index`] to index a slice.

use serde::{Deserialize, Serialize};

macro_rules! typed_index {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The id of position `index` in the network's list.
            ///
            /// # Panics
            /// If `index` does not fit in 32 bits (networks are far smaller).
            pub fn new(index: usize) -> Self {
                Self(u32::try_from(index).expect("network index fits in 32 bits"))
            }

            /// The position in the network's list, for indexing slices.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_index!(
    /// Index of a node of a [`StrutNetwork`](super::StrutNetwork): its position in
    /// [`StrutNetwork::nodes`](super::StrutNetwork::nodes).
    NodeId
);

typed_index!(
    /// Index of a strut of a [`StrutNetwork`](super::StrutNetwork): its position in
    /// [`StrutNetwork::struts`](super::StrutNetwork::struts).
    StrutId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_serialize_as_the_bare_number() {
        assert_eq!(NodeId(7).to_string(), "7");
        assert_eq!(format!("{:>3}", StrutId(7)), "  7");
        assert_eq!(serde_json::to_string(&NodeId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<StrutId>("9").unwrap(), StrutId(9));
        assert_eq!(NodeId::new(5).index(), 5);
    }

    #[test]
    #[should_panic(expected = "fits in 32 bits")]
    fn an_index_beyond_32_bits_is_refused() {
        let _ = NodeId::new(usize::MAX);
    }
}
