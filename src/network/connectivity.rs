//! Connected components and dangling-strut removal on strut graphs.
//!
//! All results are deterministic: component labels are numbered in the order of each
//! component's lowest node index, and networks keep their node and strut order (minus what
//! was removed).

use nalgebra::Point3;

use super::{NodeId, Strut, StrutNetwork};

/// Component label per node (`0..count`), numbered by each component's lowest node index.
/// An isolated node is its own component.
pub fn components(net: &StrutNetwork) -> Vec<usize> {
    labels(net.nodes().len(), net.struts())
}

/// What [`keep_largest_component`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ComponentRemoval {
    /// Components removed (isolated nodes not counted).
    pub components_removed: usize,
    /// Struts in the removed components.
    pub struts_removed: usize,
    /// Nodes removed (including isolated nodes).
    pub nodes_removed: usize,
}

/// Keeps the component with the most struts (ties: more nodes, then lowest label) and drops
/// every other node and strut, keeping the remaining order.
pub fn keep_largest_component(net: &StrutNetwork) -> (StrutNetwork, ComponentRemoval) {
    let (keep, removal) = largest_component_mask(net.nodes().len(), net.struts());
    let (nodes, struts, _) = compact(net.nodes(), net.struts(), &keep);
    let out =
        StrutNetwork::try_new(nodes, struts).expect("a subnetwork of a valid network is valid");
    let removal = ComponentRemoval {
        nodes_removed: net.nodes().len() - out.nodes().len(),
        ..removal
    };
    (out, removal)
}

/// Iteratively removes struts that end at a node of valence 1 unless `anchored(node)` (e.g.
/// the node lies on the domain boundary). Returns the pruned network (unused nodes dropped)
/// and how many struts were removed.
pub fn remove_dangling(
    net: &StrutNetwork,
    anchored: impl Fn(usize) -> bool,
) -> (StrutNetwork, usize) {
    let keep = dangling_mask(net.nodes().len(), net.struts(), anchored);
    let removed = keep.iter().filter(|k| !**k).count();
    let (nodes, struts, _) = compact(net.nodes(), net.struts(), &keep);
    let out =
        StrutNetwork::try_new(nodes, struts).expect("a subnetwork of a valid network is valid");
    (out, removed)
}

pub(crate) fn labels(n: usize, struts: &[Strut]) -> Vec<usize> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let g = parent[parent[x as usize] as usize];
            parent[x as usize] = g;
            x = g;
        }
        x
    }
    for s in struts {
        let (ra, rb) = (find(&mut parent, s.a.0), find(&mut parent, s.b.0));
        if ra != rb {
            // Smaller root wins: keeps roots = lowest index, deterministic.
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            parent[hi as usize] = lo;
        }
    }
    let mut label = vec![usize::MAX; n];
    let mut next = 0;
    (0..n)
        .map(|i| {
            let r = find(&mut parent, i as u32) as usize;
            if label[r] == usize::MAX {
                label[r] = next;
                next += 1;
            }
            label[r]
        })
        .collect()
}

/// Strut mask keeping only the largest component, and what it removes (`nodes_removed` is
/// left 0 for the caller to fill in).
pub(crate) fn largest_component_mask(n: usize, struts: &[Strut]) -> (Vec<bool>, ComponentRemoval) {
    let lab = labels(n, struts);
    let count = lab.iter().max().map_or(0, |m| m + 1);
    let mut n_struts = vec![0usize; count];
    let mut n_nodes = vec![0usize; count];
    for &l in &lab {
        n_nodes[l] += 1;
    }
    for s in struts {
        n_struts[lab[s.a.index()]] += 1;
    }
    let best = (0..count).max_by(|&x, &y| {
        (n_struts[x], n_nodes[x])
            .cmp(&(n_struts[y], n_nodes[y]))
            .then(y.cmp(&x))
    });
    let Some(best) = best else {
        return (Vec::new(), ComponentRemoval::default());
    };
    let keep: Vec<bool> = struts.iter().map(|s| lab[s.a.index()] == best).collect();
    let components_removed = (0..count).filter(|&c| c != best && n_struts[c] > 0).count();
    let struts_removed = keep.iter().filter(|k| !**k).count();
    (
        keep,
        ComponentRemoval {
            components_removed,
            struts_removed,
            nodes_removed: 0,
        },
    )
}

