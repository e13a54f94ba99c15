//! The machine as the engine sees it: nodes, which CPU is on which node,
//! and how far apart nodes are.

use alloc::vec::Vec;

use crate::types::{NodeId, MAX_CPUS, MAX_NODES};

/// SLIT distance of a node to itself (ACPI defines local as 10).
pub const LOCAL_DISTANCE: u8 = 10;

/// Why a topology was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopologyError {
    /// Zero nodes, or more than [`MAX_NODES`].
    NodeCount(usize),
    /// More CPUs than [`MAX_CPUS`].
    CpuCount(usize),
    /// A CPU is mapped to a node that does not exist.
    CpuNode { cpu: usize, node: u32 },
    /// The distance matrix is not `nodes x nodes`, or a distance is zero.
    Distances,
    /// The maps could not be allocated.
    NoMemory,
}

/// Nodes, the CPU-to-node map and the distance matrix.
///
/// The maps live on the heap (allocated fallibly, once) so that the value
/// is small enough to pass around on Xen's stack.
///
/// # Invariants
/// `nr_nodes` is in `1..=MAX_NODES`; every entry of `cpu_node` is below
/// `nr_nodes`; `distance` has `nr_nodes * nr_nodes` non-zero entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    nr_nodes: usize,
    cpu_node: Vec<u8>,
    distance: Vec<u8>,
}

impl Topology {
    /// A topology from a CPU-to-node map and a row-major distance matrix of
    /// `nr_nodes * nr_nodes` entries (empty: 10 local, 20 remote).
    pub fn new(nr_nodes: usize, cpu_node: &[u32], distances: &[u8]) -> Result<Self, TopologyError> {
        if nr_nodes == 0 || nr_nodes > MAX_NODES {
            return Err(TopologyError::NodeCount(nr_nodes));
        }
        if cpu_node.len() > MAX_CPUS {
            return Err(TopologyError::CpuCount(cpu_node.len()));
        }
        let cells = nr_nodes.saturating_mul(nr_nodes);
        let mut topo = Topology {
            nr_nodes,
            cpu_node: Vec::new(),
            distance: Vec::new(),
        };
        topo.cpu_node
            .try_reserve_exact(cpu_node.len())
            .map_err(|_| TopologyError::NoMemory)?;
        topo.distance
            .try_reserve_exact(cells)
            .map_err(|_| TopologyError::NoMemory)?;
        for (cpu, &node) in cpu_node.iter().enumerate() {
            if node as usize >= nr_nodes {
                return Err(TopologyError::CpuNode { cpu, node });
            }
            topo.cpu_node.push(node as u8);
        }
        if distances.is_empty() {
            for a in 0..nr_nodes {
                for b in 0..nr_nodes {
                    topo.distance.push(if a == b {
                        LOCAL_DISTANCE
                    } else {
                        2 * LOCAL_DISTANCE
                    });
                }
            }
        } else {
            if distances.len() != cells || distances.contains(&0) {
                return Err(TopologyError::Distances);
            }
            topo.distance.extend_from_slice(distances);
        }
        Ok(topo)
    }

    /// `nr_nodes` nodes with `cpus_per_node` CPUs each, numbered node by node.
    pub fn uniform(nr_nodes: usize, cpus_per_node: usize) -> Result<Self, TopologyError> {
        let nr_cpus = nr_nodes.saturating_mul(cpus_per_node);
        if nr_cpus > MAX_CPUS {
            return Err(TopologyError::CpuCount(nr_cpus));
        }
        let mut map = Vec::new();
        map.try_reserve_exact(nr_cpus)
            .map_err(|_| TopologyError::NoMemory)?;
        for cpu in 0..nr_cpus {
            map.push(cpu.checked_div(cpus_per_node).unwrap_or(0) as u32);
        }
        Self::new(nr_nodes, &map, &[])
    }

    /// Number of nodes.
    pub fn nr_nodes(&self) -> usize {
        self.nr_nodes
    }

    /// Number of CPUs in the map.
    pub fn nr_cpus(&self) -> usize {
        self.cpu_node.len()
    }

    /// The node of `cpu`, or `None` for a CPU outside the map.
    pub fn cpu_node(&self, cpu: usize) -> Option<NodeId> {
        self.cpu_node
            .get(cpu)
            .and_then(|&n| NodeId::new(u32::from(n)))
    }

    /// `node` if it exists on this machine.
    pub fn node(&self, raw: u32) -> Option<NodeId> {
        NodeId::new(raw).filter(|n| n.index() < self.nr_nodes)
    }

    /// The SLIT distance from `a` to `b` (0 for nodes that do not exist).
    pub fn distance(&self, a: NodeId, b: NodeId) -> u8 {
        if a.index() >= self.nr_nodes || b.index() >= self.nr_nodes {
            return 0;
        }
        let cell = a
            .index()
            .saturating_mul(self.nr_nodes)
            .saturating_add(b.index());
        self.distance.get(cell).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_topology_maps_cpus_node_by_node() {
        let t = Topology::uniform(2, 2).unwrap();
        assert_eq!(t.nr_nodes(), 2);
        assert_eq!(t.cpu_node(1).unwrap().get(), 0);
        assert_eq!(t.cpu_node(2).unwrap().get(), 1);
        assert_eq!(t.cpu_node(4), None);
        let (n0, n1) = (t.node(0).unwrap(), t.node(1).unwrap());
        assert_eq!(t.distance(n0, n0), 10);
        assert_eq!(t.distance(n0, n1), 20);
    }

    #[test]
    fn bad_topologies_are_refused_with_a_reason() {
        assert_eq!(Topology::new(0, &[], &[]), Err(TopologyError::NodeCount(0)));
        assert_eq!(
            Topology::new(65, &[], &[]),
            Err(TopologyError::NodeCount(65))
        );
        assert_eq!(
            Topology::new(2, &[0, 2], &[]),
            Err(TopologyError::CpuNode { cpu: 1, node: 2 })
        );
        assert_eq!(
            Topology::new(2, &[0, 1], &[10, 20, 20]),
            Err(TopologyError::Distances)
        );
        assert_eq!(
            Topology::new(2, &[0, 1], &[10, 0, 20, 10]),
            Err(TopologyError::Distances)
        );
    }

    #[test]
    fn node_outside_the_machine_is_none() {
        let t = Topology::uniform(2, 1).unwrap();
        assert!(t.node(1).is_some());
        assert!(t.node(2).is_none());
    }
}