/// Strut mask after iteratively removing struts at unanchored valence-1 nodes.
pub(crate) fn dangling_mask(
    n: usize,
    struts: &[Strut],
    anchored: impl Fn(usize) -> bool,
) -> Vec<bool> {
    let mut valence = vec![0u32; n];
    // Adjacency in CSR form (strut ids per node).
    let mut start = vec![0usize; n + 1];
    for s in struts {
        valence[s.a.index()] += 1;
        valence[s.b.index()] += 1;
        start[s.a.index() + 1] += 1;
        start[s.b.index() + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut adj = vec![0u32; start[n]];
    for (k, s) in struts.iter().enumerate() {
        for v in [s.a, s.b] {
            adj[fill[v.index()]] = k as u32;
            fill[v.index()] += 1;
        }
    }
    let mut keep = vec![true; struts.len()];
    // Memoize the anchor test: it may be a geometric query.
    let mut anchor: Vec<Option<bool>> = vec![None; n];
    let mut is_anchor = |v: usize| *anchor[v].get_or_insert_with(|| anchored(v));
    let mut stack: Vec<usize> = (0..n).filter(|&v| valence[v] == 1).collect();
    stack.reverse();
    while let Some(v) = stack.pop() {
        if valence[v] != 1 || is_anchor(v) {
            continue;
        }
        let Some(&k) = adj[start[v]..start[v + 1]]
            .iter()
            .find(|&&k| keep[k as usize])
        else {
            continue;
        };
        keep[k as usize] = false;
        let s = struts[k as usize];
        valence[s.a.index()] -= 1;
        valence[s.b.index()] -= 1;
        let other = if s.a.index() == v { s.b } else { s.a }.index();
        if valence[other] == 1 {
            stack.push(other);
        }
    }
    keep
}

/// Keeps the masked struts and the nodes they use (in their original order); returns the
/// old→new node map (`None` for dropped nodes).
pub(crate) fn compact(
    nodes: &[Point3<f64>],
    struts: &[Strut],
    keep: &[bool],
) -> (Vec<Point3<f64>>, Vec<Strut>, Vec<Option<NodeId>>) {
    let mut used = vec![false; nodes.len()];
    for (s, _) in struts.iter().zip(keep).filter(|(_, k)| **k) {
        used[s.a.index()] = true;
        used[s.b.index()] = true;
    }
    let mut map = vec![None; nodes.len()];
    let mut out_nodes = Vec::new();
    for (i, p) in nodes.iter().enumerate() {
        if used[i] {
            map[i] = Some(NodeId::new(out_nodes.len()));
            out_nodes.push(*p);
        }
    }
    let out_struts = struts
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(s, _)| Strut {
            a: map[s.a.index()].expect("a kept strut's nodes are kept"),
            b: map[s.b.index()].expect("a kept strut's nodes are kept"),
            ..*s
        })
        .collect();
    (out_nodes, out_struts, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(n: usize, edges: &[(u32, u32)]) -> StrutNetwork {
        let nodes = (0..n)
            .map(|i| Point3::new(i as f64, (i * i) as f64, 0.0))
            .collect();
        let struts = edges
            .iter()
            .map(|&(a, b)| Strut {
                a: NodeId(a),
                b: NodeId(b),
                radius_a: 0.1,
                radius_b: 0.1,
            })
            .collect();
        StrutNetwork::try_new(nodes, struts).unwrap()
    }

    #[test]
    fn components_are_labelled_by_lowest_node() {
        // {0,3}, {1,2,4}, {5}
        let n = net(6, &[(4, 2), (3, 0), (1, 4)]);
        assert_eq!(components(&n), vec![0, 1, 1, 0, 1, 2]);
        let (kept, r) = keep_largest_component(&n);
        assert_eq!(kept.struts().len(), 2);
        assert_eq!(kept.nodes().len(), 3);
        assert_eq!(
            r,
            ComponentRemoval {
                components_removed: 1,
                struts_removed: 1,
                nodes_removed: 3
            }
        );
        // Kept nodes keep their relative order: 1, 2, 4.
        assert_eq!(kept.nodes()[2], n.nodes()[4]);
    }

    #[test]
    fn dangling_chains_are_removed_iteratively_but_anchors_stay() {
        // Triangle 0-1-2 with a tail 2-3-4; node 4 anchored keeps the tail, unanchored not.
        let n = net(5, &[(0, 1), (1, 2), (2, 0), (2, 3), (3, 4)]);
        let (pruned, removed) = remove_dangling(&n, |_| false);
        assert_eq!(
            (removed, pruned.struts().len(), pruned.nodes().len()),
            (2, 3, 3)
        );
        let (pruned, removed) = remove_dangling(&n, |v| v == 4);
        assert_eq!((removed, pruned.struts().len()), (0, 5));
        // A lone path disappears completely.
        let n = net(3, &[(0, 1), (1, 2)]);
        assert_eq!(remove_dangling(&n, |_| false).1, 2);
    }
}
